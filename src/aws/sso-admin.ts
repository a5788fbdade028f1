/** IAM Identity Center's admin API as ssmx admin guardrails uses it; loaded on first use through ports.ts. List calls return one page: see pages(). */
import * as sdk from '@aws-sdk/client-sso-admin'

import type {ClientSource} from './clients.js'
import {operation} from './port.js'

export type {
  AccessControlAttribute,
  DescribeInstanceAccessControlAttributeConfigurationCommandOutput,
  PermissionSetProvisioningStatus,
} from '@aws-sdk/client-sso-admin'

export function ssoAdminPort(client: sdk.SSOAdminClient) {
  const call = operation(client)
  return {
    deleteInlinePolicyFromPermissionSet: call(sdk.DeleteInlinePolicyFromPermissionSetCommand),
    deleteInstanceAccessControlAttributeConfiguration: call(sdk.DeleteInstanceAccessControlAttributeConfigurationCommand),
    describeInstanceAccessControlAttributeConfiguration: call(sdk.DescribeInstanceAccessControlAttributeConfigurationCommand),
    describePermissionSet: call(sdk.DescribePermissionSetCommand),
    describePermissionSetProvisioningStatus: call(sdk.DescribePermissionSetProvisioningStatusCommand),
    getInlinePolicyForPermissionSet: call(sdk.GetInlinePolicyForPermissionSetCommand),
    listAccountsForProvisionedPermissionSet: call(sdk.ListAccountsForProvisionedPermissionSetCommand),
    listInstances: call(sdk.ListInstancesCommand),
    listPermissionSets: call(sdk.ListPermissionSetsCommand),
    provisionPermissionSet: call(sdk.ProvisionPermissionSetCommand),
    putInlinePolicyToPermissionSet: call(sdk.PutInlinePolicyToPermissionSetCommand),
    updateInstanceAccessControlAttributeConfiguration: call(sdk.UpdateInstanceAccessControlAttributeConfigurationCommand),
  }
}

export type SsoAdmin = ReturnType<typeof ssoAdminPort>

export const ssoAdmin = (ctx: ClientSource): SsoAdmin => ssoAdminPort(ctx.client(sdk.SSOAdminClient, 'SSO_ADMIN'))
