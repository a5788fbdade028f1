import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {sessionFlags} from '../cli/session-flags.js'
import {sshProxyCommand} from '../session/commands.js'

export default class SshProxy extends BaseCommand<typeof SshProxy> {
  static override summary = "Relay an SSH connection through Session Manager (for ssh's ProxyCommand)."
  static override description = `Starts an AWS-StartSSHSession session to the host and relays ssh's bytes over stdin/stdout. Nothing but the connection is written to stdout; notes and errors go to stderr. The host may be an instance id or anything connect accepts (Name tag, IP, tag:Key=Value) that matches exactly one running instance.

Use it from ~/.ssh/config (see ssmx ssh-config), or let ssmx ssh set it up. The instance still needs sshd, and your key in the user's authorized_keys (or ssmx ssh --push-key). With --broker (or "mode: broker" in the configuration) the session broker starts the session.`
  static override examples = [
    {description: 'In ~/.ssh/config', command: 'ProxyCommand <%= config.bin %> ssh-proxy %h %p --profile dev'},
    {description: 'On the command line', command: 'ssh -o ProxyCommand="<%= config.bin %> ssh-proxy %h %p" ec2-user@i-0123456789abcdef0'},
  ]
  static override args = {
    host: Args.string({description: "instance id or name (ssh's %h)", required: true}),
    port: Args.string({description: "the port sshd listens on (ssh's %p)", default: '22'}),
  }
  static override flags = {
    native: sessionFlags.native(),
    broker: sessionFlags.broker(),
  }

  async run(): Promise<void> {
    return this.runBody(sshProxyCommand)
  }
}
