import {homedir} from 'node:os'
import {join} from 'node:path'

import {cosmiconfig, getDefaultSearchPlaces, globalConfigSearchPlaces} from 'cosmiconfig'

import {SsmxError, errorMessage} from '../errors.js'

export interface LoadConfigOptions {
  /** explicit file (--config or SSMX_CONFIG) */
  file?: string
  /** where the search starts; default process.cwd() */
  cwd?: string
  env?: NodeJS.ProcessEnv
}

/** The user-level configuration directory on every OS: $XDG_CONFIG_HOME/ssmx, default ~/.config/ssmx. */
export const userConfigDir = (env: NodeJS.ProcessEnv = process.env): string => join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'ssmx')

/** findConfig's search, in words, for the message that says a --config file is missing. */
export const SEARCH_ORDER =
  'package.json ("ssmx" key), .ssmxrc[.json|.yaml|.yml|.js|.ts|.cjs|.mjs], .config/ssmxrc[…], ssmx.config.{js,ts,cjs,mjs,json,yaml,yml} ' +
  'in the working directory and each directory above it up to your home directory, then $XDG_CONFIG_HOME/ssmx/config[.json|.yaml|.yml|…] ' +
  '(default ~/.config/ssmx/); none: built-in defaults.'

/**
 * The configuration file, read but not validated (no zod here): an explicit file, else cosmiconfig's search for
 * module `ssmx` (package.json#ssmx, .ssmxrc*, .config/ssmxrc*, ssmx.config.{js,ts,mjs,cjs,json,yaml,yml}) from the
 * working directory up to HOME, then the user-level file under $XDG_CONFIG_HOME/ssmx/ (default
 * ~/.config/ssmx/config.{yaml,json,…}, on every OS). Null when there is none.
 */
export async function findConfig(options: LoadConfigOptions = {}): Promise<{config: unknown; filepath: string} | null> {
  const searchPlaces = [...getDefaultSearchPlaces('ssmx'), 'ssmx.config.json', 'ssmx.config.yaml', 'ssmx.config.yml']
  const explorer = cosmiconfig('ssmx', {searchStrategy: 'global', searchPlaces, cache: false})
  // cosmiconfig's own user-level directory is ~/Library/Preferences/ssmx on macOS; ~/.config/ssmx is searched everywhere.
  const userLevel = cosmiconfig('ssmx', {searchStrategy: 'none', searchPlaces: globalConfigSearchPlaces, cache: false})
  try {
    return options.file
      ? await explorer.load(options.file)
      : ((await explorer.search(options.cwd ?? process.cwd())) ?? (await userLevel.search(userConfigDir(options.env))))
  } catch (error) {
    if (options.file && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SsmxError(
        'config',
        `The ssmx configuration file ${options.file} (from --config or SSMX_CONFIG) was not found.`,
        [
          'Check the path, or leave out --config (and unset SSMX_CONFIG) to use the search.',
          `Without --config ssmx searches, and uses the first it finds: ${SEARCH_ORDER}`,
        ],
        {cause: error},
      )
    }
    const where = options.file ?? (error as {filepath?: string}).filepath ?? 'the configuration file'
    throw new SsmxError('config', `Cannot read ssmx configuration ${where}: ${errorMessage(error)}`, ['Check the file is valid YAML or JSON.'])
  }
}
