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
    const unknown = issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message
    return `  ${key}: ${unknown}`
  })
  throw new SsmxError('config', `Invalid ssmx configuration in ${filepath}:\n${lines.join('\n')}`, [
    'Fix the keys above; the README lists every configuration key.',
  ])
}

/** Finds (see findConfig) and validates the configuration; built-in defaults when there is no file. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const found = await findConfig(options)
  if (!found) return {config: parseConfig({})}
  return {config: parseConfig(found.config, found.filepath), filepath: found.filepath}
}
