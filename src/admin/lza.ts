import {Document} from 'yaml'

import type {SsmxConfig} from '../config/schema.js'
import {SsmxError} from '../errors.js'
import {renderScp, scpTargets} from './scp.js'
import type {AdminArtifacts, Parameter} from './types.js'

/** Where the files go inside the LZA configuration repository. */
export const lzaTemplatePath = (config: SsmxConfig): string => `cloudformation/${config.admin.stackSetName}.yaml`
export const lzaScpPath = (config: SsmxConfig): string => `service-control-policies/${fileName(config.admin.scp.name)}.json`

/** A file name for a free-form name (SCP names may hold any character). */
export const fileName = (name: string): string => name.replace(/[^a-zA-Z0-9._-]/g, '_')

export interface LzaOutput {
  /** the customizations-config.yaml snippet: customizations.cloudFormationStackSets entries */
  customizations: string
  /** the organization-config.yaml snippet: serviceControlPolicies entry; undefined when the SCP is disabled */
  organization?: string
  /** the SCP with LZA's ${PARTITION} / ${ACCELERATOR_PREFIX} / ${MANAGEMENT_ACCOUNT_ACCESS_ROLE}; undefined when disabled */
  scp?: string
  /** the entries as objects, for callers that merge them (and for schema validation) */
  stackSets: Array<Record<string, unknown>>
  serviceControlPolicy?: Record<string, unknown>
}

/** LZA names OUs ("Root", "Workloads/Prod") and accounts by name: map the configured ids or explain what is missing. */
function namer(config: SsmxConfig) {
  const {organizationalUnits, accounts} = config.admin.lza
  const missing = new Set<string>()
  const name = (id: string): string => {
    const known = /^\d{12}$/.test(id) ? accounts[id] : (organizationalUnits[id] ?? (id.startsWith('r-') ? 'Root' : undefined))
    if (known === undefined) missing.add(id)
    return known ?? id
  }
  const check = (): void => {
    if (missing.size === 0) return
    const ids = [...missing].sort()
    throw new SsmxError('config', `LZA's configuration names OUs and accounts, not ids; no name is configured for ${ids.join(', ')}.`, [
      `Add them to admin.lza.organizationalUnits (OU id → name as in organization-config.yaml, e.g. "Workloads/Prod") or admin.lza.accounts (account id → name as in accounts-config.yaml).`,
    ])
  }
  return {name, check}
}

const lzaParameters = (parameters: Parameter[]) => parameters.map((p) => ({name: p.ParameterKey, value: p.ParameterValue}))

/** A YAML file with a comment header (each header line starts with a space), as LZA configuration snippets are written. */
export function yamlFile(header: string, value: unknown): string {
  const doc = new Document(value, {aliasDuplicateObjects: false, version: '1.1'})
  doc.commentBefore = header
  return doc.toString({lineWidth: 0})
}

/**
 * The LZA entries: one stack set for the OUs without overrides and one per overridden OU (LZA has no
 * per-OU parameter overrides; the OU sets are disjoint so each account gets one stack), and the SCP.
 */
export function renderLza(config: SsmxConfig, artifacts: AdminArtifacts, version: string): LzaOutput {
  const {admin} = config
  if (!admin.regions || !admin.organizationalUnits) {
    throw new SsmxError('config', 'ssmx admin render --lza needs admin.regions and admin.organizationalUnits in the configuration.', [
      'Set admin.regions (e.g. [eu-west-1]) and admin.organizationalUnits (OU ids or the root id).',
    ])
  }
  const {name, check} = namer(config)
  const overridden = new Map(artifacts.ouOverrides.map((o) => [o.organizationalUnitId, o.parameters]))
  const groups: Array<{suffix: string; ous: string[]; parameters: Parameter[]}> = []
  const plain = admin.organizationalUnits.filter((ou) => !overridden.has(ou))
  if (plain.length > 0) groups.push({suffix: '', ous: plain, parameters: artifacts.parameters})
  for (const [ou, parameters] of overridden) {
    const merged = artifacts.parameters.map((p) => parameters.find((o) => o.ParameterKey === p.ParameterKey) ?? p)
    groups.push({suffix: `-${ou}`, ous: [ou], parameters: merged})
  }
  const stackSets = groups.map((g) => ({
    name: `${admin.stackSetName}${g.suffix}`,
    description: `ssmx ${version}: Session Manager RunAs per permission set (template version ${artifacts.templateVersion})`,
    template: lzaTemplatePath(config),
    capabilities: ['CAPABILITY_NAMED_IAM'],
    deploymentTargets: {organizationalUnits: g.ous.map(name)},
    regions: [...admin.regions!],
    parameters: lzaParameters(g.parameters),
  }))
  let serviceControlPolicy: Record<string, unknown> | undefined
  if (admin.scp.enabled) {
    const targets = scpTargets(config)
    const ous = targets.filter((t) => !/^\d{12}$/.test(t)).map(name)
    const accounts = targets.filter((t) => /^\d{12}$/.test(t)).map(name)
    serviceControlPolicy = {
      name: admin.scp.name,
      description: artifacts.scpDescription,
      policy: lzaScpPath(config),
      type: 'customerManaged',
      strategy: 'deny-list',
      deploymentTargets: {...(ous.length ? {organizationalUnits: ous} : {}), ...(accounts.length ? {accounts} : {})},
    }
  }
  check()
  const generated = `Generated by ssmx ${version} (ssmx admin render --lza).`
  return {
    stackSets,
    serviceControlPolicy,
    customizations: yamlFile(
      ` ${generated}\n Merge these entries into customizations-config.yaml under customizations.cloudFormationStackSets;\n the template goes to ${lzaTemplatePath(config)} in the LZA configuration repository.`,
      {customizations: {cloudFormationStackSets: stackSets}},
    ),
    organization: serviceControlPolicy
      ? yamlFile(
          ` ${generated}\n Merge this entry into organization-config.yaml under serviceControlPolicies;\n the policy file goes to ${lzaScpPath(config)} in the LZA configuration repository.`,
          {serviceControlPolicies: [serviceControlPolicy]},
        )
      : undefined,
    scp: admin.scp.enabled ? renderScp(config, 'lza') : undefined,
  }
}
