import {createTwoFilesPatch} from 'diff'

import type {SsmxConfig} from '../../config/schema.js'
import {errorMessage} from '../../errors.js'
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

/**
 * Reads everything and decides what to write, without changing anything: the instance, every
 * configured permission set (unknown names are an error), the ABAC attribute, and per permission set
 * its inline policy merged with (or, with `remove`, cleared of) the ssmx statements.
 */
export async function planGuardrails(config: SsmxConfig, options: GuardrailOptions, deps: IdcDeps): Promise<GuardrailPlan> {
  const sets = documentPlan(config)
  const instanceArn = await findInstance(deps, options.instanceArn)
  const [byName, runAsAttribute] = await Promise.all([permissionSetsByName(deps, instanceArn), checkRunAsAttribute(deps, instanceArn)])
  requirePermissionSets(
    sets.map((s) => s.permissionSet),
    byName,
  )
  const partition = partitionOf(instanceArn)
  const permissionSets = await mapLimit(sets, deps.concurrency ?? 5, async ({permissionSet, document}) => {
    const arn = byName.get(permissionSet)!
    const current = parsePolicy(await getInlinePolicy(deps, instanceArn, arn), permissionSet)
    const wanted = guardrailStatements({permissionSet, document, allowDocuments: config.admin.guardrails.allowDocuments, partition})
    const state = guardrailState(current, wanted)
    const base = {name: permissionSet, arn, document, state, before: prettyPolicy(current)}
    if (options.remove ? state === 'missing' : state === 'current') {
      const pendingAccounts = await accountsNotOnLatest(deps, instanceArn, arn)
      return {
        ...base,
        change: pendingAccounts.length > 0 ? ('provision' as const) : ('none' as const),
        after: base.before,
        ...(pendingAccounts.length > 0 ? {pendingAccounts} : {}),
      }
    }
    const next = mergeGuardrail(current, options.remove ? [] : wanted)
    if (!next) return {...base, change: 'delete' as const, after: ''}
    return {...base, change: 'put' as const, after: prettyPolicy(next), policy: serializePolicy(next, permissionSet)}
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

export const runAsAttributeWarning = (check: RunAsAttributeCheck): string | undefined =>
  check.runAs
    ? `The IAM Identity Center attribute ${check.runAs.key} is mapped (from ${check.runAs.sources.join(', ') || 'no source'}). This per-user value overrides every RunAs document: Session Manager runs the sessions of a user who has it as that Linux user, whatever document the permission set is pinned to. Remove the mapping with --remove-runas-attribute (other attributes are kept).`
    : undefined

/** What the command prints before asking: per permission set its state and diff, and the ABAC finding. */
export function describePlan(plan: GuardrailPlan): string[] {
  const lines = [`IAM Identity Center instance ${plan.instanceArn}`]
  const warning = runAsAttributeWarning(plan.runAsAttribute)
  if (warning) lines.push('', `! ${warning}`)
  if (plan.removeRunAsAttribute) {
    const kept = plan.runAsAttribute.attributes.filter((a) => a.Key !== plan.runAsAttribute.runAs?.key).map((a) => a.Key)
    lines.push(
      `  will remove the ${RUN_AS_ATTRIBUTE} mapping; keeping ${kept.length > 0 ? kept.join(', ') : 'no other attribute (the attribute configuration is deleted)'}`,
    )
  }
  for (const ps of plan.permissionSets) {
    const settled = plan.remove ? 'no ssmx statements' : `guardrail current (pinned to ${ps.document})`
    const what =
      ps.change === 'none'
        ? `${settled}; nothing to change`
        : ps.change === 'provision'
          ? `${settled}; re-provision: ${ps.pendingAccounts!.length} account(s) do not have the latest version (${ps.pendingAccounts!.join(', ')})`
          : ps.change === 'delete'
            ? 'remove the ssmx statements; the inline policy is left empty and is deleted'
            : plan.remove
              ? 'remove the ssmx statements'
              : ps.state === 'missing'
                ? `add the guardrail (pinned to ${ps.document})`
                : `update the guardrail (pinned to ${ps.document})`
    lines.push('', `${ps.name}: ${what}`)
    const diff = policyDiff(ps)
    if (diff) lines.push(diff)
  }
  if (!planHasChanges(plan)) lines.push('', 'Nothing to change.')
  return lines
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

/** One line per permission set after applying. */
export function describeResult(result: GuardrailResult): string[] {
  const lines = result.permissionSets.map((p) => {
    if (p.change === 'none') return `${p.name}: unchanged`
    const did =
      p.change === 'delete'
        ? 'inline policy deleted'
        : p.change === 'provision'
          ? 'unchanged'
          : result.remove
            ? 'ssmx statements removed'
            : `pinned to ${p.document}`
    const prov = p.provisioning
    if (!prov || prov.status === 'SUCCEEDED') return `${p.name}: ${did}, provisioned to its accounts`
    if (prov.status === 'TIMED_OUT') return `${p.name}: ${did}; provisioning still in progress (request ${prov.requestId}); run again later to check`
    return `${p.name}: ${did}; provisioning FAILED${prov.failedAccounts?.length ? ` in ${prov.failedAccounts.join(', ')}` : ''}: ${prov.failureReason}`
  })
  if (result.runAsAttribute.removed) lines.unshift(`${RUN_AS_ATTRIBUTE} attribute mapping removed`)
  return lines
}

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
  const sets = documentPlan(config)
  const instanceArn = await findInstance(deps, options.instanceArn)
  const [byName, abac] = await Promise.all([permissionSetsByName(deps, instanceArn), checkRunAsAttribute(deps, instanceArn)])
  const partition = partitionOf(instanceArn)
  const permissionSets = await mapLimit(sets, deps.concurrency ?? 5, async ({permissionSet, document}): Promise<GuardrailStatusEntry> => {
    const arn = byName.get(permissionSet)
    if (!arn) return {permissionSet, document, state: 'not-found', current: false, notProvisionedAccounts: []}
    const [text, notProvisionedAccounts] = await Promise.all([getInlinePolicy(deps, instanceArn, arn), accountsNotOnLatest(deps, instanceArn, arn)])
    const policy: PolicyDocument | undefined = parsePolicy(text, permissionSet)
    const state = guardrailState(policy, guardrailStatements({permissionSet, document, allowDocuments: config.admin.guardrails.allowDocuments, partition}))
    return {permissionSet, document, state, current: state === 'current', notProvisionedAccounts}
  })
  return {
    instanceArn,
    runAsAttributeInTheWay: Boolean(abac.runAs),
    ...(abac.runAs ? {runAsAttributeSources: abac.runAs.sources} : {}),
    permissionSets,
  }
}

export function formatGuardrailStatus(status: GuardrailStatus): string[] {
  const text = {
    current: 'present and current',
    outdated: 'present but outdated (run ssmx admin guardrails)',
    missing: 'missing (run ssmx admin guardrails)',
    'not-found': 'permission set not found in IAM Identity Center',
  }
  return [
    `guardrails (IAM Identity Center ${status.instanceArn})`,
    ...status.permissionSets.map(
      (p) =>
        `  ${p.permissionSet.padEnd(24)} ${p.document.padEnd(32)} ${text[p.state]}${p.notProvisionedAccounts.length > 0 ? `; not provisioned to ${p.notProvisionedAccounts.join(', ')}` : ''}`,
    ),
    status.runAsAttributeInTheWay
      ? `  ! ${RUN_AS_ATTRIBUTE} attribute mapped: it overrides every document (ssmx admin guardrails --remove-runas-attribute)`
      : `  ${RUN_AS_ATTRIBUTE} attribute: not mapped`,
  ]
}

/** The guardrail part of `ssmx admin status`: checked, or why not (another region, another account, no access). */
export type GuardrailCheck = ({checked: true} & GuardrailStatus) | {checked: false; reason: string}

/**
 * guardrailStatus for `ssmx admin status`, which may run where IAM Identity Center is not reachable:
 * never throws; undefined when the configuration names no permission sets.
 */
export async function checkGuardrails(config: SsmxConfig, deps: IdcDeps, options: {instanceArn?: string} = {}): Promise<GuardrailCheck | undefined> {
  if (Object.keys(config.permissionSets).length === 0) return undefined
  try {
    return {checked: true, ...(await guardrailStatus(config, deps, options))}
  } catch (error) {
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

export function formatGuardrailCheck(check: GuardrailCheck): string[] {
  if (!check.checked) return [`guardrails: not checked (${check.reason})`]
  const lines = formatGuardrailStatus(check)
  if (!check.permissionSets.some((p) => p.state === 'current' || p.state === 'outdated'))
    lines.splice(1, 0, '  not applied (optional defense in depth: ssmx admin guardrails)')
  return lines
}
