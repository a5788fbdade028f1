import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {sshConfig} from '../session/ssh-config.js'
import {managedInstances} from '../targets/managed.js'

export default class SshConfig extends BaseCommand<typeof SshConfig> {
  static override summary = 'Print a ~/.ssh/config block that sends ssh, scp and rsync through Session Manager.'
  static override description = `"Host i-* mi-*" with ProxyCommand "ssmx ssh-proxy %h %p" (plus --profile/--region/--native when given), so "ssh ec2-user@i-0123…" works, and with --names one Host alias per Name tag of the managed instances (from ssmx list), so "ssh web-1" works. Names on several instances are left out.

Append it to your config: ssmx ssh-config --names >> ~/.ssh/config. With several accounts, write one block per profile; the aliases are a snapshot: run it again when instances change.`
  static override examples = [
    '<%= config.bin %> ssh-config >> ~/.ssh/config',
    '<%= config.bin %> ssh-config --profile dev --names --user ec2-user >> ~/.ssh/config',
    '<%= config.bin %> ssh-config --native >> ~/.ssh/config',
  ]
  static override flags = {
    names: Flags.boolean({description: "add a Host alias for each managed instance's Name tag"}),
    user: Flags.string({description: 'User for these hosts (e.g. ec2-user, ubuntu)'}),
    native: Flags.boolean({
      description: 'the ProxyCommand uses the built-in session client (ssh-proxy --native), even where session-manager-plugin is installed',
    }),
  }

  async run(): Promise<void> {
    const {profile, region, names, user, native} = this.flags
    let aliases
    // the SDK clients load only when AWS is asked, so the plain block prints at once
    if (names) aliases = await managedInstances(await this.awsContext())
    const invocation = [
      'ssmx',
      'ssh-config',
      ...(profile ? ['--profile', profile] : []),
      ...(region ? ['--region', region] : []),
      ...(names ? ['--names'] : []),
      ...(user ? ['--user', user] : []),
      ...(native ? ['--native'] : []),
    ].join(' ')
    process.stdout.write(sshConfig({command: ['ssmx'], profile, region, endpointUrl: this.flags['endpoint-url'], user, aliases, invocation, native}))
  }
}
