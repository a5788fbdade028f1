/**
 * `ssmx ssh`: resolve the target (the picker for several matches), find the key and push it through EC2 Instance
 * Connect when asked, then run the system ssh with ssmx's ProxyCommand. The command only parses and exits with
 * ssh's code.
 */
import {realpathSync} from 'node:fs'
import {homedir} from 'node:os'

import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import {ec2 as ec2Port, ec2InstanceConnect} from '../aws/ports.js'
import {SsmxError} from '../errors.js'
import {terminalLoginOffer, withLoginOffer} from '../login/offer.js'
import {type Candidate, checkTarget, resolveTarget} from '../targets/resolve.js'
import {terminalChooser} from '../ui/chooser.js'
import {proxyCommand} from './ssh-config.js'
import {findPublicKey, parseDestination, pushKey, runSsh, sshArgs} from './ssh.js'

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
  note: (line: string) => void
  run?: (args: string[]) => Promise<number>
}

/** Runs ssh to the instance; resolves with ssh's exit code. */
export async function sshToInstance(o: SshOptions, io: SshIo): Promise<number> {
  const {user, target} = parseDestination(o.destination)
  checkTarget(target)
  const ctx = await io.context()
  const {instance, identity} = await withLoginOffer(() => prepare(ctx, {...o, user, target}, io.note), terminalLoginOffer(ctx, io.note))
  const self = o.self ?? (process.argv[1] ? [process.execPath, realpathSync(process.argv[1])] : ['ssmx'])
  const proxy = proxyCommand({
    command: self,
    profile: ctx.profile.explicit ? ctx.profile.name : undefined,
    region: o.region,
    endpointUrl: o.endpointUrl,
    native: o.native,
  })
  return (io.run ?? runSsh)(sshArgs({proxy, destination: user ? `${user}@${instance.id}` : instance.id, identity, extra: o.extra}))
}

/** The instance, and the private key ssh offers (pushed first with --push-key). */
async function prepare(
  ctx: AwsContext,
  o: SshOptions & {user?: string; target: string},
  note: (line: string) => void,
): Promise<{instance: Candidate; identity?: string}> {
  const ec2 = ec2Port(ctx)
  const instance = await resolveTarget(o.target, {ec2, choose: terminalChooser(ctx)}).catch((e) =>
    Promise.reject(mapAwsError(e, {profile: ctx.profile.name, operation: 'EC2 DescribeInstances', target: o.target})),
  )
  if (!o.pushKey && !o.key) return {instance}
  const key = await findPublicKey(o.home ?? homedir(), o.key)
  if (o.pushKey) {
    if (!o.user) throw new SsmxError('usage', '--push-key needs the OS user the key is for.', [`Example: ssmx ssh ec2-user@${o.target} --push-key`])
    await pushKey({ec2, eic: ec2InstanceConnect(ctx), profile: ctx.profile.name}, instance.id, o.user, key.publicKey)
    note(`Pushed ${key.publicPath} for ${o.user}@${instance.id} (valid 60 s).`)
  }
  return {instance, identity: key.identity}
}
