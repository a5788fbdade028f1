import type {StackSet} from '../aws/cloudformation.js'

import type {SsmxConfig} from '../config/schema.js'
import {SsmxError} from '../errors.js'
import {type AdminDeps, mapLimit} from './deps.js'
import {checkPrerequisites, validateRegions, validateTargets} from './organization.js'
import {scpTargets} from './scp.js'
import {type ScpPlan, applyScp, planScp} from './scp-deploy.js'
import {
  OPERATION_PREFERENCES,
  type OperationOutcome,
  awaitRunningOperation,
  deployedTargets,
  describeStackSet,
  instanceOverrides,
  needsRepair,
  startOperation,
  waitForOperation,
} from './stackset.js'
import type {AdminArtifacts, Parameter} from './types.js'

export const CAPABILITIES = ['CAPABILITY_NAMED_IAM'] as const
export const AUTO_DEPLOYMENT = {Enabled: true, RetainStacksOnAccountRemoval: false}
export const MANAGED_EXECUTION = {Active: true}

export type InstanceChange = 'create' | 'update' | 'repair' | 'delete' | 'unchanged'

export interface InstancePlan {
  organizationalUnitId: string
  region: string
  change: InstanceChange
  /** why: override changes, instances to repair */
  reason?: string
  /** the OU's parameter overrides to deploy with */
  overrides: Parameter[]
}

export interface EnforcePlan {
  stackSetName: string
  callAs: AdminDeps['callAs']
  region: string
  stackSet: {change: 'create' | 'update' | 'unchanged'; reasons: string[]}
  instances: InstancePlan[]
  scp?: ScpPlan
  /** OU/root/account id → name, for display */
  names: Record<string, string>
  /** number of changes; 0 means a re-run changes nothing */
  changes: number
}

export interface EnforceResult {
  plan: EnforcePlan
  applied: boolean
  operations: OperationOutcome[]
  /** operations started but not waited for (--no-wait) */
  started: string[]
  /** instance groups not started because --no-wait stops after the first operation */
  pending: number
}

const sortParams = (ps: Parameter[]): Parameter[] => [...ps].sort((a, b) => a.ParameterKey.localeCompare(b.ParameterKey))
const paramKey = (ps: Parameter[]): string => JSON.stringify(sortParams(ps).map((p) => [p.ParameterKey, p.ParameterValue]))

function desiredTargets(config: SsmxConfig): {ous: string[]; regions: string[]; scpTargets: string[]} {
  const {organizationalUnits, regions} = config.admin
  if (!organizationalUnits?.length || !regions?.length) {
    const missing = [!organizationalUnits?.length && 'admin.organizationalUnits', !regions?.length && 'admin.regions'].filter(Boolean).join(' and ')
    throw new SsmxError('config', `The ssmx configuration does not say where to deploy: ${missing} ${missing.includes(' and ') ? 'are' : 'is'} missing.`, [
      'Add for example:\nadmin:\n  organizationalUnits: [ou-abcd-12345678]   # or the root, r-abcd\n  regions: [eu-west-1, us-east-1]',
    ])
  }
  return {ous: organizationalUnits, regions, scpTargets: scpTargets(config)}
}

function compareStackSet(existing: StackSet, artifacts: AdminArtifacts): string[] {
  const reasons: string[] = []
  if (existing.PermissionModel && existing.PermissionModel !== 'SERVICE_MANAGED') {
    throw new SsmxError(
      'config',
      `The stack set ${existing.StackSetName} exists with the ${existing.PermissionModel} permission model; ssmx deploys service-managed stack sets.`,
      ['Pick another admin.stackSetName, or delete the existing stack set (for example one LZA deploys: remove it from customizations-config.yaml).'],
    )
  }
  if ((existing.TemplateBody ?? '').trim() !== artifacts.templateBody.trim()) reasons.push('template differs')
  if (
    paramKey((existing.Parameters ?? []).map((p) => ({ParameterKey: p.ParameterKey ?? '', ParameterValue: p.ParameterValue ?? ''}))) !==
    paramKey(artifacts.parameters)
  ) {
    reasons.push('parameters differ')
  }
  if (
    existing.AutoDeployment?.Enabled !== AUTO_DEPLOYMENT.Enabled ||
    existing.AutoDeployment?.RetainStacksOnAccountRemoval !== AUTO_DEPLOYMENT.RetainStacksOnAccountRemoval
  ) {
    reasons.push('auto-deployment settings differ')
  }
  if (existing.ManagedExecution?.Active !== MANAGED_EXECUTION.Active) reasons.push('managed execution is off')
  if (!CAPABILITIES.every((c) => (existing.Capabilities ?? []).includes(c))) reasons.push('capabilities differ')
  return reasons
}

/**
 * Works out what enforce would change, after checking prerequisites, OUs and regions. Reads only.
 */
export async function planEnforce(
  deps: AdminDeps,
  config: SsmxConfig,
  artifacts: AdminArtifacts,
  options: {wait: boolean} = {wait: true},
): Promise<EnforcePlan> {
  const {ous, regions, scpTargets} = desiredTargets(config)
  const name = config.admin.stackSetName
  const facts = await checkPrerequisites(deps, {scp: config.admin.scp.enabled})
  const ids = [
    ...ous.map((id) => ({id, key: 'admin.organizationalUnits'})),
    ...Object.keys(config.admin.overrides).map((id) => ({id, key: 'admin.overrides'})),
    ...scpTargets.map((id) => ({id, key: 'admin.scp.targets'})),
  ]
  const [names] = await Promise.all([validateTargets(deps, facts.roots, ids), validateRegions(deps, regions)])
  const desiredOverrides = new Map(artifacts.ouOverrides.map((o) => [o.organizationalUnitId, o.parameters]))
  const overridesFor = (ou: string) => desiredOverrides.get(ou) ?? []

  let existing = await describeStackSet(deps, name)
  if (existing) {
    // Plan against a settled state: an operation someone else started is waited for (bounded) first, and the
    // stack set read again only then
    if (await awaitRunningOperation(deps, name, options.wait)) existing = await describeStackSet(deps, name)
  }
  const instances: InstancePlan[] = []
  let stackSet: EnforcePlan['stackSet']
  if (!existing) {
    stackSet = {change: 'create', reasons: []}
    for (const ou of ous) for (const region of regions) instances.push({organizationalUnitId: ou, region, change: 'create', overrides: overridesFor(ou)})
  } else {
    const reasons = compareStackSet(existing, artifacts)
    stackSet = {change: reasons.length > 0 ? 'update' : 'unchanged', reasons}
    // One page-wise pass over the instances: what needs repair per OU × region, and one sample account per OU.
    const repairs = new Map<string, {count: number; reason?: string}>()
    const sample = new Map<string, {account: string; region: string}>()
    const targets = await deployedTargets(deps, name, (i) => {
      const ou = i.OrganizationalUnitId ?? ''
      if (i.Account && i.Region && !sample.has(ou) && i.Status === 'CURRENT') sample.set(ou, {account: i.Account, region: i.Region})
      if (needsRepair(i)) {
        const key = `${ou}|${i.Region}`
        const r = repairs.get(key) ?? {count: 0}
        r.count++
        r.reason ??= i.StatusReason
        repairs.set(key, r)
      }
    })
    const current = new Map<string, Parameter[]>()
    await mapLimit([...sample.entries()], 5, async ([ou, s]) => current.set(ou, await instanceOverrides(deps, name, s.account, s.region)))
    for (const ou of ous) {
      const deployed = targets.get(ou) ?? new Set<string>()
      const overridesChanged = current.has(ou) && paramKey(current.get(ou)!) !== paramKey(overridesFor(ou))
      for (const region of regions) {
        const repair = repairs.get(`${ou}|${region}`)
        if (!deployed.has(region)) instances.push({organizationalUnitId: ou, region, change: 'create', overrides: overridesFor(ou)})
        else if (overridesChanged)
          instances.push({organizationalUnitId: ou, region, change: 'update', reason: 'parameter overrides change', overrides: overridesFor(ou)})
        else if (repair) {
          const what = `${repair.count} instance${repair.count > 1 ? 's' : ''} to repair${repair.reason ? ` (${repair.reason})` : ''}`
          instances.push({organizationalUnitId: ou, region, change: 'repair', reason: what, overrides: overridesFor(ou)})
        } else instances.push({organizationalUnitId: ou, region, change: 'unchanged', overrides: overridesFor(ou)})
      }
    }
    for (const [ou, deployed] of targets) {
      for (const region of deployed) {
        if (!ous.includes(ou) || !regions.includes(region))
          instances.push({organizationalUnitId: ou, region, change: 'delete', reason: 'no longer configured', overrides: []})
      }
    }
  }

  const scp = config.admin.scp.enabled
    ? await planScp(deps, {name: artifacts.scpName, content: artifacts.scpContent, description: artifacts.scpDescription, targets: scpTargets})
    : undefined
  const changes =
    (stackSet.change === 'unchanged' ? 0 : 1) +
    instances.filter((i) => i.change !== 'unchanged').length +
    (scp ? (scp.change === 'unchanged' ? 0 : 1) + scp.attachments.filter((a) => a.change !== 'unchanged').length : 0)
  return {stackSetName: name, callAs: deps.callAs, region: deps.region, stackSet, instances, ...(scp ? {scp} : {}), names: Object.fromEntries(names), changes}
}

interface Group {
  change: InstanceChange
  ous: string[]
  regions: string[]
  overrides: Parameter[]
}

/** Instance changes as few operations as possible: one per kind × override set × region set. */
export function groupInstanceChanges(instances: InstancePlan[]): Group[] {
  const byOu = new Map<string, {change: InstanceChange; regions: string[]; overrides: Parameter[]}>()
  for (const i of instances.filter((x) => x.change !== 'unchanged')) {
    const change = i.change === 'repair' ? 'update' : i.change
    const key = `${change}|${i.organizationalUnitId}`
    const entry = byOu.get(key) ?? {change, regions: [], overrides: i.overrides}
    entry.regions.push(i.region)
    byOu.set(key, entry)
  }
  const groups = new Map<string, Group>()
  for (const [key, e] of byOu) {
    const ou = key.slice(key.indexOf('|') + 1)
    const regions = [...e.regions].sort()
    const gk = `${e.change}|${regions.join(',')}|${e.change === 'delete' ? '' : paramKey(e.overrides)}`
    const g = groups.get(gk) ?? {change: e.change, ous: [], regions, overrides: sortParams(e.overrides)}
    g.ous.push(ou)
    groups.set(gk, g)
  }
  const order: InstanceChange[] = ['create', 'update', 'delete']
  return [...groups.values()].sort((a, b) => order.indexOf(a.change) - order.indexOf(b.change))
}

/**
 * Applies a plan: the SCP first (it exempts the stack set's roles, so it never blocks the deployment and the
 * documents are protected from the moment they are written), then the stack set and its instances, each
 * operation waited for unless `wait` is false (then the first operation is started and the rest left for a re-run).
 */
export async function applyEnforce(deps: AdminDeps, plan: EnforcePlan, artifacts: AdminArtifacts, options: {wait: boolean}): Promise<EnforceResult> {
  const name = plan.stackSetName
  const result: EnforceResult = {plan, applied: true, operations: [], started: [], pending: 0}
  if (plan.scp) await applyScp(deps, plan.scp, {content: artifacts.scpContent, description: artifacts.scpDescription})

  const description = `ssmx ${artifacts.templateVersion}: per-permission-set Session Manager RunAs documents`
  const common = {StackSetName: name, CallAs: deps.callAs}
  const run = async (action: string, start: () => Promise<{OperationId?: string}>): Promise<boolean> => {
    const operationId = await startOperation(deps, name, options.wait, start)
    deps.progress({type: 'operation', operationId, action, status: 'STARTED'})
    if (!options.wait) {
      result.started.push(operationId)
      return false
    }
    result.operations.push(await waitForOperation(deps, name, operationId, action))
    return true
  }

  if (plan.stackSet.change === 'create') {
    deps.progress({type: 'step', message: `Creating stack set ${name} (service-managed, auto-deployment on)`})
    await deps.cfn.createStackSet({
      ...common,
      Description: description,
      TemplateBody: artifacts.templateBody,
      Parameters: artifacts.parameters,
      Capabilities: [...CAPABILITIES],
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: AUTO_DEPLOYMENT,
      ManagedExecution: MANAGED_EXECUTION,
      Tags: [{Key: 'managed-by', Value: 'ssmx'}],
    })
  }
  let stackSetUpdated = false
  if (plan.stackSet.change === 'update') {
    const waited = await run('UPDATE_STACK_SET', () =>
      deps.cfn.updateStackSet({
        ...common,
        Description: description,
        TemplateBody: artifacts.templateBody,
        Parameters: artifacts.parameters,
        Capabilities: [...CAPABILITIES],
        AutoDeployment: AUTO_DEPLOYMENT,
        ManagedExecution: MANAGED_EXECUTION,
        OperationPreferences: OPERATION_PREFERENCES,
      }),
    )
    stackSetUpdated = true
    if (!waited) {
      result.pending = groupInstanceChanges(plan.instances).length
      return result
    }
  }

  // An UpdateStackSet has just redeployed every instance, so repairs are done; override changes still need their own update.
  const instances = stackSetUpdated ? plan.instances.filter((i) => i.change !== 'repair') : plan.instances
  const groups = groupInstanceChanges(instances)
  for (const [index, g] of groups.entries()) {
    const targets = {DeploymentTargets: {OrganizationalUnitIds: g.ous}, Regions: g.regions, OperationPreferences: OPERATION_PREFERENCES}
    let waited: boolean
    if (g.change === 'create') {
      waited = await run('CREATE_STACK_INSTANCES', () =>
        deps.cfn.createStackInstances({...common, ...targets, ...(g.overrides.length > 0 ? {ParameterOverrides: g.overrides} : {})}),
      )
    } else if (g.change === 'update') {
      waited = await run('UPDATE_STACK_INSTANCES', () => deps.cfn.updateStackInstances({...common, ...targets, ParameterOverrides: g.overrides}))
    } else {
      waited = await run('DELETE_STACK_INSTANCES', () => deps.cfn.deleteStackInstances({...common, ...targets, RetainStacks: false}))
    }
    if (!waited) {
      result.pending = groups.length - index - 1
      break
    }
  }
  return result
}

export interface EnforceOptions {
  dryRun: boolean
  wait: boolean
  /** shows the plan (stdout) */
  show: (plan: EnforcePlan) => void
  /** asks before changing anything; false cancels */
  confirm: (plan: EnforcePlan) => Promise<boolean>
}

/** Plan, show, confirm, apply. Failed accounts come back in the result's operations; the caller decides the exit code. */
export async function enforce(deps: AdminDeps, config: SsmxConfig, artifacts: AdminArtifacts, options: EnforceOptions): Promise<EnforceResult> {
  const plan = await planEnforce(deps, config, artifacts, {wait: options.wait})
  options.show(plan)
  if (plan.changes === 0 || options.dryRun) return {plan, applied: false, operations: [], started: [], pending: 0}
  if (!(await options.confirm(plan))) throw new SsmxError('cancelled', 'Nothing was changed.')
  return applyEnforce(deps, plan, artifacts, {wait: options.wait})
}
