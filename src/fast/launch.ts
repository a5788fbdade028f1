/**
 * The fast start of the commands people run many times a day (`ssmx connect i-…`): when the command has a fast
 * entry (dist/fast/<id>.cjs, built from src/fast/commands/<id>.ts) and its command line is one the oclif manifest
 * lets src/fast/argv.ts parse exactly as oclif would, bin/run.js runs the entry without loading oclif, and loads it
 * with a post-run V8 code cache (code-cache.ts). The entry runs the same command code as the oclif command
 * (src/cli/runtime.ts around it). Anything else, or SSMX_NO_FAST=1, goes to oclif.
 */
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {type ManifestCommand, type ParsedArgv, parseArgv} from './argv.js'
import {enableNodeCompileCache} from '../platform/cache-dir.js'
import {type PackageJson, oclifAsBuilt, readJson} from './root.js'

/** What a fast entry exports: runs the command, returns its exit code. */
export interface FastEntry {
  run(parsed: ParsedArgv, version: string): Promise<number>
}

/** The bundle and the parsed command line when argv can take the fast start, else undefined. */
export function fastCommand(
  argv: readonly string[],
  root: URL,
  env: NodeJS.ProcessEnv = process.env,
): {bundle: string; parsed: ParsedArgv; version: string} | undefined {
  const id = argv[0]
  if (env.SSMX_NO_FAST || !id || !/^[a-z][a-z-]*$/.test(id)) return undefined
  const bundle = fileURLToPath(new URL(`dist/fast/${id}.cjs`, root))
  if (!existsSync(bundle) || !oclifAsBuilt(env)) return undefined
  const pjson = readJson<PackageJson>(new URL('package.json', root))
  const manifest = readJson<{version: string; commands: Record<string, ManifestCommand>}>(new URL('oclif.manifest.json', root))
  // oclif itself ignores a manifest from another version
  const command = pjson && manifest?.version === pjson.version ? manifest.commands[id] : undefined
  const parsed = command && parseArgv(argv.slice(1), command, env)
  return parsed ? {bundle, parsed, version: pjson!.version} : undefined
}

/** Runs argv's command through its fast entry and returns true, or returns false (oclif's turn) without side effects. */
export async function launchFast(argv: readonly string[], root: URL, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const fast = fastCommand(argv, root, env)
  if (!fast) return false
  // Node's compile cache for the ES modules the entry imports lazily (EC2 for a Name tag, the picker…)
  enableNodeCompileCache(env)
  const {loadCachedBundle} = await import('./code-cache.js')
  const loaded = loadCachedBundle<FastEntry>(fast.bundle)
  // the cache is written once the command is over: it then holds what this run compiled
  process.once('exit', (code) => loaded.save(code === 0 && !fast.parsed.flags['dry-run']))
  if (fast.parsed.flags.debug) process.stderr.write(`[debug] fast start: ${argv[0]} without oclif, code cache ${loaded.status}\n`)
  const code = await loaded.exports.run(fast.parsed, fast.version)
  // as oclif does for a command that exits non-zero
  if (code !== 0) process.exit(code)
  return true
}
