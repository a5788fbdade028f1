import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {sshToInstance} from '../session/ssh-command.js'

export default class Ssh extends BaseCommand<typeof Ssh> {
  static override summary = 'Run ssh to an instance through Session Manager.'
  static override description = `Runs your system ssh (the OpenSSH client) with ProxyCommand "ssmx ssh-proxy %h %p", so no port 22 needs to be open: port forwards (-L), agent forwarding, X11 and remote commands work as usual. The target is resolved first (instance id, Name tag, private IP or DNS name, tag:Key=Value; a picker opens when several instances match). Everything after -- goes to ssh unchanged.

ssh still logs in with a key: the instance needs sshd and your public key in the user's authorized_keys, or use --push-key. With --push-key, your public key (~/.ssh/id_ed25519.pub or id_rsa.pub, or --key) is first pushed through EC2 Instance Connect for the OS user, valid for 60 seconds, so no key needs to be installed on the instance. Without user@ the key is pushed for the Linux user your sessions run as: your permission set's runAsUser in the configuration, or in broker mode the user the broker decides for you on that instance (which is the one user the guardrails let you push a key for). It needs ec2-instance-connect:SendSSHPublicKey and an AMI with EC2 Instance Connect support. --key also makes ssh offer that private key.

The SSH session (AWS-StartSSHSession) runs through session-manager-plugin when it is installed, else through ssmx's built-in session client; --native (passed on to ssh-proxy) uses the built-in client even when the plugin is there. Permissions: ssm:StartSession on the instance and AWS-StartSSHSession, ec2:DescribeInstances to resolve names.

For scp, rsync and editors' remote-SSH, put "ssmx ssh-config" in ~/.ssh/config instead.`
  static override examples = [
    {description: 'Log in as ec2-user (your key must be on the instance)', command: '<%= config.bin %> ssh ec2-user@i-0123456789abcdef0'},
    {description: 'Push your public key for 60 s first, so none needs to be installed', command: '<%= config.bin %> ssh ubuntu@web-1 --push-key'},
    {
      description: "Push your key for your permission set's Linux user (broker mode: the broker's choice) and log in as that user",
      command: '<%= config.bin %> ssh web-1 --push-key',
    },
    {description: 'Through the session broker', command: '<%= config.bin %> ssh web-1 --push-key --broker'},
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
    broker: Flags.boolean({description: 'start the SSH session through the session broker, as "mode: broker" in the configuration (passed on to ssh-proxy)'}),
  }

  async run(): Promise<void> {
    // the positional words oclif parsed (strict off): the destination, then everything for ssh
    const options = {
      destination: this.args.destination,
      extra: this.positionals.slice(1),
      pushKey: this.flags['push-key'],
      key: this.flags.key,
      native: this.flags.native,
      broker: this.flags.broker,
      region: this.flags.region,
      endpointUrl: this.flags['endpoint-url'],
    }
    const code = await sshToInstance(options, {
      context: () => this.awsContext(),
      config: async () => (await this.loadConfig()).config,
      note: (l) => this.note(l),
    })
    if (code !== 0) this.exit(code)
  }
}
