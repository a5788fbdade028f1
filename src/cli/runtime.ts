/**
 * What every AWS-facing command does around its own work, with or without oclif: the global flags become an
 * AwsContext and a configuration, and an error becomes its message and exit code. BaseCommand (oclif) and the
 * fast entries (src/fast/) both go through here, so a command behaves the same whichever way it was started.
 */
import {AwsContext, type AwsContextOptions} from '../aws/clients.js'
import {loadConfigLazily} from '../config/lazy.js'
import type {LoadedConfig} from '../config/load.js'
import {SsmxError, bugError, errorMessage, isAwsError, isSsmxError} from '../errors.js'

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
 * exit code: the one way a command ends non-zero. An error from AWS that nothing mapped is `internal` (1); any other
 * error that is not an SsmxError is a bug in ssmx, `bug` (70), with how to report it and, under --debug, its stack.
 */
export function reportError(error: unknown, options: {json?: boolean; debug?: boolean; printJson?: (value: unknown) => void} = {}): number {
  const e = asSsmxError(error)
  const printJson = options.printJson ?? ((value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`))
  if (options.json) {
    printJson(e.result !== undefined ? e.result : {error: {code: e.code, message: e.message, suggestions: e.suggestions, exitCode: e.exitCode}})
  } else if (!e.shown) {
    process.stderr.write(`✗ ${e.message}\n${e.suggestions.map((s) => `  → ${s}\n`).join('')}`)
  }
  if (options.debug && e.cause) {
    const stack = e.code === 'bug' && e.cause instanceof Error && e.cause.stack ? `\n${e.cause.stack}` : ''
    process.stderr.write(`[debug] cause: ${errorMessage(e.cause)}${stack}\n`)
  }
  return e.exitCode
}

/** Any thrown value as the SsmxError it is reported as. */
export function asSsmxError(error: unknown): SsmxError {
  if (isSsmxError(error)) return error
  if (isAwsError(error)) {
    return new SsmxError('internal', `AWS call failed: ${errorMessage(error)}`, ['Run again with --debug to see every AWS call.'], {cause: error})
  }
  return bugError(error)
}
