/** CloudFormation as ssmx admin uses it (stack sets); loaded on first use through ports.ts. List calls return one page: see pages(). */
import * as sdk from '@aws-sdk/client-cloudformation'

import type {ClientSource} from './clients.js'
import {operation} from './port.js'

export type {StackInstanceSummary, StackSet, StackSetOperationPreferences} from '@aws-sdk/client-cloudformation'

export function cloudFormationPort(client: sdk.CloudFormationClient) {
  const call = operation(client)
  return {
    createStackInstances: call(sdk.CreateStackInstancesCommand),
    createStackSet: call(sdk.CreateStackSetCommand),
    deleteStackInstances: call(sdk.DeleteStackInstancesCommand),
    deleteStackSet: call(sdk.DeleteStackSetCommand),
    updateStackInstances: call(sdk.UpdateStackInstancesCommand),
    updateStackSet: call(sdk.UpdateStackSetCommand),
    describeStackInstance: call(sdk.DescribeStackInstanceCommand),
    describeStackSet: call(sdk.DescribeStackSetCommand),
    describeStackSetOperation: call(sdk.DescribeStackSetOperationCommand),
    listStackInstances: call(sdk.ListStackInstancesCommand),
    listStackSetAutoDeploymentTargets: call(sdk.ListStackSetAutoDeploymentTargetsCommand),
    listStackSetOperationResults: call(sdk.ListStackSetOperationResultsCommand),
    listStackSetOperations: call(sdk.ListStackSetOperationsCommand),
    describeOrganizationsAccess: call(sdk.DescribeOrganizationsAccessCommand),
  }
}

export type CloudFormation = ReturnType<typeof cloudFormationPort>

export const cloudFormation = (ctx: ClientSource): CloudFormation => cloudFormationPort(ctx.client(sdk.CloudFormationClient, 'CLOUDFORMATION'))
