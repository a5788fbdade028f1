import type {CommandStart} from '../cli/runtime.js'
import {terminalLoginOffer, withLoginOffer} from '../login/offer.js'
import {pickTarget, terminalChooser} from '../ui/chooser.js'
import {runSession} from './connect.js'

/** `ssmx connect`'s flags and argument, as oclif (src/commands/connect.ts) or the fast entry (src/fast/connect.ts) parsed them. */
export interface ConnectArgv {
  args: {target?: string}
  flags: {document?: string; reason?: string; native?: boolean; 'dry-run'?: boolean}
}

export interface ConnectIo extends CommandStart {
  note: (line: string) => void
  log: (line: string) => void
}

/** `ssmx connect`: the picker when no target is given, the session, and a login offer when the SSO session has expired. Returns the exit code. */
export function connectCommand({args, flags}: ConnectArgv, {ctx, config, note, log}: ConnectIo): Promise<number> {
  const session = async () => {
    const target = args.target ?? (await pickTarget(ctx))
    return runSession(
      {target, document: flags.document, reason: flags.reason, dryRun: flags['dry-run'], native: flags.native},
      {ctx, config, warn: note, out: log, choose: terminalChooser(ctx)},
    )
  }
  return withLoginOffer(session, terminalLoginOffer(ctx, note))
}
