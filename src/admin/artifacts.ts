import type {SsmxConfig} from '../config/schema.js'
import {SsmxError} from '../errors.js'
import type {AdminArtifacts} from './types.js'

/**
 * Renders the StackSet template, its parameters and the SCP from the configuration.
 * PLACEHOLDER: replaced by the real renderer (template + custom resource + SCP).
 */
export function buildArtifacts(_config: SsmxConfig, _version: string): AdminArtifacts {
  throw new SsmxError('internal', 'Admin artifacts are not implemented yet.')
}
