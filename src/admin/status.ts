import {parseDocument} from 'yaml'

import type {SsmxConfig} from '../config/schema.js'
import type {AdminDeps} from './deps.js'
import {scpTargets} from './scp.js'
import {findPolicy, policyTargets, sameContent} from './scp-deploy.js'
import {deployedTargets, describeStackSet} from './stackset.js'
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

const FAILED_DETAILED = new Set(['FAILED', 'CANCELLED', 'INOPERABLE', 'FAILED_IMPORT'])

/**
 * Compliance of the deployment, read-only: the stack set and its version, every stack instance (paged, one list
 * call per 100 instances, no per-account calls), and the SCP's attachments (one list call for all targets).
 */
export async function adminStatus(deps: AdminDeps, config: SsmxConfig, artifacts: AdminArtifacts): Promise<StatusReport> {
  const name = config.admin.stackSetName
  const ous = config.admin.organizationalUnits ?? []
  const regions = config.admin.regions ?? []
  const problems: string[] = []
  const stackSet = await describeStackSet(deps, name)
  const report: StatusReport = {
    stackSetName: name,
    callAs: deps.callAs,
    stackSet: {exists: Boolean(stackSet), expectedVersion: artifacts.templateVersion, matchesConfiguration: false},
    missingTargets: [],
    instances: [],
    summary: {},
    problems,
    compliant: false,
  }
  if (!stackSet) {
    problems.push(`The stack set ${name} does not exist: run ssmx admin enforce.`)
  } else {
    const matchesTemplate = (stackSet.TemplateBody ?? '').trim() === artifacts.templateBody.trim()
    const deployedVersion = matchesTemplate ? artifacts.templateVersion : templateVersionOf(stackSet.TemplateBody)
    report.stackSet = {
      exists: true,
      status: stackSet.Status,
      ...(deployedVersion ? {deployedVersion} : {}),
      expectedVersion: artifacts.templateVersion,
      matchesConfiguration: matchesTemplate,
    }
    if (deployedVersion !== artifacts.templateVersion) {
      problems.push(
        `The stack set runs template version ${deployedVersion ?? 'unknown'}; this ssmx deploys ${artifacts.templateVersion}: run ssmx admin enforce.`,
      )
    } else if (!matchesTemplate) {
      problems.push("The stack set's template differs from what this configuration renders: run ssmx admin enforce.")
    }

    const targets = await deployedTargets(deps, name, (i) => {
      const ou = i.OrganizationalUnitId ?? '-'
      const detailed = i.StackInstanceStatus?.DetailedStatus
      const drift = i.DriftStatus ?? 'NOT_CHECKED'
      const compliant = i.Status === 'CURRENT' && !FAILED_DETAILED.has(detailed ?? '') && drift !== 'DRIFTED'
      report.instances.push({
        organizationalUnitId: ou,
        account: i.Account ?? '?',
        region: i.Region ?? '?',
        status: i.Status ?? 'UNKNOWN',
        ...(detailed ? {detailedStatus: detailed} : {}),
        drift,
        ...(i.StatusReason ? {reason: i.StatusReason} : {}),
        compliant,
      })
      const s = (report.summary[ou] ??= {total: 0, compliant: 0, outdated: 0, drifted: 0, failed: 0})
      s.total++
      if (compliant) s.compliant++
      if (i.Status === 'OUTDATED') s.outdated++
      if (drift === 'DRIFTED') s.drifted++
      if (FAILED_DETAILED.has(detailed ?? '') || i.Status === 'INOPERABLE') s.failed++
    })
    for (const ou of ous) for (const region of regions) if (!targets.get(ou)?.has(region)) report.missingTargets.push({organizationalUnitId: ou, region})
    if (report.missingTargets.length > 0) {
      problems.push(`Not deployed to ${report.missingTargets.map((t) => `${t.organizationalUnitId}/${t.region}`).join(', ')}: run ssmx admin enforce.`)
    }
    const bad = report.instances.filter((i) => !i.compliant).length
    if (bad > 0)
      problems.push(
        `${bad} stack instance${bad > 1 ? 's are' : ' is'} not current or drifted (listed above): ssmx admin enforce repairs failed and outdated ones.`,
      )
  }

  if (config.admin.scp.enabled) {
    const policy = await findPolicy(deps, artifacts.scpName)
    const expected = scpTargets(config)
    const attachedTo = policy ? new Set(await policyTargets(deps, policy.id)) : new Set<string>()
    report.scp = {
      name: artifacts.scpName,
      exists: Boolean(policy),
      contentMatches: sameContent(policy?.content, artifacts.scpContent),
      targets: expected.map((targetId) => ({targetId, attached: attachedTo.has(targetId)})),
    }
    if (!policy) problems.push(`The SCP ${artifacts.scpName} does not exist: run ssmx admin enforce.`)
    else if (!report.scp.contentMatches) problems.push(`The SCP ${artifacts.scpName} differs from what this configuration renders: run ssmx admin enforce.`)
    const detached = report.scp.targets.filter((t) => !t.attached).map((t) => t.targetId)
    if (policy && detached.length > 0) problems.push(`The SCP ${artifacts.scpName} is not attached to ${detached.join(', ')}: run ssmx admin enforce.`)
  }
  report.compliant = problems.length === 0
  return report
}
