import type {StackInstanceSummary, StackSet} from '../aws/cloudformation.js'
import {parseDocument} from 'yaml'

import type {SsmxConfig} from '../config/schema.js'
import {SsmxError} from '../errors.js'
import type {AdminDeps} from './deps.js'
import type {IdcDeps} from './guardrails/idc.js'
import {type GuardrailCheck, checkGuardrails, guardrailProblems} from './guardrails/service.js'
import {scpTargets} from './scp.js'
import {findPolicy, policyTargets, sameContent} from './scp-deploy.js'
import {type InstancePlan, needsRepair, planInstances, readDeployment} from './deployment.js'
import {describeStackSet} from './stackset.js'
import type {AdminArtifacts} from './types.js'

export interface InstanceRow {
  organizationalUnitId: string
  account: string
  region: string
  status: string
  detailedStatus?: string
  drift: string
  reason?: string
  compliant: boolean
  /** the session broker in this account × region: deployed (the stack is current with a template that has it), absent, or unknown (the stack is not current) */
  broker?: {state: 'present' | 'absent' | 'unknown'; version?: string}
}

/** The session broker across the organization, as far as the stack set tells (no per-account calls). */
export interface BrokerStatus {
  /** admin.broker.enabled in this configuration */
  configured: boolean
  /** the deployed template has the broker, at this ssmx version */
  deployed: boolean
  version?: string
  present: number
  unknown: number
  total: number
}

export interface StatusReport {
  stackSetName: string
  callAs: string
  stackSet: {
    exists: boolean
    status?: string
    /** the ssmx template version deployed, as read from the stack set's template */
    deployedVersion?: string
    expectedVersion: string
    /** the deployed template and parameters are what this ssmx renders from this configuration */
    matchesConfiguration: boolean
  }
  /** configured OU × region pairs the stack set does not target */
  missingTargets: Array<{organizationalUnitId: string; region: string}>
  instances: InstanceRow[]
  /** per OU: instance counts by status */
  summary: Record<string, {total: number; compliant: number; outdated: number; drifted: number; failed: number}>
  scp?: {name: string; exists: boolean; contentMatches: boolean; targets: Array<{targetId: string; attached: boolean}>}
  broker?: BrokerStatus
  problems: string[]
  compliant: boolean
}

/** The ssmx template version written into a template: an Output or Metadata key naming a version, else the Description. */
export function templateVersionOf(templateBody: string | undefined): string | undefined {
  if (!templateBody) return undefined
  let doc: unknown
  try {
    doc = parseDocument(templateBody, {strict: false, logLevel: 'silent'}).toJS({maxAliasCount: -1})
  } catch {
    return undefined
  }
  if (!doc || typeof doc !== 'object') return undefined
  const t = doc as {Outputs?: Record<string, {Value?: unknown}>; Metadata?: unknown; Description?: unknown}
  for (const [key, out] of Object.entries(t.Outputs ?? {})) {
    if (/version/i.test(key) && typeof out?.Value === 'string') return out.Value
  }
  const fromMetadata = findVersion(t.Metadata, 0)
  if (fromMetadata) return fromMetadata
  const m = typeof t.Description === 'string' ? /\b(\d+\.\d+\.\d+[\w.+-]*)/.exec(t.Description) : null
  return m?.[1]
}

function findVersion(node: unknown, depth: number): string | undefined {
  if (!node || typeof node !== 'object' || depth > 4) return undefined
  for (const [key, value] of Object.entries(node)) {
    if (/version/i.test(key) && (typeof value === 'string' || typeof value === 'number')) return String(value)
  }
  for (const value of Object.values(node)) {
    const found = findVersion(value, depth + 1)
    if (found) return found
  }
  return undefined
}

/** The broker in a deployed template: its version (the BrokerVersion output), or undefined when it has none. */
export function brokerVersionOf(templateBody: string | undefined): string | undefined {
  if (!templateBody) return undefined
  let doc: {Resources?: Record<string, unknown>; Outputs?: Record<string, {Value?: unknown}>} | undefined
  try {
    doc = parseDocument(templateBody, {strict: false, logLevel: 'silent'}).toJS({maxAliasCount: -1})
  } catch {
    return undefined
  }
  if (!doc?.Resources || !('BrokerFunction' in doc.Resources)) return undefined
  const v = doc.Outputs?.BrokerVersion?.Value
  return typeof v === 'string' ? v : 'unknown'
}

/**
 * Compliance of the deployment, read-only: the stack set and its version, every stack instance (paged, one list
 * call per 100 instances, and one DescribeStackInstance per OU for its overrides), and the SCP's attachments (one list
 * call for all targets). It is compliant exactly when `admin enforce` would change nothing: both compare with
 * the same functions (admin/deployment.ts).
 */
export async function adminStatus(deps: AdminDeps, config: SsmxConfig, artifacts: AdminArtifacts): Promise<StatusReport> {
  const name = config.admin.stackSetName
  const stackSet = await describeStackSet(deps, name)
  const report: StatusReport = {
    stackSetName: name,
    callAs: deps.callAs,
    stackSet: {exists: Boolean(stackSet), expectedVersion: artifacts.templateVersion, matchesConfiguration: false},
    missingTargets: [],
    instances: [],
    summary: {},
    problems: [],
    compliant: false,
  }
  if (stackSet) await stackSetStatus(deps, config, artifacts, stackSet, report)
  else report.problems.push(`The stack set ${name} does not exist: run ssmx admin enforce.`)
  if (config.admin.scp.enabled) report.scp = await scpStatus(deps, scpTargets(config), artifacts, report.problems)
  report.compliant = report.problems.length === 0
  return report
}

/** The stack set, its instances (a row each) and where it is deployed, compared as enforce compares them. */
async function stackSetStatus(deps: AdminDeps, config: SsmxConfig, artifacts: AdminArtifacts, stackSet: StackSet, report: StatusReport): Promise<void> {
  const {problems} = report
  const brokerVersion = brokerVersionOf(stackSet.TemplateBody)
  const broker = config.admin.broker.enabled || brokerVersion !== undefined ? {version: brokerVersion} : undefined
  const deployment = await readDeployment(deps, stackSet, artifacts, (i) => addInstance(report, i, broker))
  const matchesTemplate = !deployment.reasons.includes('template differs')
  const deployedVersion = matchesTemplate ? artifacts.templateVersion : templateVersionOf(stackSet.TemplateBody)
  report.stackSet = {
    exists: true,
    status: stackSet.Status,
    ...(deployedVersion ? {deployedVersion} : {}),
    expectedVersion: artifacts.templateVersion,
    matchesConfiguration: deployment.reasons.length === 0,
  }
  if (deployedVersion !== artifacts.templateVersion) {
    problems.push(
      `The stack set runs template version ${deployedVersion ?? 'unknown'}; this ssmx deploys ${artifacts.templateVersion}: run ssmx admin enforce.`,
    )
  } else if (!matchesTemplate) {
    problems.push("The stack set's template differs from what this configuration renders: run ssmx admin enforce.")
  } else if (deployment.reasons.length > 0) {
    problems.push(`The stack set differs from what this configuration renders (${deployment.reasons.join(', ')}): run ssmx admin enforce.`)
  }

  const desiredOverrides = new Map(artifacts.ouOverrides.map((o) => [o.organizationalUnitId, o.parameters]))
  const planned = planInstances(deployment, {
    ous: config.admin.organizationalUnits ?? [],
    regions: config.admin.regions ?? [],
    overridesFor: (ou) => desiredOverrides.get(ou) ?? [],
  })
  const where = (change: InstancePlan['change']) => planned.filter((i) => i.change === change)
  report.missingTargets = where('create').map(({organizationalUnitId, region}) => ({organizationalUnitId, region}))
  if (report.missingTargets.length > 0) {
    problems.push(`Not deployed to ${report.missingTargets.map((t) => `${t.organizationalUnitId}/${t.region}`).join(', ')}: run ssmx admin enforce.`)
  }
  const overridden = [...new Set(where('update').map((i) => i.organizationalUnitId))]
  if (overridden.length > 0) problems.push(`The parameter overrides deployed to ${overridden.join(', ')} differ from admin.overrides: run ssmx admin enforce.`)
  const extra = where('delete')
  if (extra.length > 0)
    problems.push(
      `Deployed to ${extra.map((t) => `${t.organizationalUnitId}/${t.region}`).join(', ')}, no longer configured: ssmx admin enforce removes those instances.`,
    )
  const bad = report.instances.filter((i) => !i.compliant).length
  if (bad > 0)
    problems.push(
      `${bad} stack instance${bad > 1 ? 's are' : ' is'} not current or drifted (listed above): ssmx admin enforce repairs failed and outdated ones.`,
    )
  if (broker) brokerStatus(config, brokerVersion, report)
}

/** The broker part: where it is deployed, and whether that is what the configuration says. */
function brokerStatus(config: SsmxConfig, brokerVersion: string | undefined, report: StatusReport): void {
  report.broker = {
    configured: config.admin.broker.enabled,
    deployed: brokerVersion !== undefined,
    ...(brokerVersion ? {version: brokerVersion} : {}),
    present: report.instances.filter((i) => i.broker?.state === 'present').length,
    unknown: report.instances.filter((i) => i.broker?.state === 'unknown').length,
    total: report.instances.length,
  }
  if (config.admin.broker.enabled && !brokerVersion)
    report.problems.push('The session broker is configured (admin.broker.enabled) but the deployed template has none: run ssmx admin enforce.')
  if (!config.admin.broker.enabled && brokerVersion)
    report.problems.push(
      'The deployed template has the session broker, but admin.broker.enabled is off in this configuration: run ssmx admin enforce to remove it.',
    )
}

/** One stack instance: its row (with the broker's state when the broker is in play), and its OU's counts. */
function addInstance(report: StatusReport, i: StackInstanceSummary, broker?: {version?: string}): void {
  const ou = i.OrganizationalUnitId ?? '-'
  const detailed = i.StackInstanceStatus?.DetailedStatus
  const drift = i.DriftStatus ?? 'NOT_CHECKED'
  const compliant = !needsRepair(i)
  report.instances.push({
    organizationalUnitId: ou,
    account: i.Account ?? '?',
    region: i.Region ?? '?',
    status: i.Status ?? 'UNKNOWN',
    ...(detailed ? {detailedStatus: detailed} : {}),
    drift,
    ...(i.StatusReason ? {reason: i.StatusReason} : {}),
    compliant,
    ...(broker ? {broker: brokerState(i, broker.version)} : {}),
  })
  const s = (report.summary[ou] ??= {total: 0, compliant: 0, outdated: 0, drifted: 0, failed: 0})
  s.total++
  if (compliant) s.compliant++
  if (i.Status === 'OUTDATED') s.outdated++
  if (drift === 'DRIFTED') s.drifted++
  if (FAILED_DETAILED.has(detailed ?? '') || i.Status === 'INOPERABLE') s.failed++
}

const FAILED_DETAILED = new Set(['FAILED', 'CANCELLED', 'INOPERABLE', 'FAILED_IMPORT'])

/** A current stack has the deployed template's broker (or none); any other stack's state is unknown. */
function brokerState(i: StackInstanceSummary, version: string | undefined): NonNullable<InstanceRow['broker']> {
  const current = i.Status === 'CURRENT' && !FAILED_DETAILED.has(i.StackInstanceStatus?.DetailedStatus ?? '')
  if (!current) return {state: 'unknown'}
  return version ? {state: 'present', version} : {state: 'absent'}
}

/** The SCP: exists, same content and description, attached to every configured target and to no other (as planScp compares). */
async function scpStatus(deps: AdminDeps, expected: string[], artifacts: AdminArtifacts, problems: string[]): Promise<NonNullable<StatusReport['scp']>> {
  const policy = await findPolicy(deps, artifacts.scpName)
  const attachedTo = policy ? new Set(await policyTargets(deps, policy.id)) : new Set<string>()
  const scp = {
    name: artifacts.scpName,
    exists: Boolean(policy),
    contentMatches: sameContent(policy?.content, artifacts.scpContent),
    targets: expected.map((targetId) => ({targetId, attached: attachedTo.has(targetId)})),
  }
  if (!policy) problems.push(`The SCP ${artifacts.scpName} does not exist: run ssmx admin enforce.`)
  else if (!scp.contentMatches) problems.push(`The SCP ${artifacts.scpName} differs from what this configuration renders: run ssmx admin enforce.`)
  else if ((policy.description ?? '') !== artifacts.scpDescription)
    problems.push(`The SCP ${artifacts.scpName}'s description differs from what this configuration renders: run ssmx admin enforce.`)
  const detached = scp.targets.filter((t) => !t.attached).map((t) => t.targetId)
  if (policy && detached.length > 0) problems.push(`The SCP ${artifacts.scpName} is not attached to ${detached.join(', ')}: run ssmx admin enforce.`)
  const stale = [...attachedTo].filter((t) => !expected.includes(t))
  if (stale.length > 0)
    problems.push(`The SCP ${artifacts.scpName} is attached to ${stale.join(', ')}, no longer in admin.scp.targets: ssmx admin enforce detaches it.`)
  return scp
}

export type OrganizationStatus = StatusReport & {guardrails?: GuardrailCheck}

/**
 * `ssmx admin status`: the deployment (adminStatus) and, where IAM Identity Center is reachable with the same
 * profile and region, the guardrails, read in parallel and merged into one list of problems and one verdict.
 */
export async function organizationStatus(
  deps: {admin: AdminDeps; idc: IdcDeps; debug?: (line: string) => void},
  config: SsmxConfig,
  artifacts: AdminArtifacts,
): Promise<OrganizationStatus> {
  const [stacks, guardrails] = await Promise.all([adminStatus(deps.admin, config, artifacts), checkGuardrails(config, deps.idc, {debug: deps.debug})])
  const extra = guardrailProblems(guardrails)
  return {...stacks, ...(guardrails ? {guardrails} : {}), problems: [...stacks.problems, ...extra], compliant: stacks.compliant && extra.length === 0}
}

/** Out of compliance: exit 12, with the report as the --json answer (the text output already ends with the verdict). */
export const outOfCompliance = (report: OrganizationStatus): SsmxError =>
  new SsmxError('compliance', 'Out of compliance.', report.problems, {result: report, shown: true})
