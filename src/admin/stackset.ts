import type {StackInstanceSummary, StackSet, StackSetOperationPreferences} from '../aws/cloudformation.js'

import {SsmxError, awsErrorName} from '../errors.js'
import {type AdminDeps, pages} from './deps.js'
import type {AccountResult} from './progress.js'
import type {Parameter} from './types.js'

/**
 * How stack-set operations roll out: every region at once, a quarter of the accounts of a region at a time,
 * and a region stops once more than 10% of its accounts failed (soft tolerance keeps concurrency up).
 */
export const OPERATION_PREFERENCES: StackSetOperationPreferences = {
  RegionConcurrencyType: 'PARALLEL',
  MaxConcurrentPercentage: 25,
  FailureTolerancePercentage: 10,
  ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
}

/** Polling DescribeStackSetOperation: at once, then 1 s, 2 s, 4 s … never more than 10 s between polls. */
export const POLL_FIRST_MS = 1_000
export const POLL_MAX_MS = 10_000
/** How long enforce/remove wait for one operation before handing back (the operation goes on in AWS). */
export const WAIT_TIMEOUT_MS = 60 * 60_000

const DONE = new Set(['SUCCEEDED', 'FAILED', 'STOPPED'])
const ACTIVE = new Set(['RUNNING', 'QUEUED', 'STOPPING'])

type Deps = Pick<AdminDeps, 'cfn' | 'callAs' | 'progress' | 'sleep' | 'now'>

export async function describeStackSet(deps: Pick<AdminDeps, 'cfn' | 'callAs'>, name: string): Promise<StackSet | undefined> {
  try {
    const out = await deps.cfn.describeStackSet({StackSetName: name, CallAs: deps.callAs})
    return out.StackSet?.Status === 'DELETED' ? undefined : out.StackSet
  } catch (error) {
    if (awsErrorName(error) === 'StackSetNotFoundException') return undefined
    throw error
  }
}

/** OU × regions the stack set targets (service-managed: what auto-deployment covers). */
export async function listDeploymentTargets(deps: Pick<AdminDeps, 'cfn' | 'callAs'>, name: string): Promise<Map<string, Set<string>>> {
  const targets = new Map<string, Set<string>>()
  for await (const out of pages((page) => deps.cfn.listStackSetAutoDeploymentTargets({StackSetName: name, CallAs: deps.callAs, MaxResults: 100, ...page}))) {
    for (const s of out.Summaries ?? []) {
      if (!s.OrganizationalUnitId) continue
      const regions = targets.get(s.OrganizationalUnitId) ?? new Set<string>()
      for (const r of s.Regions ?? []) regions.add(r)
      targets.set(s.OrganizationalUnitId, regions)
    }
  }
  return targets
}

/** Calls `each` for every stack instance, a page (100) at a time: memory stays flat however big the organization. */
export async function forEachStackInstance(deps: Pick<AdminDeps, 'cfn' | 'callAs'>, name: string, each: (i: StackInstanceSummary) => void): Promise<void> {
  for await (const out of pages((page) => deps.cfn.listStackInstances({StackSetName: name, CallAs: deps.callAs, MaxResults: 100, ...page}))) {
    for (const s of out.Summaries ?? []) each(s)
  }
}

/**
 * Where the stack set is deployed, OU → regions: its auto-deployment targets plus the OU and region of every stack
 * instance, in one page-wise pass over the instances that also hands each one to `each`.
 */
export async function deployedTargets(
  deps: Pick<AdminDeps, 'cfn' | 'callAs'>,
  name: string,
  each: (i: StackInstanceSummary) => void = () => {},
): Promise<Map<string, Set<string>>> {
  const targets = await listDeploymentTargets(deps, name)
  await forEachStackInstance(deps, name, (i) => {
    const ou = i.OrganizationalUnitId
    if (ou) {
      if (!targets.has(ou)) targets.set(ou, new Set())
      if (i.Region) targets.get(ou)!.add(i.Region)
    }
    each(i)
  })
  return targets
}

/** The parameter overrides one stack instance carries (the same for every instance of an OU deployed together). */
export async function instanceOverrides(deps: Pick<AdminDeps, 'cfn' | 'callAs'>, name: string, account: string, region: string): Promise<Parameter[]> {
  const out = await deps.cfn.describeStackInstance({StackSetName: name, StackInstanceAccount: account, StackInstanceRegion: region, CallAs: deps.callAs})
  return (out.StackInstance?.ParameterOverrides ?? []).map((p) => ({ParameterKey: p.ParameterKey ?? '', ParameterValue: p.ParameterValue ?? ''}))
}

export interface OperationOutcome {
  operationId: string
  action: string
  status: string
  /** the operation's own reason (e.g. failure tolerance exceeded) */
  reason?: string
  failures: AccountResult[]
  succeeded: number
  /** every account × region the operation touched, with its final status (the --json result's detail) */
  results: AccountResult[]
}

async function listResults(deps: Deps, name: string, operationId: string): Promise<AccountResult[]> {
  const results: AccountResult[] = []
  for await (const out of pages((page) =>
    deps.cfn.listStackSetOperationResults({StackSetName: name, OperationId: operationId, CallAs: deps.callAs, MaxResults: 100, ...page}),
  )) {
    for (const s of out.Summaries ?? []) {
      const reason = s.StatusReason || (s.AccountGateResult?.Status === 'FAILED' ? `account gate: ${s.AccountGateResult.StatusReason ?? 'failed'}` : undefined)
      results.push({account: s.Account ?? '?', region: s.Region ?? '?', status: s.Status ?? 'PENDING', ...(reason ? {reason} : {})})
    }
  }
  return results
}

/**
 * Polls an operation until it ends, reporting its per-account results as it goes. Gives up (the operation
 * carries on in AWS) after `timeoutMs` with a message saying how to follow it.
 */
export async function waitForOperation(deps: Deps, name: string, operationId: string, action: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<OperationOutcome> {
  const deadline = deps.now() + timeoutMs
  let interval = 0
  let lastStatus = ''
  for (;;) {
    if (interval > 0) await deps.sleep(interval)
    interval = interval === 0 ? POLL_FIRST_MS : Math.min(POLL_MAX_MS, interval * 2)
    const out = await deps.cfn.describeStackSetOperation({StackSetName: name, OperationId: operationId, CallAs: deps.callAs})
    const op = out.StackSetOperation
    const status = op?.Status ?? 'RUNNING'
    const results = await listResults(deps, name, operationId)
    deps.progress({type: 'results', operationId, results})
    if (status !== lastStatus) deps.progress({type: 'operation', operationId, action, status})
    lastStatus = status
    if (DONE.has(status)) {
      return {
        operationId,
        action,
        status,
        ...(op?.StatusReason ? {reason: op.StatusReason} : {}),
        failures: results.filter((r) => r.status === 'FAILED' || r.status === 'CANCELLED'),
        succeeded: results.filter((r) => r.status === 'SUCCEEDED').length,
        results,
      }
    }
    if (deps.now() >= deadline) {
      throw new SsmxError(
        'compliance',
        `The stack-set operation ${operationId} (${action}) on ${name} is still ${status} after ${Math.round(timeoutMs / 60_000)} minutes.`,
        ['It carries on in AWS. Follow it with: ssmx admin status', 'Run ssmx admin enforce again once it has finished; it picks up where this run stopped.'],
      )
    }
  }
}

/** The operation currently running (or queued) on the stack set, if any. */
export async function runningOperation(deps: Pick<AdminDeps, 'cfn' | 'callAs'>, name: string): Promise<{operationId: string; action: string} | undefined> {
  for await (const out of pages((page) => deps.cfn.listStackSetOperations({StackSetName: name, CallAs: deps.callAs, MaxResults: 100, ...page}))) {
    const active = (out.Summaries ?? []).find((s) => ACTIVE.has(s.Status ?? ''))
    if (active?.OperationId) return {operationId: active.OperationId, action: active.Action ?? 'operation'}
  }
  return undefined
}

/** Waits (bounded) for an operation someone else started, or says what is running when not waiting; true when it waited. */
export async function awaitRunningOperation(deps: Deps, name: string, wait: boolean, timeoutMs = WAIT_TIMEOUT_MS): Promise<boolean> {
  const running = await runningOperation(deps, name)
  if (!running) return false
  if (!wait) {
    throw new SsmxError('compliance', `Another operation (${running.operationId}, ${running.action}) is running on the stack set ${name}.`, [
      'Run again without --no-wait to wait for it, or once it has finished (ssmx admin status shows it).',
    ])
  }
  deps.progress({type: 'step', message: `Waiting for operation ${running.operationId} (${running.action}) already running on ${name}`})
  await waitForOperation(deps, name, running.operationId, running.action, timeoutMs)
  return true
}

/**
 * Starts a stack-set operation; if another one is running (OperationInProgressException), waits for it and
 * tries again (at most three times).
 */
export async function startOperation(
  deps: Deps,
  name: string,
  wait: boolean,
  start: () => Promise<{OperationId?: string}>,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await start()
      if (!out.OperationId) throw new SsmxError('internal', `CloudFormation started an operation on ${name} without an operation id.`)
      return out.OperationId
    } catch (error) {
      if (awsErrorName(error) !== 'OperationInProgressException' || attempt >= 3) throw error
      await awaitRunningOperation(deps, name, wait, timeoutMs)
    }
  }
}
