import type {SsmxConfig} from '../config/schema.js'
import {DEFAULT_SESSION_DOCUMENT, documentNameFor} from './naming.js'

export interface DocumentChoice {
  document: string
  /** why this document */
  reason: 'flag' | 'permission-set' | 'default'
  /** the RunAs user the configuration gives the permission set, when it knows it */
  runAsUser?: string
  /** the document to fall back to when the chosen one does not exist (none in strict mode or for --document) */
  fallback?: string
}

/** --document wins; else the permission set's document; else the account default. */
export function chooseDocument(input: {flag?: string; permissionSet?: string; config: SsmxConfig}): DocumentChoice {
  const {flag, permissionSet, config} = input
  if (flag) return {document: flag, reason: 'flag'}
  if (!permissionSet) return {document: DEFAULT_SESSION_DOCUMENT, reason: 'default', runAsUser: config.defaultRunAsUser}
  return {
    document: documentNameFor(permissionSet, config),
    reason: 'permission-set',
    runAsUser: config.permissionSets[permissionSet]?.runAsUser,
    fallback: config.strict ? undefined : DEFAULT_SESSION_DOCUMENT,
  }
}
