/**
 * `ssmx ssh`: resolve the target (the picker for several matches), find the key and push it through EC2 Instance
 * Connect when asked, then run the system ssh with ssmx's ProxyCommand. The command only parses and exits with
 * ssh's code.
 */
import {realpathSync} from 'node:fs'
import {homedir} from 'node:os'

import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import type {SsmxConfig} from '../config/schema.js'
import {ec2 as ec2Port, ec2InstanceConnect} from '../aws/ports.js'
import {terminalLoginOffer, withLoginOffer} from '../login/offer.js'
import {type Candidate, checkTarget, resolveTarget} from '../targets/resolve.js'
import {terminalChooser} from '../ui/chooser.js'
import {proxyCommand} from './ssh-config.js'
import {defaultPushUser, findPublicKey, parseDestination, pushKey, runSsh, sshArgs} from './ssh.js'
import {brokerMode} from './commands.js'
import {sessionPermissionSet} from './connect.js'

export interface SshOptions {
  /** [user@]target */
  destination: string
  /** everything for ssh, after the destination */
  extra: string[]
  pushKey?: boolean
  /** the private key to offer (and push, from KEY.pub) */
  key?: string
  /** passed on to ssh-proxy */
  native?: boolean
  /** --broker: passed on to ssh-proxy, and --push-key without a user asks the broker for it */
  broker?: boolean
  /** --region and --endpoint-url as given, passed on to ssh-proxy */
  region?: string
  endpointUrl?: string
  /** how ssh runs ssmx ssh-proxy: this Node and script, else `ssmx` */
  self?: string[]
  home?: string
}

export interface SshIo {
  /** the command's AwsContext, built once the destination is known to be well formed */
  context: () => Promise<AwsContext>
  /** the ssmx configuration (mode, permissionSets: the --push-key user); default: the built-in defaults */
  config?: () => Promise<Pick<SsmxConfig, 'mode' | 'permissionSets'>>
  note: (line: string) => void
  /** the caller's permission set, for --push-key's default user (default: as connect works it out) */
  permissionSet?: (ctx: AwsContext) => Promise<string | undefined>
  run?: (args: string[]) => Promise<number>
}

/** Runs ssh to the instance; resolves with ssh's exit code. */
export async function sshToInstance(o: SshOptions, io: SshIo): Promise<number> {
  const {user, target} = parseDestination(o.destination)
  checkTarget(target)
  const [ctx, config] = await Promise.all([io.context(), io.config?.() ?? {mode: 'documents' as const, permissionSets: {}}])
  const {instance, identity, pushedFor} = await withLoginOffer(() => prepare(ctx, config, {...o, user, target}, io), terminalLoginOffer(ctx, io.note))
  const login = user ?? pushedFor
  const self = o.self ?? (process.argv[1] ? [process.execPath, realpathSync(process.argv[1])] : ['ssmx'])
  const proxy = proxyCommand({
    command: self,
    profile: ctx.profile.explicit ? ctx.profile.name : undefined,
    region: o.region,
    endpointUrl: o.endpointUrl,
    native: o.native,
    broker: o.broker,
  })
  return (io.run ?? runSsh)(sshArgs({proxy, destination: login ? `${login}@${instance.id}` : instance.id, identity, extra: o.extra}))
}

/** The instance, and the private key ssh offers (pushed first with --push-key). */
async function prepare(
  ctx: AwsContext,
  config: Pick<SsmxConfig, 'mode' | 'permissionSets'>,
  o: SshOptions & {user?: string; target: string},
  io: SshIo,
): Promise<{instance: Candidate; identity?: string; pushedFor?: string}> {
  const ec2 = ec2Port(ctx)
  const instance = await resolveTarget(o.target, {ec2, choose: terminalChooser(ctx)}).catch((e) =>
    Promise.reject(mapAwsError(e, {profile: ctx.profile.name, operation: 'EC2 DescribeInstances', target: o.target})),
  )
  if (!o.pushKey && !o.key) return {instance}
  const key = await findPublicKey(o.home ?? homedir(), o.key)
  if (o.pushKey) {
    let user = o.user
    if (!user) {
      // the Linux user sessions run as: the broker's decision in broker mode, else the permission set's runAsUser
      const broker = brokerMode(o.broker, config) ? (await import('../broker/client.js')).brokerFor(ctx) : undefined
      const chosen = await defaultPushUser({broker, permissionSet: () => (io.permissionSet ?? sessionPermissionSet)(ctx), config}, instance.id)
      user = chosen.user
      io.note(`Pushing the key for ${user} (from ${chosen.from}).`)
    }
    await pushKey({ec2, eic: ec2InstanceConnect(ctx), profile: ctx.profile.name}, instance.id, user, key.publicKey)
    io.note(`Pushed ${key.publicPath} for ${user}@${instance.id} (valid 60 s).`)
    return {instance, identity: key.identity, pushedFor: o.user ? undefined : user}
  }
  return {instance, identity: key.identity}
}
