/**
 * `ssmx --version` and `ssmx --help` without loading oclif: the same bytes oclif prints, in a fraction of its
 * start-up. Only where the output cannot differ from oclif's: stdout not a terminal (oclif wraps at 80 columns and
 * prints no colour), no OCLIF_* / DEBUG / FORCE_COLOR in the environment, no user-installed oclif plugins, not WSL,
 * not Windows, and (for help) a snapshot from this build. Anything else: oclif.
 */
import {readFileSync} from 'node:fs'
import {arch, platform, release} from 'node:os'

import {type PackageJson, oclifAsBuilt, readJson} from './root.js'

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function eligible(env: NodeJS.ProcessEnv): boolean {
  if (process.stdout.isTTY || process.platform === 'win32') return false
  if (env.FORCE_COLOR !== undefined || Object.keys(env).some((k) => k.startsWith('OCLIF_'))) return false
  if (process.platform === 'linux' && (/microsoft/i.test(release()) || /microsoft/i.test(readFileSafe('/proc/version')))) return false
  return oclifAsBuilt(env)
}

/** oclif's config.userAgent. */
const userAgent = (pjson: PackageJson) => `${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}`

/** Prints and returns true when argv is served here; false means: run oclif. `root`: the package's root directory. */
export function fastHelp(argv: readonly string[], root: URL, env: NodeJS.ProcessEnv = process.env): boolean {
  const version = argv[0] === '--version'
  const help = (argv.length === 1 && argv[0] === '--help') || argv.length === 0
  if ((!version && !help) || !eligible(env)) return false
  const pjson = readJson<PackageJson>(new URL('package.json', root))
  if (!pjson || (pjson.oclif?.additionalVersionFlags ?? []).length > 0 || (pjson.oclif?.additionalHelpFlags ?? []).length > 0) return false
  // written by scripts/snapshot-help.js at build time: root help rendered by oclif, and the user agent in it;
  // no snapshot (not built, or a plugin has an init hook oclif would run first): oclif
  const snapshot = readJson<{version?: string; userAgent: string; help?: string}>(new URL('dist/bundle/root-help.json', root))
  if (!snapshot || snapshot.version !== pjson.version || typeof snapshot.help !== 'string') return false
  const ua = userAgent(pjson)
  if (version) {
    process.stdout.write(`${ua}\n`)
    return true
  }
  process.stdout.write(snapshot.help.replaceAll(snapshot.userAgent, ua))
  return true
}
