import {readFileSync} from 'node:fs'

import {type LoadConfigOptions, findConfig} from './find.js'
import type {LoadedConfig} from './load.js'
import type {SsmxConfig} from './schema.js'

/** The built-in defaults, as the schema gives them: written at build time by scripts/config-defaults.js. */
export const DEFAULTS_FILE = new URL('./defaults.json', import.meta.url)

function builtInDefaults(): SsmxConfig | undefined {
  try {
    return JSON.parse(readFileSync(DEFAULTS_FILE, 'utf8')) as SsmxConfig
  } catch {
    return undefined
  }
}

/**
 * loadConfig for the CLI's start-up: the schema (zod, tens of milliseconds to load) is loaded only when there is
 * a configuration file to validate; without one the defaults come from defaults.json. Same result as loadConfig.
 */
export async function loadConfigLazily(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const found = await findConfig(options)
  if (!found) {
    const defaults = builtInDefaults()
    if (defaults) return {config: defaults}
  }
  const {parseConfig} = await import('./load.js')
  if (!found) return {config: parseConfig({})}
  return {config: parseConfig(found.config, found.filepath), filepath: found.filepath}
}
