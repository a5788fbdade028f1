/** What the fast paths (src/fast/) read of the package (its root is bin/run.js's ..), and when they may stand in for oclif at all. */
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

export interface PackageJson {
  name: string
  version: string
  oclif?: {additionalVersionFlags?: string[]; additionalHelpFlags?: string[]}
}

export function readJson<T>(url: URL): T | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as T
  } catch {
    return undefined
  }
}

/**
 * Whether oclif would run ssmx as built: no DEBUG logging, and no user-installed oclif plugins (oclif loads them, and
 * their hooks and commands, from <data dir>/package.json).
 */
export function oclifAsBuilt(env: NodeJS.ProcessEnv): boolean {
  if (env.DEBUG) return false
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share')
  return !existsSync(join(dataHome, 'ssmx', 'package.json'))
}
