import type {SsmxConfig} from '../config/schema.js'
import {documentPlan} from '../documents/naming.js'
import {SsmxError} from '../errors.js'
import {configuredPartition, renderScp} from './scp.js'
import {MAX_TEMPLATE_BYTES, PARAMETERS, functionRoleName, renderTemplate} from './template.js'
import type {AdminArtifacts, Parameter} from './types.js'

/** CloudFormation's limit on one parameter value. */
export const MAX_PARAMETER_BYTES = 4096

export const SCP_DESCRIPTION =
  'ssmx: only the RunAs function, StackSet execution and Landing Zone Accelerator roles may change SSM-SessionManagerRunShell and the ssmx session documents.'

type Plan = ReturnType<typeof documentPlan>

/** The PermissionSets parameter: JSON of permission set → {document, runAsUser}, with per-OU RunAs users applied. */
function permissionSetsJson(plan: Plan, runAsUsers: Record<string, {runAsUser: string}> = {}, where = 'permissionSets'): string {
  const value = JSON.stringify(
    Object.fromEntries(plan.map((p) => [p.permissionSet, {document: p.document, runAsUser: runAsUsers[p.permissionSet]?.runAsUser ?? p.runAsUser}])),
  )
  if (Buffer.byteLength(value) > MAX_PARAMETER_BYTES) {
    throw new SsmxError('config', `The ${where} map is ${Buffer.byteLength(value)} bytes as a stack parameter; CloudFormation allows ${MAX_PARAMETER_BYTES}.`, [
      'Configure fewer permission sets, or shorter document names (documentPrefix).',
    ])
  }
  return value
}

/** Per-OU overrides must target a deployed OU and configured permission sets. */
function checkOverrides(config: SsmxConfig, plan: Plan): void {
  const known = new Set(plan.map((p) => p.permissionSet))
  const targets = config.admin.organizationalUnits
  for (const [ou, override] of Object.entries(config.admin.overrides)) {
    if (targets && !targets.includes(ou)) {
      throw new SsmxError('config', `admin.overrides names ${ou}, which is not in admin.organizationalUnits (${targets.join(', ')}).`, [
        'Stack-instance parameter overrides apply per deployed OU: add the OU to admin.organizationalUnits or remove the override.',
      ])
    }
    const unknown = Object.keys(override.permissionSets ?? {}).filter((ps) => !known.has(ps))
    if (unknown.length > 0) {
      throw new SsmxError('config', `admin.overrides.${ou}.permissionSets names ${unknown.map((u) => `"${u}"`).join(', ')}, not in permissionSets.`, [
        'Overrides change the RunAs user of configured permission sets: add them to permissionSets first.',
      ])
    }
  }
}

/**
 * Renders the StackSet template, its parameters and the SCP from the configuration. Pure; throws
 * SsmxError('config') for colliding or invalid document names, overrides of unknown OUs or permission
 * sets, mixed partitions, a parameter, template or SCP over its size limit.
 */
export function buildArtifacts(config: SsmxConfig, version: string): AdminArtifacts {
  const plan = documentPlan(config)
  configuredPartition(config)
  checkOverrides(config, plan)
  const base = permissionSetsJson(plan)
  const documents = plan.map((p) => p.document).sort()
  const {body, templateVersion} = renderTemplate({
    ssmxVersion: version,
    defaultRunAsUser: config.defaultRunAsUser,
    permissionSetsJson: base,
    onDelete: config.admin.onDelete,
    documents,
  })
  if (Buffer.byteLength(body) > MAX_TEMPLATE_BYTES) {
    throw new SsmxError('config', `The StackSet template is ${Buffer.byteLength(body)} bytes; CloudFormation accepts ${MAX_TEMPLATE_BYTES} inline.`, [
      'Configure fewer permission sets or documents with explicit names outside documentPrefix.',
    ])
  }
  const parameters: Parameter[] = [
    {ParameterKey: PARAMETERS.defaultRunAsUser, ParameterValue: config.defaultRunAsUser},
    {ParameterKey: PARAMETERS.permissionSets, ParameterValue: base},
    {ParameterKey: PARAMETERS.onDelete, ParameterValue: config.admin.onDelete},
  ]
  const ouOverrides = Object.entries(config.admin.overrides)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([organizationalUnitId, o]) => {
      const overridden: Parameter[] = []
      if (o.defaultRunAsUser) overridden.push({ParameterKey: PARAMETERS.defaultRunAsUser, ParameterValue: o.defaultRunAsUser})
      if (o.permissionSets) {
        overridden.push({
          ParameterKey: PARAMETERS.permissionSets,
          ParameterValue: permissionSetsJson(plan, o.permissionSets, `admin.overrides.${organizationalUnitId}.permissionSets`),
        })
      }
      return {organizationalUnitId, parameters: overridden}
    })
    .filter((o) => o.parameters.length > 0)
  return {
    templateBody: body,
    templateVersion,
    parameters,
    ouOverrides,
    scpContent: renderScp(config, 'concrete'),
    scpName: config.admin.scp.name,
    scpDescription: SCP_DESCRIPTION,
    documents,
    functionRoleName,
  }
}
