import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {sessionFlags} from '../cli/session-flags.js'
import {forwardCommand} from '../session/commands.js'

export default class Forward extends BaseCommand<typeof Forward> {
  static override summary = 'Forward a local port to a port on an instance, or through it to another host (RDS…).'
  static override description = `Port forwarding through Session Manager: AWS-StartPortForwardingSession to a port on the instance itself, or with --host AWS-StartPortForwardingSessionToRemoteHost to a host the instance can reach, such as an RDS or ElastiCache endpoint in a private subnet.

PORTS is LOCAL:REMOTE (8080:80), or REMOTE alone to use the same port locally; --local sets the local port separately. The local port is checked before any session starts (a busy port is an error, nothing is left behind); a local port of 0 picks a free one. One line on stderr says what is forwarded where; the forward lasts until Ctrl-C, which stops it, and the session is always terminated.

The session runs through session-manager-plugin when it is installed, else (or with --native, or "native: true" in the configuration) through ssmx's built-in session client. --dry-run checks the local port and shows the StartSession request and the plugin command without starting anything; --reason is recorded with the session for auditors.

Permissions: ssm:StartSession on the instance and the document (AWS-StartPortForwardingSession or …ToRemoteHost), ssm:TerminateSession. With --broker (or "mode: broker" in the configuration) the session broker starts and ends the session instead, if your permission set may forward to that instance; you then need ssm:GetParameter on the broker's URL parameter and lambda:InvokeFunctionUrl on the broker.`
  static override examples = [
    {description: 'A web server on the instance, on localhost:8080', command: '<%= config.bin %> forward web-1 8080:80'},
    {
      description: 'A private RDS database through a bastion, on a free local port',
      command: '<%= config.bin %> forward bastion 0:5432 --host mydb.abc123xyz.eu-west-1.rds.amazonaws.com',
    },
    {description: 'Same port on both sides (RDP)', command: '<%= config.bin %> forward i-0123456789abcdef0 3389'},
    {
      description: 'Choose the local port with --local, and record why',
      command: '<%= config.bin %> forward db-bastion 5432 --host mydb.internal --local 15432 --reason "TICKET-123"',
    },
    {description: 'With the built-in session client, no session-manager-plugin needed', command: '<%= config.bin %> forward web-1 8080:80 --native'},
    {description: 'Through the session broker', command: '<%= config.bin %> forward web-1 8080:80 --broker'},
    {description: 'Show what would be started, and start nothing', command: '<%= config.bin %> forward web-1 8080:80 --dry-run'},
  ]
  static override args = {
    target: Args.string({description: 'instance id, Name tag, private IP/DNS name, or tag:Key=Value', required: true}),
    ports: Args.string({description: 'LOCAL:REMOTE, or REMOTE alone for the same port locally (LOCAL 0 picks a free port)', required: true}),
  }
  static override flags = {
    host: Flags.string({description: 'forward to this host through the instance (AWS-StartPortForwardingSessionToRemoteHost), e.g. an RDS endpoint'}),
    local: Flags.string({description: 'local port (overrides LOCAL; 0 picks a free port)'}),
    reason: sessionFlags.reason(),
    native: sessionFlags.native(),
    broker: sessionFlags.broker(),
    'dry-run': Flags.boolean({description: 'check the local port, show the StartSession request and the plugin command, and start nothing'}),
  }

  async run(): Promise<void> {
    return this.runBody(forwardCommand)
  }
}
