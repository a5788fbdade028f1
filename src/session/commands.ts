/**
 * The session commands' bodies (connect, forward, ssh-proxy), shared by their oclif commands (src/commands/) and their
 * fast entries (src/fast/commands/): each takes the parsed command line and a CommandIo, and returns the exit code.
 */
import type {CommandIo} from '../cli/runtime.js'
import type {SsmxConfig} from '../config/schema.js'
import {SsmxError} from '../errors.js'
import {terminalLoginOffer, withLoginOffer} from '../login/offer.js'
import type {AwsContext} from '../aws/clients.js'
import {ec2} from '../aws/ports.js'
import {mapAwsError} from '../aws/errors.js'
import {type Candidate, checkTarget, resolveTarget} from '../targets/resolve.js'
import {pickTarget, terminalChooser} from '../ui/chooser.js'
import {runSession} from './connect.js'
import {forwardPort, parseForwardSpec} from './forward.js'

/** A target as connect resolves it (Name tag, IP, tag:Key=Value; the picker when several match), for whoami/doctor --target. */
export async function resolveTargetFor(ctx: AwsContext, target: string): Promise<Candidate> {
  return resolveTarget(target, {ec2: ec2(ctx), choose: terminalChooser(ctx)}).catch((e) =>
    Promise.reject(mapAwsError(e, {profile: ctx.profile.name, operation: 'EC2 DescribeInstances', target})),
  )
}

export interface ConnectArgv {
  args: {target?: string}
  flags: {document?: string; reason?: string; native?: boolean; broker?: boolean; 'dry-run'?: boolean}
}

/** Broker mode: --broker, else the configuration's `mode`. */
export const brokerMode = (flag: boolean | undefined, config: Pick<SsmxConfig, 'mode'>): boolean => Boolean(flag) || config.mode === 'broker'

/** `ssmx connect`: the picker when no target is given, the session, and a login offer when the SSO session has expired. */
export async function connectCommand({args, flags}: ConnectArgv, {start, note, log}: CommandIo): Promise<number> {
  if (args.target !== undefined) checkTarget(args.target)
  if (flags.broker && flags.document)
    throw new SsmxError('usage', '--document cannot be used with --broker: the broker chooses the document.', ['Leave out one of them.'])
  const {ctx, config} = await start()
  const session = async () => {
    const target = args.target ?? (await pickTarget(ctx))
    return runSession(
      {target, document: flags.document, reason: flags.reason, dryRun: flags['dry-run'], native: flags.native, broker: brokerMode(flags.broker, config)},
      {ctx, config, warn: note, out: log, choose: terminalChooser(ctx)},
    )
  }
  return withLoginOffer(session, terminalLoginOffer(ctx, note))
}

export interface ForwardArgv {
  args: {target: string; ports: string}
  flags: {host?: string; local?: string; reason?: string; native?: boolean; broker?: boolean; 'dry-run'?: boolean}
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
      {reason: flags.reason, dryRun: flags['dry-run'], native: flags.native, broker: brokerMode(flags.broker, config)},
    )
  return withLoginOffer(forward, terminalLoginOffer(ctx, note))
}

export interface SshProxyArgv {
  args: {host: string; port: string}
  flags: {native?: boolean; broker?: boolean}
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
    {target: args.host, fixedDocument: SSH_DOCUMENT, parameters: {portNumber: [args.port]}, native: flags.native, broker: brokerMode(flags.broker, config)},
    {ctx, config, warn: note, out: note, stdio: 'inherit'},
  )
}
