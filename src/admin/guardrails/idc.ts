import type {
  AccessControlAttribute,
  DescribeInstanceAccessControlAttributeConfigurationCommandOutput,
  PermissionSetProvisioningStatus,
} from '../../aws/sso-admin.js'

import type {AwsContext} from '../../aws/clients.js'
import {type SsoAdmin, ssoAdmin} from '../../aws/ports.js'
import {mapAwsError} from '../../aws/errors.js'
import {SsmxError, awsErrorName} from '../../errors.js'
import {mapLimit, pages, realSleep} from '../deps.js'

/** The IAM Identity Center ABAC attribute that Session Manager reads as the RunAs user, over every document. */
export const RUN_AS_ATTRIBUTE = 'SSMSessionRunAs'

/** What the IAM Identity Center services need from outside; tests hand in a stubbed client, a fake clock and sleep. */
export interface IdcDeps {
  sso: SsoAdmin
  /** the profile, for error messages */
  profile: string
  /** one stderr line per progress step */
  progress: (line: string) => void
  sleep: (ms: number) => Promise<void>
  now: () => number
  /** at most this many calls in flight (DescribePermissionSet, provisioning); default 5 */
  concurrency?: number
  /** first wait between provisioning status polls; doubles up to maxPollMs. Default 1 s */
  pollMs?: number
  maxPollMs?: number
  /** give up waiting for a provisioning request after this long. Default 15 min */
  provisionTimeoutMs?: number
}

async function call<T>(deps: IdcDeps, request: () => Promise<T>, operation: string): Promise<T> {
  try {
    return await request()
  } catch (error) {
    throw mapAwsError(error, {profile: deps.profile, operation: `SSO Admin ${operation}`})
  }
}

/** The IAM Identity Center instance: the one there is, or `instanceArn` (checked to exist). */
export async function findInstance(deps: IdcDeps, instanceArn?: string): Promise<string> {
  const arns: string[] = []
  for await (const out of pages((page) => call(deps, () => deps.sso.listInstances(page), 'ListInstances'))) {
    for (const i of out.Instances ?? []) if (i.InstanceArn) arns.push(i.InstanceArn)
  }
  if (instanceArn) {
    if (!arns.includes(instanceArn)) {
      throw new SsmxError('usage', `The IAM Identity Center instance ${instanceArn} is not visible with this profile and region.`, [
        arns.length > 0
          ? `Instances found: ${arns.join(', ')}`
          : 'No instance was found: run from the IAM Identity Center administration account and its region (--region).',
      ])
    }
    return instanceArn
  }
  if (arns.length === 0) {
    throw new SsmxError('prerequisite', 'No IAM Identity Center instance found with this profile and region.', [
      "Run from the management account or the IAM Identity Center delegated administrator account, with --region set to the instance's region.",
    ])
  }
  if (arns.length > 1) {
    throw new SsmxError(
      'usage',
      `${arns.length} IAM Identity Center instances are visible; choose one.`,
      arns.map((a) => `--instance-arn ${a}`),
    )
  }
  return arns[0]
}

/** Every permission set of the instance by name (ListPermissionSets paged, DescribePermissionSet with bounded concurrency). */
export async function permissionSetsByName(deps: IdcDeps, instanceArn: string): Promise<Map<string, string>> {
  const arns: string[] = []
  for await (const out of pages((page) =>
    call(deps, () => deps.sso.listPermissionSets({InstanceArn: instanceArn, MaxResults: 100, ...page}), 'ListPermissionSets'),
  )) {
    arns.push(...(out.PermissionSets ?? []))
  }
  const described = await mapLimit(arns, deps.concurrency ?? 5, (arn) =>
    call(deps, () => deps.sso.describePermissionSet({InstanceArn: instanceArn, PermissionSetArn: arn}), 'DescribePermissionSet'),
  )
  return new Map(described.flatMap((d, i) => (d.PermissionSet?.Name ? [[d.PermissionSet.Name, arns[i]] as const] : [])))
}

/** Throws when a configured name is not a permission set of the instance, listing the real ones. */
export function requirePermissionSets(names: readonly string[], byName: Map<string, string>): void {
  const missing = names.filter((n) => !byName.has(n))
  if (missing.length === 0) return
  const real = [...byName.keys()].sort()
  throw new SsmxError(
    'config',
    `${missing.length === 1 ? 'Permission set' : 'Permission sets'} ${missing.map((m) => `"${m}"`).join(', ')} from the ssmx configuration ${missing.length === 1 ? 'does' : 'do'} not exist in IAM Identity Center.`,
    [
      real.length > 0 ? `Permission sets there: ${real.join(', ')}` : 'The instance has no permission sets.',
      'Names are case-sensitive; fix permissionSets in the ssmx configuration.',
    ],
  )
}

export interface RunAsAttributeCheck {
  /** the instance has an attribute-based access control configuration at all */
  configured: boolean
  attributes: AccessControlAttribute[]
  /** the SSMSessionRunAs mapping, when present: it overrides every RunAs document */
  runAs?: {key: string; sources: string[]}
}

export async function checkRunAsAttribute(deps: IdcDeps, instanceArn: string): Promise<RunAsAttributeCheck> {
  let out: DescribeInstanceAccessControlAttributeConfigurationCommandOutput
  try {
    out = await deps.sso.describeInstanceAccessControlAttributeConfiguration({InstanceArn: instanceArn})
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return {configured: false, attributes: []}
    throw mapAwsError(error, {profile: deps.profile, operation: 'SSO Admin DescribeInstanceAccessControlAttributeConfiguration'})
  }
  const attributes = out.InstanceAccessControlAttributeConfiguration?.AccessControlAttributes ?? []
  const runAs = attributes.find((a) => a.Key?.toLowerCase() === RUN_AS_ATTRIBUTE.toLowerCase())
  return {configured: true, attributes, ...(runAs ? {runAs: {key: runAs.Key!, sources: runAs.Value?.Source ?? []}} : {})}
}

/** Removes only the SSMSessionRunAs mapping and keeps every other attribute (no attribute left: the configuration is deleted). */
export async function removeRunAsAttribute(deps: IdcDeps, instanceArn: string, check: RunAsAttributeCheck): Promise<void> {
  if (!check.runAs) return
  const keep = check.attributes.filter((a) => a.Key !== check.runAs!.key)
  if (keep.length === 0) {
    await call(
      deps,
      () => deps.sso.deleteInstanceAccessControlAttributeConfiguration({InstanceArn: instanceArn}),
      'DeleteInstanceAccessControlAttributeConfiguration',
    )
    return
  }
  await call(
    deps,
    () =>
      deps.sso.updateInstanceAccessControlAttributeConfiguration({
        InstanceArn: instanceArn,
        InstanceAccessControlAttributeConfiguration: {AccessControlAttributes: keep},
      }),
    'UpdateInstanceAccessControlAttributeConfiguration',
  )
}

export async function getInlinePolicy(deps: IdcDeps, instanceArn: string, permissionSetArn: string): Promise<string | undefined> {
  const out = await call(
    deps,
    () => deps.sso.getInlinePolicyForPermissionSet({InstanceArn: instanceArn, PermissionSetArn: permissionSetArn}),
    'GetInlinePolicyForPermissionSet',
  )
  return out.InlinePolicy || undefined
}

export async function putInlinePolicy(deps: IdcDeps, instanceArn: string, permissionSetArn: string, policy: string | undefined): Promise<void> {
  await (policy === undefined
    ? call(
        deps,
        () => deps.sso.deleteInlinePolicyFromPermissionSet({InstanceArn: instanceArn, PermissionSetArn: permissionSetArn}),
        'DeleteInlinePolicyFromPermissionSet',
      )
    : call(
        deps,
        () => deps.sso.putInlinePolicyToPermissionSet({InstanceArn: instanceArn, PermissionSetArn: permissionSetArn, InlinePolicy: policy}),
        'PutInlinePolicyToPermissionSet',
      ))
}

export interface ProvisioningResult {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT'
  requestId?: string
  failureReason?: string
  /** accounts that do not have the latest version of the permission set after a failure */
  failedAccounts?: string[]
}

/**
 * Re-provisions a permission set to every account it is provisioned to and waits for the request:
 * DescribePermissionSetProvisioningStatus polled with a doubling, capped interval until a deadline.
 * A ConflictException (another provisioning of the same set in flight) is retried until the deadline.
 */
export async function provisionAndWait(deps: IdcDeps, instanceArn: string, name: string, permissionSetArn: string): Promise<ProvisioningResult> {
  const started = deps.now()
  const deadline = started + (deps.provisionTimeoutMs ?? 15 * 60_000)
  const maxPoll = deps.maxPollMs ?? 10_000
  let wait = deps.pollMs ?? 1_000
  const pause = async () => {
    await deps.sleep(Math.min(wait, Math.max(0, deadline - deps.now())))
    wait = Math.min(wait * 2, maxPoll)
  }
  let status: PermissionSetProvisioningStatus | undefined
  for (;;) {
    try {
      const out = await deps.sso.provisionPermissionSet({InstanceArn: instanceArn, PermissionSetArn: permissionSetArn, TargetType: 'ALL_PROVISIONED_ACCOUNTS'})
      status = out.PermissionSetProvisioningStatus
      break
    } catch (error) {
      if (awsErrorName(error) !== 'ConflictException' || deps.now() >= deadline)
        throw mapAwsError(error, {profile: deps.profile, operation: 'SSO Admin ProvisionPermissionSet'})
      deps.progress(`${name}: another provisioning is in progress; waiting to start`)
      await pause()
    }
  }
  const requestId = status?.RequestId
  deps.progress(`${name}: provisioning to all accounts it is assigned in (request ${requestId ?? '?'})`)
  while (status?.Status === 'IN_PROGRESS' && requestId) {
    if (deps.now() >= deadline) {
      deps.progress(`${name}: still IN_PROGRESS after ${Math.round((deps.now() - started) / 1000)} s; not waiting any longer`)
      return {status: 'TIMED_OUT', requestId}
    }
    await pause()
    const out = await call(
      deps,
      () => deps.sso.describePermissionSetProvisioningStatus({InstanceArn: instanceArn, ProvisionPermissionSetRequestId: requestId}),
      'DescribePermissionSetProvisioningStatus',
    )
    status = out.PermissionSetProvisioningStatus
    deps.progress(`${name}: ${status?.Status ?? 'unknown'} (${Math.round((deps.now() - started) / 1000)} s)`)
  }
  if (status?.Status === 'FAILED') {
    const failedAccounts = await accountsNotOnLatest(deps, instanceArn, permissionSetArn).catch(() => (status?.AccountId ? [status.AccountId] : []))
    return {
      status: 'FAILED',
      requestId,
      failureReason: status.FailureReason ?? 'no reason given',
      failedAccounts: failedAccounts.length > 0 ? failedAccounts : status.AccountId ? [status.AccountId] : [],
    }
  }
  return {status: 'SUCCEEDED', requestId}
}

/** Accounts where the permission set's latest version is not provisioned. */
export async function accountsNotOnLatest(deps: IdcDeps, instanceArn: string, permissionSetArn: string): Promise<string[]> {
  const accounts: string[] = []
  const list = (page: {NextToken?: string}) =>
    call(
      deps,
      () =>
        deps.sso.listAccountsForProvisionedPermissionSet({
          InstanceArn: instanceArn,
          PermissionSetArn: permissionSetArn,
          ProvisioningStatus: 'LATEST_PERMISSION_SET_NOT_PROVISIONED',
          ...page,
        }),
      'ListAccountsForProvisionedPermissionSet',
    )
  for await (const out of pages(list)) accounts.push(...(out.AccountIds ?? []))
  return accounts
}

/** The real dependencies: the sso-admin client from the AwsContext, the wall clock. */
export function idcDeps(ctx: AwsContext, progress: (line: string) => void): IdcDeps {
  return {sso: ssoAdmin(ctx), profile: ctx.profile.name, progress, sleep: realSleep, now: Date.now}
}
