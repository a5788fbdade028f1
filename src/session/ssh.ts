import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {mapAwsError} from '../aws/errors.js'
import type {BrokerDecision} from '../broker/protocol.js'
import type {SsmxConfig} from '../config/schema.js'
import type {Ec2, Ec2InstanceConnect} from '../aws/ports.js'
import {SsmxError} from '../errors.js'
import {type Spawn, runAttached} from '../platform/process.js'

/** `user@target` → parts; the target alone when there is no `@`. */
export function parseDestination(destination: string): {user?: string; target: string} {
  const at = destination.lastIndexOf('@')
  if (at < 0) return {target: destination}
  const user = destination.slice(0, at)
  const target = destination.slice(at + 1)
  if (!user || !target) throw new SsmxError('usage', `"${destination}" is not [user@]target.`, ['Example: ssmx ssh ec2-user@web-1'])
  return {user, target}
}

/** The public key to push and the private key ssh should offer: --key, else ~/.ssh/id_ed25519, else ~/.ssh/id_rsa. */
export async function findPublicKey(home: string, key?: string): Promise<{publicKey: string; publicPath: string; identity?: string}> {
  const candidates = key ? [key.endsWith('.pub') ? key : `${key}.pub`] : ['id_ed25519.pub', 'id_rsa.pub'].map((f) => join(home, '.ssh', f))
  const publicPath = candidates.find((p) => existsSync(p))
  if (!publicPath) {
    throw new SsmxError('usage', `No SSH public key found (looked for ${candidates.join(', ')}).`, [
      'Create one with: ssh-keygen -t ed25519',
      'or pass --key PATH (the private key, with PATH.pub beside it).',
    ])
  }
  const publicKey = (await readFile(publicPath, 'utf8')).trim()
  if (!/^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/=]+/.test(publicKey)) {
    throw new SsmxError('usage', `${publicPath} is not an OpenSSH ed25519 or RSA public key.`, [
      'EC2 Instance Connect accepts ed25519 and RSA keys: ssh-keygen -t ed25519',
    ])
  }
  const privatePath = publicPath.slice(0, -'.pub'.length)
  return {publicKey, publicPath, identity: key && existsSync(privatePath) ? privatePath : undefined}
}

/**
 * EC2 Instance Connect SendSSHPublicKey: the key is accepted for `user` on the instance for 60 seconds.
 * Needs the instance's Availability Zone, from EC2 DescribeInstances.
 */
export async function pushKey(
  deps: {ec2: Pick<Ec2, 'describeInstances'>; eic: Pick<Ec2InstanceConnect, 'sendSshPublicKey'>; profile: string},
  instanceId: string,
  user: string,
  publicKey: string,
): Promise<void> {
  if (!instanceId.startsWith('i-')) {
    throw new SsmxError('usage', `${instanceId} is not an EC2 instance: EC2 Instance Connect cannot push a key to it.`, [
      'Install your key on the node instead, and run without --push-key.',
    ])
  }
  const context = (operation: string) => ({profile: deps.profile, operation, target: instanceId})
  // loaded only for --push-key: `ssmx ssh` itself needs neither EC2 Instance Connect nor the inventory
  const {describeEc2} = await import('../targets/inventory.js')
  const instance = (await describeEc2(deps.ec2, [instanceId]).catch((e) => Promise.reject(mapAwsError(e, context('EC2 DescribeInstances'))))).get(instanceId)
  const az = instance?.Placement?.AvailabilityZone
  if (!az)
    throw new SsmxError('target', `${instanceId} was not found in EC2 (needed for its Availability Zone).`, [
      'Check the region and profile; ssmx list shows the managed instances.',
    ])
  await deps.eic
    .sendSshPublicKey({InstanceId: instanceId, InstanceOSUser: user, SSHPublicKey: publicKey, AvailabilityZone: az})
    .catch((e) => Promise.reject(mapAwsError(e, context('EC2 Instance Connect SendSSHPublicKey'))))
}

/** The ssh command line `ssmx ssh` runs: our ProxyCommand, the key when one was given, the destination, then the user's args. */
export function sshArgs(o: {proxy: string; destination: string; identity?: string; extra: string[]}): string[] {
  return ['-o', `ProxyCommand=${o.proxy}`, ...(o.identity ? ['-i', o.identity] : []), o.destination, ...o.extra]
}

/** Runs the system ssh attached to the terminal; resolves with its exit code. */
export async function runSsh(args: string[], options: {spawn?: Spawn; ssh?: string} = {}): Promise<number> {
  const ssh = options.ssh ?? 'ssh'
  const result = await runAttached(ssh, args, {spawn: options.spawn}).catch((error: NodeJS.ErrnoException) =>
    Promise.reject(
      new SsmxError('prerequisite', error.code === 'ENOENT' ? 'ssh (OpenSSH client) is not installed or not on PATH.' : `Cannot run ssh: ${error.message}`, [
        'Install the OpenSSH client (apt-get install openssh-client, or your OS’s package), or use ssmx connect.',
      ]),
    ),
  )
  return result.code
}

/**
 * The OS user `--push-key` pushes the key for when the destination names none: the Linux user your sessions run as.
 * Broker mode: the broker's decision for this instance (so the key is for the user the guardrail pins
 * ec2-instance-connect:SendSSHPublicKey to). Documents mode: the permission set's runAsUser in the configuration.
 */
export async function defaultPushUser(
  deps: {
    broker?: {decide(request: {target: string; kind: 'ssh'}): Promise<BrokerDecision>}
    permissionSet: () => Promise<string | undefined>
    config: Pick<SsmxConfig, 'permissionSets'>
  },
  instanceId: string,
): Promise<{user: string; from: string}> {
  if (deps.broker) {
    const decision = await deps.broker.decide({target: instanceId, kind: 'ssh'})
    if (!decision.allowed || !decision.linuxUser) {
      const {refusalError} = await import('../broker/client.js')
      throw refusalError(decision, decision.reason ?? 'refused')
    }
    return {user: decision.linuxUser, from: `the session broker's decision for ${decision.permissionSet}`}
  }
  const permissionSet = await deps.permissionSet()
  const user = permissionSet ? deps.config.permissionSets[permissionSet]?.runAsUser : undefined
  if (!user) {
    throw new SsmxError(
      'usage',
      `--push-key needs the OS user the key is for: ${permissionSet ? `the configuration names no runAsUser for the permission set ${permissionSet}` : 'you are not signed in with an IAM Identity Center permission set'}.`,
      [`Name the user: ssmx ssh ec2-user@${instanceId} --push-key`],
    )
  }
  return {user, from: `permission set ${permissionSet}`}
}
