import {Command, Flags, type Interfaces} from '@oclif/core'

import type {AwsContext, AwsContextOptions} from './aws/clients.js'
import {
  type CommandIo,
  type CommandStart,
  type EndpointService,
  awsContextFor,
  checkGlobalFlags,
  commandStart,
  endpointUrlHelp,
  note,
  reportError,
} from './cli/runtime.js'
import {loadConfigLazily} from './config/lazy.js'
import type {LoadedConfig} from './config/load.js'
import {SsmxError} from './errors.js'
import {batched, prettyJsonPieces} from './pretty-json.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

/** Each --endpoint-url flag globalFlags made → the service it overrides. */
const endpointServices = new WeakMap<object, EndpointService>()
/** The --profile flags of commands that call no AWS service (globalFlags(…, {callsAws: false})). */
const localCommands = new WeakSet<object>()

/**
 * The global flags of a command whose --endpoint-url overrides `service` (see EndpointService): the command's own
 * AWS service, as with the AWS CLI. A command whose service is not SSM sets `static override baseFlags =
 * globalFlags('…')`: its help then names that service, and its AWS context applies --endpoint-url to it.
 */
export function globalFlags(service: EndpointService, options: {callsAws?: boolean} = {}) {
  const callsAws = options.callsAws ?? true
  const notTaken = 'not taken by this command: it calls no AWS service'
  const endpointUrl = Flags.string({description: callsAws ? endpointUrlHelp(service) : notTaken, helpGroup: 'AWS'})
  endpointServices.set(endpointUrl, service)
  const profile = Flags.string({description: callsAws ? 'AWS profile (default: AWS_PROFILE, else "default")' : notTaken, helpGroup: 'AWS'})
  if (!callsAws) localCommands.add(profile)
  return {
    profile,
    region: Flags.string({
      description: callsAws ? "AWS region, e.g. eu-west-1 (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region)" : notTaken,
      helpGroup: 'AWS',
    }),
    'endpoint-url': endpointUrl,
    config: Flags.string({description: 'ssmx configuration file (default: searched, see README)', env: 'SSMX_CONFIG', helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({description: 'log every AWS call to stderr (never credentials or tokens)', helpGroup: 'GLOBAL'}),
  }
}

/** Flags every AWS-facing command shares, and the one place errors become messages and exit codes. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = globalFlags('SSM')

  protected flags!: BaseFlags<T>
  protected args!: Interfaces.InferredArgs<T['args']>
  /** every positional word, in order (more than `args` names when the command is not strict) */
  protected positionals!: string[]

  override async init(): Promise<void> {
    await super.init()
    const {flags, args, argv} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      enableJsonFlag: this.ctor.enableJsonFlag,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as Interfaces.InferredArgs<T['args']>
    this.positionals = argv as string[]
    const callsAws = !localCommands.has((this.ctor as unknown as typeof BaseCommand).baseFlags.profile)
    checkGlobalFlags(this.flags, {id: this.id ?? this.ctor.id, endpointService: this.endpointService, callsAws})
  }

  /** the service this command's --endpoint-url overrides */
  private get endpointService(): EndpointService {
    const flag = (this.ctor as unknown as typeof BaseCommand).baseFlags['endpoint-url']
    return endpointServices.has(flag) ? endpointServices.get(flag)! : 'SSM'
  }

  /** stderr line: progress, warnings, info. stdout is for results only. */
  protected note(line: string): void {
    note(line)
  }

  /** With --debug, a line writer for why something was skipped or defaulted ("[debug] …" on stderr); else undefined. */
  protected debugNote(): ((line: string) => void) | undefined {
    return this.flags.debug ? (line) => this.note(`[debug] ${line}`) : undefined
  }

  /**
   * --json output. oclif's logJson tokenizes the pretty-printed text to colour it, an object per token (tens of
   * MiB for `admin status` on a large organization); without a JSON colour theme that yields the same bytes as
   * JSON.stringify, so write those, in pieces of about 64 KiB, and leave theming (and anything JSON.stringify
   * refuses) to oclif.
   */
  override logJson(json: unknown): void {
    if (this.config.theme?.json || typeof json === 'string') {
      super.logJson(json)
      return
    }
    let pieces: string[]
    try {
      // all pieces first: a value JSON.stringify refuses (a cycle) goes to oclif before anything is written
      pieces = [...batched(prettyJsonPieces(json), 65_536)]
    } catch {
      super.logJson(json)
      return
    }
    for (const piece of pieces) process.stdout.write(piece)
    process.stdout.write('\n')
  }

  protected async loadConfig(): Promise<LoadedConfig> {
    return loadConfigLazily({file: this.flags.config})
  }

  protected async awsContext(extra: Partial<AwsContextOptions> = {}): Promise<AwsContext> {
    return awsContextFor(this.flags, this.config.version, {endpointService: this.endpointService ?? undefined, ...extra})
  }

  /** The configuration and the AWS context, read in parallel: what most commands start with. */
  protected async configAndAws(): Promise<CommandStart> {
    return commandStart(this.flags, this.config.version, {endpointService: this.endpointService ?? undefined})
  }

  /** For command bodies shared with the fast entries (src/fast/): start, note, log. */
  protected io(): CommandIo {
    return {start: () => this.configAndAws(), note: (l) => this.note(l), log: (l) => this.log(l)}
  }

  /** Runs a command body shared with a fast entry (src/session/commands.ts) and exits with its code. */
  protected async runBody(body: (argv: {args: Interfaces.InferredArgs<T['args']>; flags: BaseFlags<T>}, io: CommandIo) => Promise<number>): Promise<void> {
    const code = await body({args: this.args, flags: this.flags}, this.io())
    if (code !== 0) this.exit(code)
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    // this.exit (oclif's ExitError, code EEXIT): the command has said everything already
    if (error.name === 'ExitError' || (error as {code?: unknown}).code === 'EEXIT') throw error
    if ((error as {oclif?: unknown}).oclif) {
      // oclif's own errors (a flag or an argument it refused) keep oclif's text, but --json promises JSON on every path
      if (!this.jsonEnabled()) throw error
      this.exit(reportError(usageError(error, this.id ?? this.ctor.id ?? ''), {json: true}))
    }
    this.exit(reportError(error, {json: this.jsonEnabled(), debug: this.flags?.debug, printJson: (value) => this.logJson(value)}))
  }
}

/** An error oclif's parser raised (unknown flag, missing argument, bad option value…) as ssmx's usage error. */
export function usageError(error: Error, id: string): SsmxError {
  const [message, ...rest] = error.message.split('\n').filter((l) => l.trim() !== '' && !/^See more help with --help$/.test(l.trim()))
  return new SsmxError('usage', message ?? 'Invalid command line.', [
    ...rest.map((l) => l.trim()),
    ['See:', 'ssmx', ...id.split(':').filter(Boolean), '--help'].join(' '),
  ])
}
