import {SsmxError} from '../errors.js'
import type {SsmxConfig} from '../config/schema.js'

/** The account's default Session Manager preferences document. */
export const DEFAULT_SESSION_DOCUMENT = 'SSM-SessionManagerRunShell'

const INVALID = /[^a-zA-Z0-9_.-]/g

/**
 * The session document for a permission set, when the configuration names none explicitly:
 * `documentPrefix + name`, where every character SSM does not allow in document names
 * (from IAM Identity Center's `+ = , @`) becomes `_`. `Developer` → `SSMX-RunAs-Developer`,
 * `Ops+Admin@eu` → `SSMX-RunAs-Ops_Admin_eu`.
 */
export function conventionalDocumentName(permissionSet: string, prefix: string): string {
  return `${prefix}${permissionSet.replace(INVALID, '_')}`
}

/** The document for a permission set: the configured one, else the conventional name. */
export function documentNameFor(permissionSet: string, config: Pick<SsmxConfig, 'documentPrefix' | 'permissionSets'>): string {
  const explicit = config.permissionSets[permissionSet]?.document
  const name = explicit ?? conventionalDocumentName(permissionSet, config.documentPrefix)
  if (!/^[a-zA-Z0-9_.-]{3,128}$/.test(name) || /^(aws|amazon|amzn)/i.test(name)) {
    throw new SsmxError('config', `Permission set "${permissionSet}" maps to "${name}", which is not a valid SSM document name.`, [
      'Set permissionSets.<name>.document or change documentPrefix so the name has 3-128 of [a-zA-Z0-9_.-] and does not start with aws/amazon/amzn.',
    ])
  }
  return name
}

/**
 * Every configured permission set with its document; throws when two map to the same document
 * (e.g. `Ops+Admin` and `Ops=Admin` both → `…Ops_Admin`) or one maps to the default document.
 */
export function documentPlan(
  config: Pick<SsmxConfig, 'documentPrefix' | 'permissionSets'>,
): Array<{permissionSet: string; document: string; runAsUser: string}> {
  const byDocument = new Map<string, string>()
  const plan = Object.entries(config.permissionSets)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([permissionSet, entry]) => {
      const document = documentNameFor(permissionSet, config)
      const other = byDocument.get(document.toLowerCase())
      if (other !== undefined) {
        throw new SsmxError('config', `Permission sets "${other}" and "${permissionSet}" both map to the document "${document}".`, [
          `Give one of them an explicit name: permissionSets.${permissionSet}.document.`,
        ])
      }
      if (document === DEFAULT_SESSION_DOCUMENT) {
        throw new SsmxError('config', `Permission set "${permissionSet}" maps to ${DEFAULT_SESSION_DOCUMENT}, which ssmx manages separately.`, [
          `Choose another document name for permissionSets.${permissionSet}.document.`,
        ])
      }
      byDocument.set(document.toLowerCase(), permissionSet)
      return {permissionSet, document, runAsUser: entry.runAsUser}
    })
  return plan
}
