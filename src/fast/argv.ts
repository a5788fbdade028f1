/**
 * A command line parsed from the command's oclif manifest entry, for the fast entries (src/fast/launch.ts). Only
 * the plain cases a user types every day: `--flag value`, `--flag=value`, boolean `--flag`, positional arguments
 * (required, or with a default), each flag at most once. Anything else (help, an unknown or repeated flag, `--`, a value that looks like a flag,
 * a flag or argument feature this parser does not model) returns undefined, and oclif parses the line instead,
 * with its own messages. So where this parser answers, it answers exactly as oclif would.
 */

/** The part of an oclif manifest flag this parser reads; any other key it does not know makes the command oclif's. */
export interface ManifestFlag {
  name: string
  type: 'boolean' | 'option'
  env?: string
  multiple?: boolean
  allowNo?: boolean
  [key: string]: unknown
}

export interface ManifestArg {
  name: string
  required?: boolean
  default?: unknown
  [key: string]: unknown
}

export interface ManifestCommand {
  id: string
  flags: Record<string, ManifestFlag>
  args: Record<string, ManifestArg>
  strict?: boolean
  enableJsonFlag?: boolean
  [key: string]: unknown
}

export interface ParsedArgv {
  flags: Record<string, string | boolean | undefined>
  args: Record<string, string | undefined>
}

/** Manifest keys that only describe (help text, grouping) or that say the feature is off. */
const FLAG_KEYS = new Set([
  'name',
  'type',
  'description',
  'summary',
  'helpGroup',
  'hasDynamicHelp',
  'env',
  'multiple',
  'allowNo',
  'hidden',
  'deprecateAliases',
  'noCacheDefault',
])
const ARG_KEYS = new Set(['name', 'description', 'hidden', 'required', 'default'])

/** A flag this parser models: boolean or option, no short char, no default, no choices, no relationships. */
function plainFlag(flag: ManifestFlag): boolean {
  if (flag.type !== 'boolean' && flag.type !== 'option') return false
  if (flag.multiple || flag.allowNo) return false
  if (flag.type === 'boolean' && flag.env) return false
  return Object.entries(flag).every(
    ([key, value]) => FLAG_KEYS.has(key) || value === undefined || value === false || (Array.isArray(value) && value.length === 0),
  )
}

/** An argument this parser models: optional or required, with at most a string default. */
const plainArg = (arg: ManifestArg): boolean =>
  (arg.default === undefined || typeof arg.default === 'string') &&
  Object.entries(arg).every(([key, value]) => ARG_KEYS.has(key) || value === undefined || value === false)

/** Whether every flag and argument of the command is one this parser models. */
export function fastParsable(command: ManifestCommand): boolean {
  return command.strict !== false && !command.enableJsonFlag && Object.values(command.flags).every(plainFlag) && Object.values(command.args).every(plainArg)
}

/** `argv` (after the command id) as oclif would parse it, or undefined when oclif should parse it. */
export function parseArgv(argv: readonly string[], command: ManifestCommand, env: NodeJS.ProcessEnv = process.env): ParsedArgv | undefined {
  if (!fastParsable(command)) return undefined
  const flags: ParsedArgv['flags'] = {}
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (!token.startsWith('-')) {
      positionals.push(token)
      continue
    }
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(token)
    if (!match) return undefined
    const [, name, inline] = match
    const flag = command.flags[name]
    if (!flag || flag.name !== name || name in flags) return undefined
    if (flag.type === 'boolean') {
      if (inline !== undefined) return undefined
      flags[name] = true
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    flags[name] = value
  }
  const args = Object.values(command.args)
  // too many arguments, or a required one missing: oclif's error
  if (positionals.length > args.length || args.some((arg, i) => arg.required && positionals[i] === undefined)) return undefined
  for (const flag of Object.values(command.flags)) {
    if (flag.type === 'option' && flag.env && !(flag.name in flags) && env[flag.env]) flags[flag.name] = env[flag.env]
  }
  return {flags, args: Object.fromEntries(args.map((arg, i) => [arg.name, positionals[i] ?? (arg.default as string | undefined)]))}
}
