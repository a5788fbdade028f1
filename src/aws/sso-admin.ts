/** IAM Identity Center's admin API as ssmx admin guardrails uses it; loaded on first use through ports.ts. List calls return one page: see pages(). */
import {
  DeleteInlinePolicyFromPermissionSetCommand,
  type DeleteInlinePolicyFromPermissionSetCommandInput,
  DeleteInstanceAccessControlAttributeConfigurationCommand,
  type DeleteInstanceAccessControlAttributeConfigurationCommandInput,
  DescribeInstanceAccessControlAttributeConfigurationCommand,
  type DescribeInstanceAccessControlAttributeConfigurationCommandInput,
  DescribePermissionSetCommand,
  type DescribePermissionSetCommandInput,
  DescribePermissionSetProvisioningStatusCommand,
  type DescribePermissionSetProvisioningStatusCommandInput,
  GetInlinePolicyForPermissionSetCommand,
  type GetInlinePolicyForPermissionSetCommandInput,
  ListAccountsForProvisionedPermissionSetCommand,
  type ListAccountsForProvisionedPermissionSetCommandInput,
  ListInstancesCommand,
  type ListInstancesCommandInput,
  ListPermissionSetsCommand,
  type ListPermissionSetsCommandInput,
  ProvisionPermissionSetCommand,
  type ProvisionPermissionSetCommandInput,
  PutInlinePolicyToPermissionSetCommand,
  type PutInlinePolicyToPermissionSetCommandInput,
  SSOAdminClient,
  UpdateInstanceAccessControlAttributeConfigurationCommand,
  type UpdateInstanceAccessControlAttributeConfigurationCommandInput,
} from '@aws-sdk/client-sso-admin'

import type {ClientSource} from './clients.js'

export type {
  AccessControlAttribute,
  DescribeInstanceAccessControlAttributeConfigurationCommandOutput,
  PermissionSetProvisioningStatus,
} from '@aws-sdk/client-sso-admin'

export function ssoAdminPort(client: SSOAdminClient) {
  return {
    deleteInlinePolicyFromPermissionSet: (input: DeleteInlinePolicyFromPermissionSetCommandInput) =>
      client.send(new DeleteInlinePolicyFromPermissionSetCommand(input)),
    deleteInstanceAccessControlAttributeConfiguration: (input: DeleteInstanceAccessControlAttributeConfigurationCommandInput) =>
      client.send(new DeleteInstanceAccessControlAttributeConfigurationCommand(input)),
    describeInstanceAccessControlAttributeConfiguration: (input: DescribeInstanceAccessControlAttributeConfigurationCommandInput) =>
      client.send(new DescribeInstanceAccessControlAttributeConfigurationCommand(input)),
    describePermissionSet: (input: DescribePermissionSetCommandInput) => client.send(new DescribePermissionSetCommand(input)),
    describePermissionSetProvisioningStatus: (input: DescribePermissionSetProvisioningStatusCommandInput) =>
      client.send(new DescribePermissionSetProvisioningStatusCommand(input)),
    getInlinePolicyForPermissionSet: (input: GetInlinePolicyForPermissionSetCommandInput) => client.send(new GetInlinePolicyForPermissionSetCommand(input)),
    listAccountsForProvisionedPermissionSet: (input: ListAccountsForProvisionedPermissionSetCommandInput) =>
      client.send(new ListAccountsForProvisionedPermissionSetCommand(input)),
    listInstances: (input: ListInstancesCommandInput) => client.send(new ListInstancesCommand(input)),
    listPermissionSets: (input: ListPermissionSetsCommandInput) => client.send(new ListPermissionSetsCommand(input)),
    provisionPermissionSet: (input: ProvisionPermissionSetCommandInput) => client.send(new ProvisionPermissionSetCommand(input)),
    putInlinePolicyToPermissionSet: (input: PutInlinePolicyToPermissionSetCommandInput) => client.send(new PutInlinePolicyToPermissionSetCommand(input)),
    updateInstanceAccessControlAttributeConfiguration: (input: UpdateInstanceAccessControlAttributeConfigurationCommandInput) =>
      client.send(new UpdateInstanceAccessControlAttributeConfigurationCommand(input)),
  }
}

export type SsoAdmin = ReturnType<typeof ssoAdminPort>

export const ssoAdmin = (ctx: ClientSource): SsoAdmin => ssoAdminPort(ctx.client(SSOAdminClient, 'SSO_ADMIN'))
