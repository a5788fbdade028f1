import {Command, Flags, type Interfaces} from '@oclif/core'

import type {AwsContext, AwsContextOptions} from './aws/clients.js'
import {type CommandIo, type CommandStart, awsContextFor, commandStart, note, reportError} from './cli/runtime.js'
import {loadConfigLazily} from './config/lazy.js'
import type {LoadedConfig} from './config/load.js'
import {batched, prettyJsonPieces} from './pretty-json.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

/** Flags every AWS-facing command shares, and the one place errors become messages and exit codes. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    profile: Flags.string({description: 'AWS profile (default: AWS_PROFILE, else "default")', helpGroup: 'AWS'}),
    region: Flags.string({description: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region)", helpGroup: 'AWS'}),
    'endpoint-url': Flags.string({description: "override the SSM endpoint, like the AWS CLI's --endpoint-url", helpGroup: 'AWS'}),
    config: Flags.string({description: 'ssmx configuration file (default: searched, see README)', env: 'SSMX_CONFIG', helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({description: 'log every AWS call to stderr (never credentials or tokens)', helpGroup: 'GLOBAL'}),
  }

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
  }

  /** stderr line: progress, warnings, info. stdout is for results only. */
  protected note(line: string): void {
    note(line)
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
    return awsContextFor(this.flags, this.config.version, extra)
  }

  /** The configuration and the AWS context, read in parallel: what most commands start with. */
  protected async configAndAws(): Promise<CommandStart> {
    return commandStart(this.flags, this.config.version)
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
    // oclif's own errors (parse errors, this.exit) keep oclif's handling
    if (error.name === 'ExitError' || (error as {oclif?: unknown}).oclif) throw error
    this.exit(reportError(error, {json: this.jsonEnabled(), debug: this.flags?.debug}))
  }
}
