/**
 * The session commands' bodies (connect, forward, ssh-proxy), shared by their oclif commands (src/commands/) and their
 * fast entries (src/fast/commands/): each takes the parsed command line and a CommandIo, and returns the exit code.
 */
import type {CommandIo} from '../cli/runtime.js'
import {terminalLoginOffer, withLoginOffer} from '../login/offer.js'
import {pickTarget, terminalChooser} from '../ui/chooser.js'
import {runSession} from './connect.js'
import {forwardPort, parseForwardSpec} from './forward.js'
import {sshProxy} from './ssh.js'

export interface ConnectArgv {
  args: {target?: string}
  flags: {document?: string; reason?: string; native?: boolean; 'dry-run'?: boolean}
}

/** `ssmx connect`: the picker when no target is given, the session, and a login offer when the SSO session has expired. */
export async function connectCommand({args, flags}: ConnectArgv, {start, note, log}: CommandIo): Promise<number> {
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
  const {ctx, config} = await start()
  const forward = () =>
    forwardPort(args.target, spec, {ctx, config, warn: note, out: log, choose: terminalChooser(ctx)}, {reason: flags.reason, dryRun: flags['dry-run'], native: flags.native})
  return withLoginOffer(forward, terminalLoginOffer(ctx, note))
}

export interface SshProxyArgv {
  args: {host: string; port: string}
  flags: {native?: boolean}
}

/** `ssmx ssh-proxy`: stdout carries the connection only, so everything else goes to stderr. */
export async function sshProxyCommand({args, flags}: SshProxyArgv, {start, note}: CommandIo): Promise<number> {
  const {ctx, config} = await start()
  return sshProxy(args.host, args.port, {ctx, config, warn: note, out: note}, {native: flags.native})
}
