import type {SsmxConfig} from '../../config/schema.js'
import {conventionalDocumentName, documentPlan} from '../../documents/naming.js'
import {yamlFile} from '../lza.js'
import {guardrailSpecFor, guardrailStatements, prettyPolicy, serializePolicy} from './policy.js'

/** Where the inline-policy files go, relative to the LZA configuration repository. */
export const LZA_POLICY_DIR = 'iam-policies'

/** One entry of iam-config.yaml `identityCenter.identityCenterPermissionSets` (LZA's IIdentityCenterPermissionSetConfig). */
export interface LzaPermissionSetEntry {
  name: string
  policies: {inlinePolicy: string}
}

export interface LzaGuardrails {
  /** the inline-policy files, path relative to the LZA configuration repository */
  files: Array<{path: string; content: string}>
  entries: LzaPermissionSetEntry[]
  /** iam-config.yaml fragment with the entries, comments included */
  iamConfigYaml: string
  /** what to tell the user (the overwrite warning first) */
  notes: string[]
}

export const LZA_OVERWRITE_NOTE =
  'LZA owns the inline policy of every permission set it manages and overwrites it on each pipeline run: for those permission sets, a policy written by "ssmx admin guardrails" is lost. Put the guardrail into LZA\'s configuration instead (these files), and do not run "ssmx admin guardrails" on them.'

/** A file name for a permission set: IAM Identity Center's `+ = , @` become `_`, like document names. */
const fileFor = (permissionSet: string) => `${LZA_POLICY_DIR}/${conventionalDocumentName(permissionSet, 'ssmx-guardrail-')}.json`

/**
 * For teams whose permission sets Landing Zone Accelerator manages: one inline-policy file per
 * configured permission set holding the ssmx guardrail statements, and the matching
 * `identityCenterPermissionSets` entries for iam-config.yaml.
 */
export function renderLzaGuardrails(config: SsmxConfig, options: {partition?: string} = {}): LzaGuardrails {
  const plan = documentPlan(config)
  const files = plan.map(({permissionSet, document, runAsUser}) => {
    const policy = {Version: '2012-10-17', Statement: guardrailStatements(guardrailSpecFor(config, {permissionSet, document, runAsUser}, options.partition))}
    serializePolicy(policy, permissionSet)
    return {path: fileFor(permissionSet), content: prettyPolicy(policy)}
  })
  const entries = plan.map(({permissionSet}) => ({name: permissionSet, policies: {inlinePolicy: fileFor(permissionSet)}}))
  const notes = [
    LZA_OVERWRITE_NOTE,
    'LZA has one inline policy per permission set: if an entry already has policies.inlinePolicy, copy the ssmx statements (Sid SsmxGuardrail…) into that file instead of pointing at the ssmx file.',
    'Merge policies.inlinePolicy into your existing identityCenterPermissionSets entries; keep their other keys (awsManaged, customerManaged, sessionDuration, …).',
  ]
  const iamConfigYaml = yamlFile([' ssmx admin guardrails for permission sets managed by Landing Zone Accelerator.', ...notes.map((n) => ` ${n}`)].join('\n'), {
    identityCenter: {identityCenterPermissionSets: entries},
  })
  return {files, entries, iamConfigYaml, notes}
}
