/**
 * What every AWS-facing command does around its own work, with or without oclif: the global flags become an
 * AwsContext and a configuration, and an error becomes its message and exit code. BaseCommand (oclif) and the
 * fast entries (src/fast/) both go through here, so a command behaves the same whichever way it was started.
 */
import {AwsContext, type AwsContextOptions} from '../aws/clients.js'
import {loadConfigLazily} from '../config/lazy.js'
import type {LoadedConfig} from '../config/load.js'
import {SsmxError, errorMessage, isSsmxError} from '../errors.js'

/** BaseCommand.baseFlags, parsed. */
export interface GlobalFlags {
  profile?: string
  region?: string
  'endpoint-url'?: string
  config?: string
  debug?: boolean
}

export type CommandStart = LoadedConfig & {ctx: AwsContext}

/** What a command body gets from whoever started it (BaseCommand, or a fast entry): its start, and its two outputs. */
export interface CommandIo {
  /** the configuration and the AWS context (commandStart): a body calls it after checking its own arguments */
  start: () => Promise<CommandStart>
  note: (line: string) => void
  log: (line: string) => void
}

/** stderr line: progress, warnings, info. stdout is for results only. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`)
}

/** stdout line: a result. */
export function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

export function awsContextFor(flags: GlobalFlags, version: string, extra: Partial<AwsContextOptions> = {}): Promise<AwsContext> {
  return AwsContext.create({
    ...extra,
    profile: flags.profile,
    region: flags.region,
    endpointUrl: flags['endpoint-url'],
    version,
    debug: flags.debug ? (line) => note(`[debug] ${line}`) : undefined,
    warn: note,
  })
}

/** The configuration and the AWS context, read in parallel: what most commands start with. */
export async function commandStart(flags: GlobalFlags, version: string): Promise<CommandStart> {
  const [loaded, ctx] = await Promise.all([loadConfigLazily({file: flags.config}), awsContextFor(flags, version)])
  return {...loaded, ctx}
}

/**
 * Shows an error the way users meet every ssmx error (stderr, or an object on stdout with --json) and returns its
 * exit code. Anything that is not an SsmxError is a bug in ssmx, reported as one.
 */
export function reportError(error: unknown, options: {json?: boolean; debug?: boolean} = {}): number {
  const e = isSsmxError(error)
    ? error
    : new SsmxError('internal', `Unexpected error: ${errorMessage(error)}`, ['This is a bug in ssmx: please report it with the output of --debug.'])
  if (options.json) {
    process.stdout.write(`${JSON.stringify({error: {code: e.code, message: e.message, suggestions: e.suggestions, exitCode: e.exitCode}}, null, 2)}\n`)
  } else {
    process.stderr.write(`✗ ${e.message}\n${e.suggestions.map((s) => `  → ${s}\n`).join('')}`)
  }
  if (options.debug && e.cause) process.stderr.write(`[debug] cause: ${errorMessage(e.cause)}\n`)
  return e.exitCode
}
