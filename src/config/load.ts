import {homedir} from 'node:os'
import {join} from 'node:path'

import {cosmiconfig, getDefaultSearchPlaces, globalConfigSearchPlaces} from 'cosmiconfig'

import {SsmxError, errorMessage} from '../errors.js'
import {configSchema, type SsmxConfig} from './schema.js'

export interface LoadedConfig {
  config: SsmxConfig
  /** the file it came from, or undefined for built-in defaults */
  filepath?: string
}

export interface LoadConfigOptions {
  /** explicit file (--config or SSMX_CONFIG) */
  file?: string
  /** where the search starts; default process.cwd() */
  cwd?: string
  env?: NodeJS.ProcessEnv
}

/** The user-level configuration directory on every OS: $XDG_CONFIG_HOME/ssmx, default ~/.config/ssmx. */
export const userConfigDir = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'ssmx')

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

/**
 * Finds and validates the configuration: an explicit file, else cosmiconfig's search for module `ssmx`
 * (package.json#ssmx, .ssmxrc*, .config/ssmxrc*, ssmx.config.{js,ts,mjs,cjs,json,yaml,yml}) from the working directory up to HOME, then the user-level
 * file under $XDG_CONFIG_HOME/ssmx/ (default ~/.config/ssmx/config.{yaml,json,…}, on every OS).
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const searchPlaces = [...getDefaultSearchPlaces('ssmx'), 'ssmx.config.json', 'ssmx.config.yaml', 'ssmx.config.yml']
  const explorer = cosmiconfig('ssmx', {searchStrategy: 'global', searchPlaces, cache: false})
  // cosmiconfig's own user-level directory is ~/Library/Preferences/ssmx on macOS; ~/.config/ssmx is searched everywhere.
  const userLevel = cosmiconfig('ssmx', {searchStrategy: 'none', searchPlaces: globalConfigSearchPlaces, cache: false})
  let found: {config: unknown; filepath: string; isEmpty?: boolean} | null
  try {
    found = options.file
      ? await explorer.load(options.file)
      : ((await explorer.search(options.cwd ?? process.cwd())) ?? (await userLevel.search(userConfigDir(options.env))))
  } catch (error) {
    const where = options.file ?? (error as {filepath?: string}).filepath ?? 'the configuration file'
    throw new SsmxError('config', `Cannot read ssmx configuration ${where}: ${errorMessage(error)}`, [
      'Check the file is valid YAML or JSON.',
    ])
  }
  if (!found) return {config: parseConfig({})}
  return {config: parseConfig(found.config, found.filepath), filepath: found.filepath}
}
