// `ssmx --version` and `ssmx --help` without loading oclif: the same bytes oclif prints, in a fraction of
// its start-up. Only where the output cannot differ from oclif's: stdout not a terminal (oclif wraps at 80
// columns and prints no colour), no OCLIF_* / DEBUG / FORCE_COLOR in the environment, no user-installed
// oclif plugins, not WSL, not Windows, and (for help) a snapshot from this build. Anything else: oclif.
import {existsSync, readFileSync} from 'node:fs'
import {arch, homedir, platform, release} from 'node:os'
import {join} from 'node:path'

const ROOT = new URL('..', import.meta.url)
/** Written by scripts/snapshot-help.js at build time: root help rendered by oclif, and the user agent in it. */
export const HELP_SNAPSHOT = new URL('dist/bundle/root-help.json', ROOT)

function readJson(url) {
  try {
    return JSON.parse(readFileSync(url, 'utf8'))
  } catch {
    return undefined
  }
}

function eligible(env) {
  if (process.stdout.isTTY || process.platform === 'win32') return false
  if (env.DEBUG || env.FORCE_COLOR !== undefined || Object.keys(env).some((k) => k.startsWith('OCLIF_'))) return false
  if (process.platform === 'linux' && (/microsoft/i.test(release()) || /microsoft/i.test(readFileSafe('/proc/version')))) return false
  // oclif loads user plugins (and their init hooks) from <data dir>/package.json
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share')
  return !existsSync(join(dataHome, 'ssmx', 'package.json'))
}

function readFileSafe(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** oclif's config.userAgent. */
const userAgent = (pjson) => `${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}`

/** Prints and returns true when argv is served here; false means: run oclif. */
export function fastPath(argv, env = process.env) {
  const version = argv[0] === '--version'
  const help = (argv.length === 1 && argv[0] === '--help') || argv.length === 0
  if ((!version && !help) || !eligible(env)) return false
  const pjson = readJson(new URL('package.json', ROOT))
  if (!pjson || (pjson.oclif?.additionalVersionFlags ?? []).length > 0 || (pjson.oclif?.additionalHelpFlags ?? []).length > 0) return false
  // no snapshot (not built, or a plugin has an init hook oclif would run first): oclif
  const snapshot = readJson(HELP_SNAPSHOT)
  if (!snapshot || snapshot.version !== pjson.version || typeof snapshot.help !== 'string') return false
  const ua = userAgent(pjson)
  if (version) {
    process.stdout.write(`${ua}\n`)
    return true
  }
  process.stdout.write(snapshot.help.replaceAll(snapshot.userAgent, ua))
  return true
}
