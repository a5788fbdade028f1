import type {z} from 'zod'

import {closest} from '../platform/closest.js'
import {SsmxError} from '../errors.js'
import {type LoadConfigOptions, findConfig, userConfigDir} from './find.js'
import {configSchema, type SsmxConfig} from './schema.js'

export type {LoadConfigOptions}
export {userConfigDir}

export interface LoadedConfig {
  config: SsmxConfig
  /** the file it came from, or undefined for built-in defaults */
  filepath?: string
}

/** Validates a raw configuration object; errors name the file and the offending key. */
export function parseConfig(raw: unknown, filepath = '<config>'): SsmxConfig {
  const result = configSchema.safeParse(raw ?? {})
  if (result.success) return result.data
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
    const unknown = issue.code === 'unrecognized_keys' ? unknownKeys(issue.keys, keysAt(configSchema, issue.path)) : issue.message
    return `  ${key}: ${unknown}`
  })
  throw new SsmxError('config', `Invalid ssmx configuration in ${filepath}:\n${lines.join('\n')}`, [
    'Fix the keys above; the README lists every configuration key.',
  ])
}

/** `unknown key "runasuser" (did you mean "runAsUser"?)`, one entry per key. */
function unknownKeys(keys: string[], known: string[]): string {
  return keys
    .map((k) => {
      const near = closest(k, known)
      return `unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ''}`
    })
    .join(', ')
}

type Def = {type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; valueType?: z.ZodType}

/** The keys the schema allows at `path` (through optional/default wrappers and record values), for suggestions. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const def = (schema as unknown as {_zod: {def: Def}})._zod.def
  if (def.innerType) return keysAt(def.innerType, path)
  if (def.type === 'record' && def.valueType) return path.length === 0 ? [] : keysAt(def.valueType, path.slice(1))
  if (def.type !== 'object' || !def.shape) return []
  if (path.length === 0) return Object.keys(def.shape)
  const next = def.shape[String(path[0])]
  return next ? keysAt(next, path.slice(1)) : []
}

/** Finds (see findConfig) and validates the configuration; built-in defaults when there is no file. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const found = await findConfig(options)
  if (!found) return {config: parseConfig({})}
  return {config: parseConfig(found.config, found.filepath), filepath: found.filepath}
}
