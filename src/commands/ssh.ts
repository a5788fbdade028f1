import {realpathSync} from 'node:fs'
import {homedir} from 'node:os'

import {Args, Flags} from '@oclif/core'

import {mapAwsError} from '../aws/errors.js'
import {ec2 as ec2Port, ec2InstanceConnect} from '../aws/ports.js'
import {BaseCommand} from '../base-command.js'
import {SsmxError} from '../errors.js'
import {terminalLoginOffer, withLoginOffer} from '../login/offer.js'
import {proxyCommand} from '../session/ssh-config.js'
import {findPublicKey, parseDestination, pushKey, runSsh, sshArgs} from '../session/ssh.js'
import {checkTarget, resolveTarget} from '../targets/resolve.js'
import {terminalChooser} from '../ui/chooser.js'

export default class Ssh extends BaseCommand<typeof Ssh> {
  static override summary = 'Run ssh to an instance through Session Manager.'
  static override description = `Runs your system ssh (the OpenSSH client) with ProxyCommand "ssmx ssh-proxy %h %p", so no port 22 needs to be open: port forwards (-L), agent forwarding, X11 and remote commands work as usual. The target is resolved first (instance id, Name tag, private IP or DNS name, tag:Key=Value; a picker opens when several instances match). Everything after -- goes to ssh unchanged.

ssh still logs in with a key: the instance needs sshd and your public key in the user's authorized_keys, or use --push-key. With --push-key, your public key (~/.ssh/id_ed25519.pub or id_rsa.pub, or --key) is first pushed through EC2 Instance Connect for the OS user, valid for 60 seconds, so no key needs to be installed on the instance. That needs a user (user@target), ec2-instance-connect:SendSSHPublicKey and an AMI with EC2 Instance Connect support. --key also makes ssh offer that private key.

The SSH session (AWS-StartSSHSession) runs through session-manager-plugin when it is installed, else through ssmx's built-in session client; --native (passed on to ssh-proxy) uses the built-in client even when the plugin is there. Permissions: ssm:StartSession on the instance and AWS-StartSSHSession, ec2:DescribeInstances to resolve names.

For scp, rsync and editors' remote-SSH, put "ssmx ssh-config" in ~/.ssh/config instead.`
  static override examples = [
    {description: 'Log in as ec2-user (your key must be on the instance)', command: '<%= config.bin %> ssh ec2-user@i-0123456789abcdef0'},
    {description: 'Push your public key for 60 s first, so none needs to be installed', command: '<%= config.bin %> ssh ubuntu@web-1 --push-key'},
    {description: 'Use and push another key', command: '<%= config.bin %> ssh ubuntu@web-1 --push-key --key ~/.ssh/work_ed25519'},
    {
      description: 'Everything after -- is for ssh: here, forward local port 8080 to port 80 on the instance',
      command: '<%= config.bin %> ssh ec2-user@web-1 -- -L 8080:localhost:80',
    },
    {description: 'Run a command instead of a shell', command: '<%= config.bin %> ssh ec2-user@web-1 -- uptime'},
    {description: 'With the built-in session client, no session-manager-plugin needed', command: '<%= config.bin %> ssh ec2-user@web-1 --native'},
  ]
  static override strict = false
  static override args = {
    destination: Args.string({description: '[user@]target: instance id, Name tag, private IP/DNS name, or tag:Key=Value', required: true}),
  }
  static override flags = {
    'push-key': Flags.boolean({description: 'push your public key for 60 s through EC2 Instance Connect first'}),
    key: Flags.string({description: 'private key to offer (and push, from KEY.pub) instead of ~/.ssh/id_ed25519 or id_rsa'}),
    native: Flags.boolean({description: 'use the built-in session client even when session-manager-plugin is installed (passed on to ssh-proxy)'}),
  }

  async run(): Promise<void> {
    // the positional words oclif parsed (strict off): the destination, then everything for ssh
    const extra = this.positionals.slice(1)
    const {user, target} = parseDestination(this.args.destination)
    checkTarget(target)
    const ctx = await this.awsContext()
    const ec2 = ec2Port(ctx)
    const prepare = async () => {
      const instance = await resolveTarget(target, {ec2, choose: terminalChooser(ctx)}).catch((e) =>
        Promise.reject(mapAwsError(e, {profile: ctx.profile.name, operation: 'EC2 DescribeInstances', target})),
      )
      let identity: string | undefined
      if (this.flags['push-key'] || this.flags.key) {
        const key = await findPublicKey(homedir(), this.flags.key)
        identity = key.identity
        if (this.flags['push-key']) {
          if (!user) throw new SsmxError('usage', '--push-key needs the OS user the key is for.', [`Example: ssmx ssh ec2-user@${target} --push-key`])
          await pushKey({ec2, eic: ec2InstanceConnect(ctx), profile: ctx.profile.name}, instance.id, user, key.publicKey)
          this.note(`Pushed ${key.publicPath} for ${user}@${instance.id} (valid 60 s).`)
        }
      }
      return {instance, identity}
    }
    const {instance, identity} = await withLoginOffer(
      prepare,
      terminalLoginOffer(ctx, (l) => this.note(l)),
    )
    const self = process.argv[1] ? [process.execPath, realpathSync(process.argv[1])] : ['ssmx']
    const proxy = proxyCommand({
      command: self,
      profile: ctx.profile.explicit ? ctx.profile.name : undefined,
      region: this.flags.region,
      endpointUrl: this.flags['endpoint-url'],
      native: this.flags.native,
    })
    const code = await runSsh(sshArgs({proxy, destination: user ? `${user}@${instance.id}` : instance.id, identity, extra}))
    if (code !== 0) this.exit(code)
  }
}
