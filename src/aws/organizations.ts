/** AWS Organizations as ssmx admin uses it; loaded on first use through ports.ts. List calls return one page: see pages(). */
import {
  AttachPolicyCommand,
  type AttachPolicyCommandInput,
  CreatePolicyCommand,
  type CreatePolicyCommandInput,
  DeletePolicyCommand,
  type DeletePolicyCommandInput,
  DescribeAccountCommand,
  type DescribeAccountCommandInput,
  DescribeOrganizationalUnitCommand,
  type DescribeOrganizationalUnitCommandInput,
  DescribeOrganizationCommand,
  type DescribeOrganizationCommandInput,
  DescribePolicyCommand,
  type DescribePolicyCommandInput,
  DetachPolicyCommand,
  type DetachPolicyCommandInput,
  ListAWSServiceAccessForOrganizationCommand,
  type ListAWSServiceAccessForOrganizationCommandInput,
  ListDelegatedAdministratorsCommand,
  type ListDelegatedAdministratorsCommandInput,
  ListPoliciesCommand,
  type ListPoliciesCommandInput,
  ListPoliciesForTargetCommand,
  type ListPoliciesForTargetCommandInput,
  ListRootsCommand,
  type ListRootsCommandInput,
  ListTargetsForPolicyCommand,
  type ListTargetsForPolicyCommandInput,
  OrganizationsClient,
  UpdatePolicyCommand,
  type UpdatePolicyCommandInput,
} from '@aws-sdk/client-organizations'

import type {ClientSource} from './clients.js'

export type {DescribeOrganizationCommandOutput, Root} from '@aws-sdk/client-organizations'

export function organizationsPort(client: OrganizationsClient) {
  return {
    attachPolicy: (input: AttachPolicyCommandInput) => client.send(new AttachPolicyCommand(input)),
    createPolicy: (input: CreatePolicyCommandInput) => client.send(new CreatePolicyCommand(input)),
    deletePolicy: (input: DeletePolicyCommandInput) => client.send(new DeletePolicyCommand(input)),
    describePolicy: (input: DescribePolicyCommandInput) => client.send(new DescribePolicyCommand(input)),
    detachPolicy: (input: DetachPolicyCommandInput) => client.send(new DetachPolicyCommand(input)),
    listPolicies: (input: ListPoliciesCommandInput) => client.send(new ListPoliciesCommand(input)),
    listPoliciesForTarget: (input: ListPoliciesForTargetCommandInput) => client.send(new ListPoliciesForTargetCommand(input)),
    listTargetsForPolicy: (input: ListTargetsForPolicyCommandInput) => client.send(new ListTargetsForPolicyCommand(input)),
    updatePolicy: (input: UpdatePolicyCommandInput) => client.send(new UpdatePolicyCommand(input)),
    describeAccount: (input: DescribeAccountCommandInput) => client.send(new DescribeAccountCommand(input)),
    describeOrganization: (input: DescribeOrganizationCommandInput) => client.send(new DescribeOrganizationCommand(input)),
    describeOrganizationalUnit: (input: DescribeOrganizationalUnitCommandInput) => client.send(new DescribeOrganizationalUnitCommand(input)),
    listAWSServiceAccessForOrganization: (input: ListAWSServiceAccessForOrganizationCommandInput) =>
      client.send(new ListAWSServiceAccessForOrganizationCommand(input)),
    listDelegatedAdministrators: (input: ListDelegatedAdministratorsCommandInput) => client.send(new ListDelegatedAdministratorsCommand(input)),
    listRoots: (input: ListRootsCommandInput) => client.send(new ListRootsCommand(input)),
  }
}

export type Organizations = ReturnType<typeof organizationsPort>

export const organizations = (ctx: ClientSource): Organizations => organizationsPort(ctx.client(OrganizationsClient, 'ORGANIZATIONS'))
