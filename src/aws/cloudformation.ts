/** CloudFormation as ssmx admin uses it (stack sets); loaded on first use through ports.ts. List calls return one page: see pages(). */
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  type CreateStackInstancesCommandInput,
  CreateStackSetCommand,
  type CreateStackSetCommandInput,
  DeleteStackInstancesCommand,
  type DeleteStackInstancesCommandInput,
  DeleteStackSetCommand,
  type DeleteStackSetCommandInput,
  DescribeOrganizationsAccessCommand,
  type DescribeOrganizationsAccessCommandInput,
  DescribeStackInstanceCommand,
  type DescribeStackInstanceCommandInput,
  DescribeStackSetCommand,
  type DescribeStackSetCommandInput,
  DescribeStackSetOperationCommand,
  type DescribeStackSetOperationCommandInput,
  ListStackInstancesCommand,
  type ListStackInstancesCommandInput,
  ListStackSetAutoDeploymentTargetsCommand,
  type ListStackSetAutoDeploymentTargetsCommandInput,
  ListStackSetOperationResultsCommand,
  type ListStackSetOperationResultsCommandInput,
  ListStackSetOperationsCommand,
  type ListStackSetOperationsCommandInput,
  UpdateStackInstancesCommand,
  type UpdateStackInstancesCommandInput,
  UpdateStackSetCommand,
  type UpdateStackSetCommandInput,
} from '@aws-sdk/client-cloudformation'

import type {ClientSource} from './clients.js'

export type {StackInstanceSummary, StackSet, StackSetOperationPreferences} from '@aws-sdk/client-cloudformation'

export function cloudFormationPort(client: CloudFormationClient) {
  return {
    createStackInstances: (input: CreateStackInstancesCommandInput) => client.send(new CreateStackInstancesCommand(input)),
    createStackSet: (input: CreateStackSetCommandInput) => client.send(new CreateStackSetCommand(input)),
    deleteStackInstances: (input: DeleteStackInstancesCommandInput) => client.send(new DeleteStackInstancesCommand(input)),
    deleteStackSet: (input: DeleteStackSetCommandInput) => client.send(new DeleteStackSetCommand(input)),
    updateStackInstances: (input: UpdateStackInstancesCommandInput) => client.send(new UpdateStackInstancesCommand(input)),
    updateStackSet: (input: UpdateStackSetCommandInput) => client.send(new UpdateStackSetCommand(input)),
    describeStackInstance: (input: DescribeStackInstanceCommandInput) => client.send(new DescribeStackInstanceCommand(input)),
    describeStackSet: (input: DescribeStackSetCommandInput) => client.send(new DescribeStackSetCommand(input)),
    describeStackSetOperation: (input: DescribeStackSetOperationCommandInput) => client.send(new DescribeStackSetOperationCommand(input)),
    listStackInstances: (input: ListStackInstancesCommandInput) => client.send(new ListStackInstancesCommand(input)),
    listStackSetAutoDeploymentTargets: (input: ListStackSetAutoDeploymentTargetsCommandInput) =>
      client.send(new ListStackSetAutoDeploymentTargetsCommand(input)),
    listStackSetOperationResults: (input: ListStackSetOperationResultsCommandInput) => client.send(new ListStackSetOperationResultsCommand(input)),
    listStackSetOperations: (input: ListStackSetOperationsCommandInput) => client.send(new ListStackSetOperationsCommand(input)),
    describeOrganizationsAccess: (input: DescribeOrganizationsAccessCommandInput) => client.send(new DescribeOrganizationsAccessCommand(input)),
  }
}

export type CloudFormation = ReturnType<typeof cloudFormationPort>

export const cloudFormation = (ctx: ClientSource): CloudFormation => cloudFormationPort(ctx.client(CloudFormationClient, 'CLOUDFORMATION'))
