import {createTwoFilesPatch} from 'diff'

import type {SsmxConfig} from '../../config/schema.js'
import {type ExitCodeName, SsmxError, errorMessage, isSsmxError} from '../../errors.js'
import {documentPlan} from '../../documents/naming.js'
import {mapLimit} from '../deps.js'
import {
  type IdcDeps,
  type ProvisioningResult,
  type RunAsAttributeCheck,
  RUN_AS_ATTRIBUTE,
  accountsNotOnLatest,
  checkRunAsAttribute,
  findInstance,
  getInlinePolicy,
  permissionSetsByName,
  provisionAndWait,
  putInlinePolicy,
  removeRunAsAttribute,
  requirePermissionSets,
} from './idc.js'
import {
  type GuardrailState,
  type PolicyDocument,
  type Statement,
  guardrailSpecFor,
  guardrailState,
  guardrailStatements,
  mergeGuardrail,
  parsePolicy,
  partitionOf,
  prettyPolicy,
  serializePolicy,
} from './policy.js'

export interface GuardrailOptions {
  instanceArn?: string
  /** take the ssmx statements out instead of merging them in */
  remove?: boolean
  /** remove the SSMSessionRunAs ABAC attribute mapping (keeping the others) */
  removeRunAsAttribute?: boolean
}

export interface PermissionSetChange {
  name: string
  arn: string
  document: string
  /** the guardrail in the inline policy before the run */
  state: GuardrailState
  /**
   * none: nothing to do; put: write the merged policy; delete: the inline policy is left empty;
   * provision: the policy is right but some accounts lack the latest version (an earlier provisioning failed)
   */
  change: 'none' | 'put' | 'delete' | 'provision'
  /** accounts without the latest version of the permission set (change = provision) */
  pendingAccounts?: string[]
  /** pretty JSON before and after, for the diff */
  before: string
  after: string
  /** the minified policy to write (change = put) */
  policy?: string
}

export interface GuardrailPlan {
  instanceArn: string
  remove: boolean
  runAsAttribute: RunAsAttributeCheck
  /** --remove-runas-attribute was given and the attribute is mapped */
  removeRunAsAttribute: boolean
  permissionSets: PermissionSetChange[]
}

export const planHasChanges = (plan: GuardrailPlan): boolean => plan.removeRunAsAttribute || plan.permissionSets.some((p) => p.change !== 'none')

/** One configured permission set as read from IAM Identity Center: its inline policy and the guardrail it should carry. */
interface GuardrailReading {
  permissionSet: string
  document: string
  /** undefined: the instance has no permission set of that name */
  arn?: string
  current?: PolicyDocument
  wanted: Statement[]
  state: GuardrailState | 'not-found'
  /** accounts without the latest version of the permission set (read only when asked for) */
  notProvisionedAccounts?: string[]
}

/**
 * What planGuardrails and guardrailStatus both read: the instance, its permission sets by name, the ABAC attribute,
 * and per configured permission set its inline policy compared with the ssmx statements it should carry.
 * `requireAll`: a configured name the instance lacks is an error, before any policy is read.
 */
async function readGuardrails(config: SsmxConfig, deps: IdcDeps, options: {instanceArn?: string; requireAll?: boolean; notProvisioned?: boolean}) {
  const sets = documentPlan(config)
  const instanceArn = await findInstance(deps, options.instanceArn)
  const [byName, runAsAttribute] = await Promise.all([permissionSetsByName(deps, instanceArn), checkRunAsAttribute(deps, instanceArn)])
  if (options.requireAll)
    requirePermissionSets(
      sets.map((s) => s.permissionSet),
      byName,
    )
  const partition = partitionOf(instanceArn)
  const readings = await mapLimit(sets, deps.concurrency ?? 5, async ({permissionSet, document, runAsUser}): Promise<GuardrailReading> => {
    const wanted = guardrailStatements(guardrailSpecFor(config, {permissionSet, document, runAsUser}, partition))
    const arn = byName.get(permissionSet)
    if (!arn) return {permissionSet, document, wanted, state: 'not-found'}
    const [text, notProvisionedAccounts] = await Promise.all([
      getInlinePolicy(deps, instanceArn, arn),
      options.notProvisioned ? accountsNotOnLatest(deps, instanceArn, arn) : undefined,
    ])
    const current = parsePolicy(text, permissionSet)
    return {permissionSet, document, arn, current, wanted, state: guardrailState(current, wanted), ...(notProvisionedAccounts ? {notProvisionedAccounts} : {})}
  })
  return {instanceArn, runAsAttribute, readings}
}

/**
 * Reads everything and decides what to write, without changing anything: the instance, every
 * configured permission set (unknown names are an error), the ABAC attribute, and per permission set
 * its inline policy merged with (or, with `remove`, cleared of) the ssmx statements.
 */
export async function planGuardrails(config: SsmxConfig, options: GuardrailOptions, deps: IdcDeps): Promise<GuardrailPlan> {
  const {instanceArn, runAsAttribute, readings} = await readGuardrails(config, deps, {instanceArn: options.instanceArn, requireAll: true})
  const permissionSets = await mapLimit(readings, deps.concurrency ?? 5, async (r): Promise<PermissionSetChange> => {
    if (r.arn === undefined || r.state === 'not-found') throw new SsmxError('bug', `Permission set ${r.permissionSet} was planned without being found.`)
    const {arn, state} = r
    const base = {name: r.permissionSet, arn, document: r.document, state, before: prettyPolicy(r.current)}
    if (options.remove ? state === 'missing' : state === 'current') {
      const pendingAccounts = await accountsNotOnLatest(deps, instanceArn, arn)
      return {...base, change: pendingAccounts.length > 0 ? 'provision' : 'none', after: base.before, ...(pendingAccounts.length > 0 ? {pendingAccounts} : {})}
    }
    const next = mergeGuardrail(r.current, options.remove ? [] : r.wanted)
    if (!next) return {...base, change: 'delete', after: ''}
    return {...base, change: 'put', after: prettyPolicy(next), policy: serializePolicy(next, r.permissionSet)}
  })
  return {
    instanceArn,
    remove: Boolean(options.remove),
    runAsAttribute,
    removeRunAsAttribute: Boolean(options.removeRunAsAttribute && runAsAttribute.runAs),
    permissionSets,
  }
}

/** A unified diff of one permission set's inline policy; empty when nothing changes. */
export function policyDiff(change: PermissionSetChange): string {
  if (change.before === change.after) return ''
  const label = `${change.name} inline policy`
  return createTwoFilesPatch(
    label,
    label,
    change.before,
    change.after,
    change.before ? 'current' : '(none)',
    change.after ? 'with ssmx changes' : '(deleted)',
    {context: 3},
  )
    .split('\n')
    .filter((l) => !/^={10,}$/.test(l) && !l.startsWith('Index: ') && l !== '\\ No newline at end of file')
    .join('\n')
    .trimEnd()
}

export interface PermissionSetOutcome {
  name: string
  arn: string
  document: string
  state: GuardrailState
  change: PermissionSetChange['change']
  pendingAccounts?: string[]
  /** unified diff of the inline policy (empty when unchanged) */
  diff: string
  provisioning?: ProvisioningResult
}

export interface GuardrailResult {
  instanceArn: string
  dryRun: boolean
  remove: boolean
  runAsAttribute: {mapped: boolean; sources?: string[]; removed: boolean}
  permissionSets: PermissionSetOutcome[]
}

/**
 * Writes the plan: the ABAC attribute first (when asked), then each changed inline policy, then
 * re-provisions every changed permission set to all its accounts and waits for it (bounded concurrency).
 */
export async function applyGuardrails(plan: GuardrailPlan, deps: IdcDeps): Promise<GuardrailResult> {
  if (plan.removeRunAsAttribute) {
    await removeRunAsAttribute(deps, plan.instanceArn, plan.runAsAttribute)
    deps.progress(`Removed the ${RUN_AS_ATTRIBUTE} attribute mapping.`)
  }
  const permissionSets = await mapLimit(plan.permissionSets, deps.concurrency ?? 5, async (ps): Promise<PermissionSetOutcome> => {
    const outcome = outcomeOf(ps)
    if (ps.change === 'none') return outcome
    if (ps.change !== 'provision') {
      await putInlinePolicy(deps, plan.instanceArn, ps.arn, ps.change === 'put' ? ps.policy : undefined)
      deps.progress(`${ps.name}: inline policy ${ps.change === 'put' ? 'written' : 'deleted'}`)
    }
    return {...outcome, provisioning: await provisionAndWait(deps, plan.instanceArn, ps.name, ps.arn)}
  })
  return resultOf(plan, false, permissionSets)
}

export function resultOf(plan: GuardrailPlan, dryRun: boolean, permissionSets?: PermissionSetOutcome[]): GuardrailResult {
  return {
    instanceArn: plan.instanceArn,
    dryRun,
    remove: plan.remove,
    runAsAttribute: {
      mapped: Boolean(plan.runAsAttribute.runAs),
      ...(plan.runAsAttribute.runAs ? {sources: plan.runAsAttribute.runAs.sources} : {}),
      removed: !dryRun && plan.removeRunAsAttribute,
    },
    permissionSets: permissionSets ?? plan.permissionSets.map(outcomeOf),
  }
}

const outcomeOf = (ps: PermissionSetChange): PermissionSetOutcome => ({
  name: ps.name,
  arn: ps.arn,
  document: ps.document,
  state: ps.state,
  change: ps.change,
  ...(ps.pendingAccounts ? {pendingAccounts: ps.pendingAccounts} : {}),
  diff: policyDiff(ps),
})

export const provisioningFailed = (result: GuardrailResult): PermissionSetOutcome[] =>
  result.permissionSets.filter((p) => p.provisioning && p.provisioning.status !== 'SUCCEEDED')

export interface GuardrailStatusEntry {
  permissionSet: string
  document: string
  /** not-found: the configured name is not a permission set of the instance */
  state: GuardrailState | 'not-found'
  /** the guardrail is present and matches the configuration */
  current: boolean
  /** accounts that do not have the latest version of the permission set (provisioning pending or failed) */
  notProvisionedAccounts: string[]
}

export interface GuardrailStatus {
  instanceArn: string
  /** the SSMSessionRunAs ABAC attribute is mapped and overrides every document */
  runAsAttributeInTheWay: boolean
  runAsAttributeSources?: string[]
  permissionSets: GuardrailStatusEntry[]
}

/** Per configured permission set: is the guardrail present and current; is the ABAC attribute in the way. Read-only. */
export async function guardrailStatus(config: SsmxConfig, deps: IdcDeps, options: {instanceArn?: string} = {}): Promise<GuardrailStatus> {
  const {instanceArn, runAsAttribute, readings} = await readGuardrails(config, deps, {instanceArn: options.instanceArn, notProvisioned: true})
  return {
    instanceArn,
    runAsAttributeInTheWay: Boolean(runAsAttribute.runAs),
    ...(runAsAttribute.runAs ? {runAsAttributeSources: runAsAttribute.runAs.sources} : {}),
    permissionSets: readings.map((r) => ({
      permissionSet: r.permissionSet,
      document: r.document,
      state: r.state,
      current: r.state === 'current',
      notProvisionedAccounts: r.notProvisionedAccounts ?? [],
    })),
  }
}

/** The guardrail part of `ssmx admin status`: checked, or why not (another region, another account, no access). */
export type GuardrailCheck = ({checked: true} & GuardrailStatus) | {checked: false; reason: string}

/** Errors that mean IAM Identity Center is not reachable from here (another account or region, no access), not a failure. */
const NOT_REACHABLE: ReadonlySet<ExitCodeName> = new Set(['accessDenied', 'prerequisite', 'usage', 'credentials'])

/**
 * guardrailStatus for `ssmx admin status`, which may run where IAM Identity Center is not reachable (another
 * account or region, no permission): that is reported as not checked, with the reason (and to `debug`, the error
 * code). Any other error (throttling, the network, a bug) is the command's error. Undefined when the configuration
 * names no permission sets.
 */
export async function checkGuardrails(
  config: SsmxConfig,
  deps: IdcDeps,
  options: {instanceArn?: string; debug?: (line: string) => void} = {},
): Promise<GuardrailCheck | undefined> {
  if (Object.keys(config.permissionSets).length === 0) return undefined
  try {
    return {checked: true, ...(await guardrailStatus(config, deps, options))}
  } catch (error) {
    if (!isSsmxError(error) || !NOT_REACHABLE.has(error.code)) throw error
    options.debug?.(`guardrails not checked: IAM Identity Center is not reachable from here (${error.code}: ${errorMessage(error)})`)
    return {checked: false, reason: errorMessage(error)}
  }
}

/**
 * What is out of compliance: the SSMSessionRunAs attribute always (it overrides every document); once the
 * guardrail is in use (any permission set has it), every configured permission set without a current,
 * fully provisioned guardrail. Guardrails nobody applied are optional and not a problem.
 */
export function guardrailProblems(check: GuardrailCheck | undefined): string[] {
  if (!check?.checked) return []
  const problems: string[] = []
  if (check.runAsAttributeInTheWay)
    problems.push(`the IAM Identity Center attribute ${RUN_AS_ATTRIBUTE} overrides every RunAs document (ssmx admin guardrails --remove-runas-attribute)`)
  if (!check.permissionSets.some((p) => p.state === 'current' || p.state === 'outdated')) return problems
  for (const p of check.permissionSets) {
    if (p.state === 'not-found') problems.push(`permission set ${p.permissionSet} is not in IAM Identity Center`)
    else if (!p.current) problems.push(`the guardrail of ${p.permissionSet} is ${p.state} (ssmx admin guardrails)`)
    else if (p.notProvisionedAccounts.length > 0)
      problems.push(`${p.permissionSet} is not provisioned with its guardrail to ${p.notProvisionedAccounts.join(', ')} (ssmx admin guardrails)`)
  }
  return problems
}

export interface GuardrailRunOptions extends GuardrailOptions {
  dryRun?: boolean
  /** apply without asking */
  yes?: boolean
  /** the answer is JSON: nothing to ask in, so applying needs --yes */
  json?: boolean
  /** shows the plan, then the result (stdout) */
  show: (what: {plan: GuardrailPlan} | {result: GuardrailResult}) => void
  /** asks before writing; false cancels */
  confirm: () => Promise<boolean>
}

/**
 * `ssmx admin guardrails`: plan, show, confirm (or --yes), apply, show. A permission set whose provisioning did not
 * succeed ends the command with `compliance` (12), the result still its --json answer.
 */
export async function runGuardrails(config: SsmxConfig, options: GuardrailRunOptions, deps: IdcDeps): Promise<GuardrailResult> {
  if (Object.keys(config.permissionSets).length === 0) {
    throw new SsmxError('config', 'The ssmx configuration names no permission sets.', [
      'Add permissionSets (name → runAsUser) to the configuration; see ssmx admin render.',
    ])
  }
  const plan = await planGuardrails(config, options, deps)
  options.show({plan})
  if (options.dryRun || !planHasChanges(plan)) return resultOf(plan, Boolean(options.dryRun))
  if (!options.yes) {
    if (options.json) throw new SsmxError('usage', 'With --json, pass --yes to apply (or --dry-run).')
    if (!(await options.confirm())) throw new SsmxError('cancelled', 'Cancelled; nothing was changed.')
  }
  const result = await applyGuardrails(plan, deps)
  options.show({result})
  const failed = provisioningFailed(result)
  if (failed.length > 0) {
    throw new SsmxError(
      'compliance',
      `Provisioning did not succeed for ${failed.map((f) => f.name).join(', ')}.`,
      [
        'The inline policies are written; fix the reason above (IAM Identity Center console → Permission sets → Provision), then run ssmx admin guardrails again.',
      ],
      {result},
    )
  }
  return result
}
