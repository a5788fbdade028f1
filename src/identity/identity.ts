import type {AwsContext} from '../aws/clients.js'
import {sts} from '../aws/ports.js'
import {type Principal, parsePrincipalArn} from './arn.js'

export interface Identity {
  account?: string
  principal?: Principal
  permissionSet?: string
  /** where the permission set came from */
  source: 'profile' | 'sts' | 'none'
}

/**
 * The permission set from the profile alone (sso_role_name / sso_account_id), with no network call;
 * undefined when the profile is not an IAM Identity Center profile.
 */
export function identityFromProfile(ctx: Pick<AwsContext, 'profileData'>): Identity | undefined {
  const p = ctx.profileData
  if (p?.ssoRoleName && p.ssoAccountId) return {account: p.ssoAccountId, permissionSet: p.ssoRoleName, source: 'profile'}
  return undefined
}

/** The caller as STS sees it; the permission set is parsed from an AWSReservedSSO_ assumed-role ARN. */
export async function identityFromSts(ctx: Pick<AwsContext, 'client'>): Promise<Identity> {
  // loaded on first use: an SSO profile names its permission set and never needs STS
  const out = await sts(ctx).getCallerIdentity()
  const principal = parsePrincipalArn(out.Arn ?? '')
  return {
    account: out.Account ?? principal.account,
    principal,
    permissionSet: principal.permissionSet,
    source: principal.permissionSet ? 'sts' : 'none',
  }
}

/** Profile first (free), STS otherwise. */
export async function resolveIdentity(ctx: Pick<AwsContext, 'profileData' | 'client'>): Promise<Identity> {
  return identityFromProfile(ctx) ?? identityFromSts(ctx)
}
