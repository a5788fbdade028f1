import type {StackSet} from '../aws/cloudformation.js'

import type {SsmxConfig} from '../config/schema.js'
import {SsmxError} from '../errors.js'
import type {AdminDeps} from './deps.js'
import {
  AUTO_DEPLOYMENT,
  CAPABILITIES,
  type InstanceChange,
  type InstancePlan,
  MANAGED_EXECUTION,
  paramKey,
  planInstances,
  readDeployment,
  sortParams,
} from './deployment.js'
import {checkPrerequisites, validateRegions, validateTargets} from './organization.js'
import {scpTargets} from './scp.js'
import {type ScpPlan, applyScp, planScp} from './scp-deploy.js'
import {OPERATION_PREFERENCES, type OperationOutcome, awaitRunningOperation, describeStackSet, startOperation, waitForOperation} from './stackset.js'
import type {AdminArtifacts, Parameter} from './types.js'

export {AUTO_DEPLOYMENT, CAPABILITIES, MANAGED_EXECUTION, compareStackSet} from './deployment.js'
export type {InstanceChange, InstancePlan} from './deployment.js'

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
  const names = await checkOrganization(deps, config, {ous, regions, scpTargets})
  const existing = await settledStackSet(deps, name, options.wait)
  const deployment = existing ? await readDeployment(deps, existing, artifacts) : undefined
  const desiredOverrides = new Map(artifacts.ouOverrides.map((o) => [o.organizationalUnitId, o.parameters]))
  const instances = planInstances(deployment, {ous, regions, overridesFor: (ou) => desiredOverrides.get(ou) ?? []})
  const stackSet: EnforcePlan['stackSet'] = !deployment
    ? {change: 'create', reasons: []}
    : {change: deployment.reasons.length > 0 ? 'update' : 'unchanged', reasons: deployment.reasons}
  const scp = config.admin.scp.enabled
    ? await planScp(deps, {name: artifacts.scpName, content: artifacts.scpContent, description: artifacts.scpDescription, targets: scpTargets})
    : undefined
  const changes =
    (stackSet.change === 'unchanged' ? 0 : 1) +
    instances.filter((i) => i.change !== 'unchanged').length +
    (scp ? (scp.change === 'unchanged' ? 0 : 1) + scp.attachments.filter((a) => a.change !== 'unchanged').length : 0)
  return {stackSetName: name, callAs: deps.callAs, region: deps.region, stackSet, instances, ...(scp ? {scp} : {}), names: Object.fromEntries(names), changes}
}

/** Prerequisites, then every configured OU/root/account id and region checked to exist: id → name, for display. */
async function checkOrganization(
  deps: AdminDeps,
  config: SsmxConfig,
  desired: {ous: string[]; regions: string[]; scpTargets: string[]},
): Promise<Map<string, string>> {
  const facts = await checkPrerequisites(deps, {scp: config.admin.scp.enabled})
  const ids = [
    ...desired.ous.map((id) => ({id, key: 'admin.organizationalUnits'})),
    ...Object.keys(config.admin.overrides).map((id) => ({id, key: 'admin.overrides'})),
    ...desired.scpTargets.map((id) => ({id, key: 'admin.scp.targets'})),
  ]
  const [names] = await Promise.all([validateTargets(deps, facts.roots, ids), validateRegions(deps, desired.regions)])
  return names
}

/**
 * The stack set in a settled state: an operation someone else started is waited for (bounded) first, and the
 * stack set read again only then.
 */
async function settledStackSet(deps: AdminDeps, name: string, wait: boolean): Promise<StackSet | undefined> {
  const existing = await describeStackSet(deps, name)
  if (existing && (await awaitRunningOperation(deps, name, wait))) return describeStackSet(deps, name)
  return existing
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

/** Each kind of instance change: its operation's action name and request. */
const INSTANCE_OPERATIONS = {
  create: {
    action: 'CREATE_STACK_INSTANCES',
    start: (cfn: AdminDeps['cfn'], input: InstanceInput, g: Group) =>
      cfn.createStackInstances({...input, ...(g.overrides.length > 0 ? {ParameterOverrides: g.overrides} : {})}),
  },
  update: {
    action: 'UPDATE_STACK_INSTANCES',
    start: (cfn: AdminDeps['cfn'], input: InstanceInput, g: Group) => cfn.updateStackInstances({...input, ParameterOverrides: g.overrides}),
  },
  delete: {action: 'DELETE_STACK_INSTANCES', start: (cfn: AdminDeps['cfn'], input: InstanceInput) => cfn.deleteStackInstances({...input, RetainStacks: false})},
} as const

type InstanceInput = {
  StackSetName: string
  CallAs: AdminDeps['callAs']
  DeploymentTargets: {OrganizationalUnitIds: string[]}
  Regions: string[]
  OperationPreferences: typeof OPERATION_PREFERENCES
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

  if (plan.stackSet.change !== 'unchanged' && !(await writeStackSet(deps, plan, artifacts, run))) {
    result.pending = groupInstanceChanges(plan.instances).length
    return result
  }
  // An UpdateStackSet has just redeployed every instance, so repairs are done; override changes still need their own update.
  const instances = plan.stackSet.change === 'update' ? plan.instances.filter((i) => i.change !== 'repair') : plan.instances
  const groups = groupInstanceChanges(instances)
  for (const [index, g] of groups.entries()) {
    const input: InstanceInput = {
      StackSetName: name,
      CallAs: deps.callAs,
      DeploymentTargets: {OrganizationalUnitIds: g.ous},
      Regions: g.regions,
      OperationPreferences: OPERATION_PREFERENCES,
    }
    const op = INSTANCE_OPERATIONS[g.change as keyof typeof INSTANCE_OPERATIONS]
    if (!(await run(op.action, () => op.start(deps.cfn, input, g)))) {
      result.pending = groups.length - index - 1
      break
    }
  }
  return result
}

/** Creates the stack set, or updates it (an operation, run by `run`); false when that operation was not waited for. */
async function writeStackSet(
  deps: AdminDeps,
  plan: EnforcePlan,
  artifacts: AdminArtifacts,
  run: (action: string, start: () => Promise<{OperationId?: string}>) => Promise<boolean>,
): Promise<boolean> {
  const name = plan.stackSetName
  const desired = {
    StackSetName: name,
    CallAs: deps.callAs,
    Description: `ssmx ${artifacts.templateVersion}: per-permission-set Session Manager RunAs documents`,
    TemplateBody: artifacts.templateBody,
    Parameters: artifacts.parameters,
    Capabilities: [...CAPABILITIES],
    AutoDeployment: AUTO_DEPLOYMENT,
    ManagedExecution: MANAGED_EXECUTION,
  }
  if (plan.stackSet.change === 'create') {
    deps.progress({type: 'step', message: `Creating stack set ${name} (service-managed, auto-deployment on)`})
    await deps.cfn.createStackSet({...desired, PermissionModel: 'SERVICE_MANAGED', Tags: [{Key: 'managed-by', Value: 'ssmx'}]})
    return true
  }
  return run('UPDATE_STACK_SET', () => deps.cfn.updateStackSet({...desired, OperationPreferences: OPERATION_PREFERENCES}))
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
