import type {SsmxConfig} from '../config/schema.js'
import {documentPlan} from '../documents/naming.js'
import {SsmxError} from '../errors.js'
import {configuredPartition, renderScp} from './scp.js'
import {type BrokerTemplateInput, MAX_TEMPLATE_BYTES, PARAMETERS, functionRoleName, renderTemplate} from './template.js'
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

/** Lambda's limit on a function's environment variables, names and values together. */
export const MAX_LAMBDA_ENVIRONMENT_BYTES = 4096
/** Room for a permission set's target-rule tags in the broker's STS session policy (2,048 characters in all). */
export const MAX_TARGET_RULE_TAGS_CHARACTERS = 1200
/** What the broker's environment holds besides PermissionSets, users and target rules (names, the role ARN, …). */
const BROKER_ENVIRONMENT_OVERHEAD = 400

/** The broker's part of the template, checked: an organization id, users and rules within Lambda's environment. */
function brokerInput(config: SsmxConfig, plan: Plan, permissionSetJsons: string[]): BrokerTemplateInput | undefined {
  const broker = config.admin.broker
  if (!broker.enabled) return undefined
  if (!broker.organizationId) {
    throw new SsmxError('config', 'admin.broker.enabled needs admin.broker.organizationId: the function URL admits only principals of your organization.', [
      'Find it with: aws organizations describe-organization --query Organization.Id --output text',
    ])
  }
  const known = new Set(plan.map((p) => p.permissionSet))
  const unknown = Object.keys(broker.targetRules).filter((ps) => !known.has(ps))
  if (unknown.length > 0) {
    throw new SsmxError('config', `admin.broker.targetRules names ${unknown.map((u) => `"${u}"`).join(', ')}, not in permissionSets.`, [
      'Target rules narrow what a mapped permission set may reach: add the permission set to permissionSets first.',
    ])
  }
  for (const [ps, rules] of Object.entries(broker.targetRules)) {
    // the rules' tags become a condition of the STS session policy (2,048 characters with the rest of it)
    const bytes = JSON.stringify(rules.tags ?? {}).length
    if (bytes > MAX_TARGET_RULE_TAGS_CHARACTERS) {
      throw new SsmxError(
        'config',
        `admin.broker.targetRules.${ps}.tags is ${bytes} characters as JSON; the broker's STS session policy leaves room for ${MAX_TARGET_RULE_TAGS_CHARACTERS}.`,
        ['Use fewer tag keys or values (e.g. one tag that names the group of instances).'],
      )
    }
  }
  const usersJson = JSON.stringify(Object.fromEntries(Object.entries(broker.users).sort(([a], [b]) => (a < b ? -1 : 1))))
  const targetRulesJson = JSON.stringify(broker.targetRules)
  const largest = Math.max(...permissionSetJsons.map((j) => Buffer.byteLength(j)))
  const bytes = largest + Buffer.byteLength(usersJson) + Buffer.byteLength(targetRulesJson) + BROKER_ENVIRONMENT_OVERHEAD
  if (bytes > MAX_LAMBDA_ENVIRONMENT_BYTES) {
    throw new SsmxError(
      'config',
      `The broker's settings (permission sets, admin.broker.users, admin.broker.targetRules) need about ${bytes} bytes; Lambda allows ${MAX_LAMBDA_ENVIRONMENT_BYTES} of environment.`,
      ['Map groups of people through permission sets rather than one by one in admin.broker.users (about 100 per-user entries fit).'],
    )
  }
  const linuxUsers = new Set<string>([...plan.map((p) => p.runAsUser), ...Object.values(broker.users)])
  for (const o of Object.values(config.admin.overrides)) for (const e of Object.values(o.permissionSets ?? {})) linuxUsers.add(e.runAsUser)
  if (linuxUsers.size === 0) {
    throw new SsmxError('config', 'admin.broker is enabled but no Linux user is configured: the broker would refuse everyone.', [
      'Configure permissionSets (permission set → runAsUser) or admin.broker.users.',
    ])
  }
  return {
    organizationId: broker.organizationId,
    usersJson,
    targetRulesJson,
    only: [...broker.only].sort(),
    reservedConcurrency: broker.reservedConcurrency,
    linuxUsers: [...linuxUsers].sort(),
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
  const overrideJsons = Object.entries(config.admin.overrides).map(([ou, o]) =>
    permissionSetsJson(plan, o.permissionSets, `admin.overrides.${ou}.permissionSets`),
  )
  const broker = brokerInput(config, plan, [base, ...overrideJsons])
  const documents = plan.map((p) => p.document).sort()
  const {body, templateVersion} = renderTemplate({
    ssmxVersion: version,
    defaultRunAsUser: config.defaultRunAsUser,
    permissionSetsJson: base,
    onDelete: config.admin.onDelete,
    documents,
    ...(broker ? {broker} : {}),
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
    ...(broker ? [{ParameterKey: PARAMETERS.ouOverridden, ParameterValue: ''}] : []),
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
        if (broker) overridden.push({ParameterKey: PARAMETERS.ouOverridden, ParameterValue: Object.keys(o.permissionSets).sort().join(',')})
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
