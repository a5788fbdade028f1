/**
 * The session commands' bodies (connect, forward, ssh-proxy), shared by their oclif commands (src/commands/) and their
 * fast entries (src/fast/commands/): each takes the parsed command line and a CommandIo, and returns the exit code.
 */
import type {CommandIo} from '../cli/runtime.js'
import {SsmxError} from '../errors.js'
import {terminalLoginOffer, withLoginOffer} from '../login/offer.js'
import {checkTarget} from '../targets/resolve.js'
import {pickTarget, terminalChooser} from '../ui/chooser.js'
import {runSession} from './connect.js'
import {forwardPort, parseForwardSpec} from './forward.js'

export interface ConnectArgv {
  args: {target?: string}
  flags: {document?: string; reason?: string; native?: boolean; 'dry-run'?: boolean}
}

/** `ssmx connect`: the picker when no target is given, the session, and a login offer when the SSO session has expired. */
export async function connectCommand({args, flags}: ConnectArgv, {start, note, log}: CommandIo): Promise<number> {
  if (args.target !== undefined) checkTarget(args.target)
  const {ctx, config} = await start()
  const session = async () => {
    const target = args.target ?? (await pickTarget(ctx))
    return runSession(
      {target, document: flags.document, reason: flags.reason, dryRun: flags['dry-run'], native: flags.native},
      {ctx, config, warn: note, out: log, choose: terminalChooser(ctx)},
    )
  }
  return withLoginOffer(session, terminalLoginOffer(ctx, note))
}

export interface ForwardArgv {
  args: {target: string; ports: string}
  flags: {host?: string; local?: string; reason?: string; native?: boolean; 'dry-run'?: boolean}
}

/** `ssmx forward`: the port spec checked first, then the session, with the same login offer as connect. */
export async function forwardCommand({args, flags}: ForwardArgv, {start, note, log}: CommandIo): Promise<number> {
  const spec = parseForwardSpec(args.ports, {local: flags.local, host: flags.host})
  checkTarget(args.target)
  const {ctx, config} = await start()
  const forward = () =>
    forwardPort(
      args.target,
      spec,
      {ctx, config, warn: note, out: log, choose: terminalChooser(ctx)},
      {reason: flags.reason, dryRun: flags['dry-run'], native: flags.native},
    )
  return withLoginOffer(forward, terminalLoginOffer(ctx, note))
}

export interface SshProxyArgv {
  args: {host: string; port: string}
  flags: {native?: boolean}
}

export const SSH_DOCUMENT = 'AWS-StartSSHSession'

/**
 * `ssmx ssh-proxy %h %p`: an SSH session (AWS-StartSSHSession) whose plugin talks to ssh over this process's
 * stdin/stdout. Nothing else may reach stdout: every note goes to stderr.
 */
export async function sshProxyCommand({args, flags}: SshProxyArgv, {start, note}: CommandIo): Promise<number> {
  if (!/^\d{1,5}$/.test(args.port)) throw new SsmxError('usage', `"${args.port}" is not a port.`, ['Use it as: ProxyCommand ssmx ssh-proxy %h %p'])
  checkTarget(args.host)
  const {ctx, config} = await start()
  return runSession(
    {target: args.host, fixedDocument: SSH_DOCUMENT, parameters: {portNumber: [args.port]}, native: flags.native},
    {ctx, config, warn: note, out: note, stdio: 'inherit'},
  )
}
