/** AWS Organizations as ssmx admin uses it; loaded on first use through ports.ts. List calls return one page: see pages(). */
import * as sdk from '@aws-sdk/client-organizations'

import type {ClientSource} from './clients.js'
import {operation} from './port.js'

export type {DescribeOrganizationCommandOutput, Root} from '@aws-sdk/client-organizations'

export function organizationsPort(client: sdk.OrganizationsClient) {
  const call = operation(client)
  return {
    attachPolicy: call(sdk.AttachPolicyCommand),
    createPolicy: call(sdk.CreatePolicyCommand),
    deletePolicy: call(sdk.DeletePolicyCommand),
    describePolicy: call(sdk.DescribePolicyCommand),
    detachPolicy: call(sdk.DetachPolicyCommand),
    listPolicies: call(sdk.ListPoliciesCommand),
    listPoliciesForTarget: call(sdk.ListPoliciesForTargetCommand),
    listTargetsForPolicy: call(sdk.ListTargetsForPolicyCommand),
    updatePolicy: call(sdk.UpdatePolicyCommand),
    describeAccount: call(sdk.DescribeAccountCommand),
    describeOrganization: call(sdk.DescribeOrganizationCommand),
    describeOrganizationalUnit: call(sdk.DescribeOrganizationalUnitCommand),
    listAWSServiceAccessForOrganization: call(sdk.ListAWSServiceAccessForOrganizationCommand),
    listDelegatedAdministrators: call(sdk.ListDelegatedAdministratorsCommand),
    listRoots: call(sdk.ListRootsCommand),
  }
}

export type Organizations = ReturnType<typeof organizationsPort>

export const organizations = (ctx: ClientSource): Organizations => organizationsPort(ctx.client(sdk.OrganizationsClient, 'ORGANIZATIONS'))
