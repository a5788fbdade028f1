/**
 * The one comparison of what is deployed with what this configuration renders, shared by `admin enforce` (which
 * plans the changes) and `admin status` (which reports them): a deployment status calls compliant is one enforce
 * would not change, and the other way round.
 */
import type {StackInstanceSummary, StackSet} from '../aws/cloudformation.js'

import {SsmxError} from '../errors.js'
import {type AdminDeps, mapLimit} from './deps.js'
import {deployedTargets, instanceOverrides} from './stackset.js'
import type {AdminArtifacts, Parameter} from './types.js'

export const CAPABILITIES = ['CAPABILITY_NAMED_IAM'] as const
export const AUTO_DEPLOYMENT = {Enabled: true, RetainStacksOnAccountRemoval: false}
export const MANAGED_EXECUTION = {Active: true}

export const sortParams = (ps: Parameter[]): Parameter[] => [...ps].sort((a, b) => a.ParameterKey.localeCompare(b.ParameterKey))
export const paramKey = (ps: Parameter[]): string => JSON.stringify(sortParams(ps).map((p) => [p.ParameterKey, p.ParameterValue]))

/**
 * What differs between the stack set and what this configuration renders (empty: nothing): its template,
 * parameters, auto-deployment, managed execution and capabilities. A stack set ssmx cannot manage is an error.
 */
export function compareStackSet(existing: StackSet, artifacts: AdminArtifacts): string[] {
  if (existing.PermissionModel && existing.PermissionModel !== 'SERVICE_MANAGED') {
    throw new SsmxError(
      'config',
      `The stack set ${existing.StackSetName} exists with the ${existing.PermissionModel} permission model; ssmx deploys service-managed stack sets.`,
      ['Pick another admin.stackSetName, or delete the existing stack set (for example one LZA deploys: remove it from customizations-config.yaml).'],
    )
  }
  const reasons: string[] = []
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

const FAILED_DETAILED = new Set(['FAILED', 'CANCELLED', 'INOPERABLE', 'FAILED_IMPORT'])

/**
 * Is a stack instance out of compliance, so that enforce redeploys it: not current (outdated, inoperable), a failed,
 * cancelled or failed-import deployment, or drifted as CloudFormation last detected it.
 */
export function needsRepair(i: StackInstanceSummary): boolean {
  return i.Status !== 'CURRENT' || FAILED_DETAILED.has(i.StackInstanceStatus?.DetailedStatus ?? '') || i.DriftStatus === 'DRIFTED'
}

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

/** What one page-wise pass over an existing stack set's instances finds. */
export interface Deployment {
  /** what differs at the stack-set level (compareStackSet) */
  reasons: string[]
  /** OU → regions the stack set is deployed to (auto-deployment targets and every instance's OU and region) */
  targets: Map<string, Set<string>>
  /** `ou|region` → instances there that need repair, with the first reason CloudFormation gave */
  repairs: Map<string, {count: number; reason?: string}>
  /** OU → the parameter overrides its instances carry (read from one current instance of the OU) */
  overrides: Map<string, Parameter[]>
}

/**
 * Reads an existing stack set's deployment: one list pass over its instances (each also handed to `each`, for
 * status's rows), then one DescribeStackInstance per OU for the overrides it is deployed with.
 */
export async function readDeployment(
  deps: Pick<AdminDeps, 'cfn' | 'callAs'>,
  stackSet: StackSet,
  artifacts: AdminArtifacts,
  each: (i: StackInstanceSummary) => void = () => {},
): Promise<Deployment> {
  const reasons = compareStackSet(stackSet, artifacts)
  const name = stackSet.StackSetName ?? ''
  const repairs = new Map<string, {count: number; reason?: string}>()
  const sample = new Map<string, {account: string; region: string}>()
  const targets = await deployedTargets(deps, name, (i) => {
    const ou = i.OrganizationalUnitId ?? ''
    if (i.Account && i.Region && !sample.has(ou) && i.Status === 'CURRENT') sample.set(ou, {account: i.Account, region: i.Region})
    if (needsRepair(i)) {
      const key = `${ou}|${i.Region}`
      const r = repairs.get(key) ?? {count: 0}
      r.count++
      r.reason ??= i.StatusReason ?? (i.DriftStatus === 'DRIFTED' ? 'drifted' : undefined)
      repairs.set(key, r)
    }
    each(i)
  })
  const overrides = new Map<string, Parameter[]>()
  await mapLimit([...sample.entries()], 5, async ([ou, s]) => overrides.set(ou, await instanceOverrides(deps, name, s.account, s.region)))
  return {reasons, targets, repairs, overrides}
}

/**
 * Per configured OU × region what enforce does (create where not deployed, update where the OU's overrides changed,
 * repair failed, outdated or drifted instances), and delete where the stack set is deployed but no longer configured.
 * Without a deployment (no stack set yet) every configured pair is a create.
 */
export function planInstances(
  deployment: Deployment | undefined,
  desired: {ous: string[]; regions: string[]; overridesFor: (ou: string) => Parameter[]},
): InstancePlan[] {
  const {ous, regions, overridesFor} = desired
  const instances: InstancePlan[] = []
  for (const ou of ous) {
    const deployed = deployment?.targets.get(ou) ?? new Set<string>()
    const current = deployment?.overrides.get(ou)
    const overridesChanged = current !== undefined && paramKey(current) !== paramKey(overridesFor(ou))
    for (const region of regions) {
      const base = {organizationalUnitId: ou, region, overrides: overridesFor(ou)}
      const repair = deployment?.repairs.get(`${ou}|${region}`)
      if (!deployed.has(region)) instances.push({...base, change: 'create'})
      else if (overridesChanged) instances.push({...base, change: 'update', reason: 'parameter overrides change'})
      else if (repair)
        instances.push({
          ...base,
          change: 'repair',
          reason: `${repair.count} instance${repair.count > 1 ? 's' : ''} to repair${repair.reason ? ` (${repair.reason})` : ''}`,
        })
      else instances.push({...base, change: 'unchanged'})
    }
  }
  for (const [ou, deployed] of deployment?.targets ?? []) {
    for (const region of deployed) {
      if (!ous.includes(ou) || !regions.includes(region))
        instances.push({organizationalUnitId: ou, region, change: 'delete', reason: 'no longer configured', overrides: []})
    }
  }
  return instances
}
