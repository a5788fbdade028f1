import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {sessionFlags} from '../cli/session-flags.js'
import {connectCommand} from '../session/commands.js'

export default class Connect extends BaseCommand<typeof Connect> {
  static override summary = "Open a shell on an instance as your permission set's Linux user."
  static override description = `Like "aws ssm start-session", but picks the session document of the IAM Identity Center permission set you signed in with, so the shell runs as that permission set's RunAs user. The session is handed to AWS's session-manager-plugin exactly as the AWS CLI does (the token travels in the environment, never on the command line).

With --broker, or "mode: broker" in the configuration, the session broker your platform team deployed starts the session instead: it decides the Linux user from your permission set (or a per-user override) on its side, and --document cannot be used. ssmx finds the broker's URL in the SSM parameter /session-broker/ssmx/url of the account and region, signs its request with your credentials, and hands the started session to the plugin as usual; the plugin's ResumeSession/TerminateSession calls go to the broker through a loopback relay.

Without session-manager-plugin installed (or with --native, or "native: true" in the configuration) ssmx runs the session with its built-in client instead.

The target is an instance id (i-…, mi-…), a Name tag, a private IP, a private DNS name, or tag:Key=Value. With no target, or a target that matches several running instances, a picker opens in the terminal (type to filter, arrows, Enter; Esc cancels with exit code 130). Without a terminal ssmx never prompts: pass a target.`
  static override examples = [
    '<%= config.bin %> connect',
    '<%= config.bin %> connect i-0123456789abcdef0',
    '<%= config.bin %> connect web-1 --profile dev',
    '<%= config.bin %> connect tag:Role=bastion --reason "JIRA-123"',
    '<%= config.bin %> connect i-0123456789abcdef0 --dry-run',
    '<%= config.bin %> connect web-1 --native',
    '<%= config.bin %> connect web-1 --broker',
  ]
  static override args = {
    target: Args.string({description: 'instance id, Name tag, private IP/DNS name, or tag:Key=Value (none: pick one)'}),
  }
  static override flags = {
    document: Flags.string({description: "use this session document instead of the permission set's"}),
    reason: sessionFlags.reason(),
    native: sessionFlags.native(),
    broker: sessionFlags.broker(),
    'dry-run': Flags.boolean({description: 'show identity, target, document, the StartSession request and the plugin command, and start nothing'}),
  }

  async run(): Promise<void> {
    return this.runBody(connectCommand)
  }
}
