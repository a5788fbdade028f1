import {Flags} from '@oclif/core'

import {BaseCommand, globalFlags} from '../base-command.js'
import {sessionFlags} from '../cli/session-flags.js'
import {ExitCode, fromErrorJson} from '../errors.js'
import {brokerMode, resolveTargetFor} from '../session/commands.js'
import {checkTarget} from '../targets/resolve.js'
import {type WhoamiResult, formatWhoami, whoami} from '../identity/whoami.js'

export default class Whoami extends BaseCommand<typeof Whoami> {
  static override summary = 'Show who you are to AWS and which Linux user your sessions run as.'
  static override description = `Answers "who will I be on the instance?" before you connect: the profile and region in use (and where the region comes from), the AWS account and principal ARN (STS GetCallerIdentity), your IAM Identity Center permission set (from the SSO profile, else from the role name in the ARN), and from that the session document ssmx connect will ask for and the Linux user it runs as (your configuration's runAsUser for that permission set). It also shows which session-manager-plugin was found and the ssmx configuration file in use.

Without a permission set (plain IAM users and roles) sessions use SSM-SessionManagerRunShell and the account's default RunAs user. In broker mode (--broker, or "mode: broker" in the configuration) the session broker decides the Linux user per target: whoami shows where the broker is, and with --target what the broker decides for you there (the Linux user and why, or why it refuses: exit code 15), without starting anything.

Changes nothing; needs only sts:GetCallerIdentity (broker mode: ssm:GetParameter for the broker's URL, and lambda:InvokeFunctionUrl on the broker). If something looks wrong, ssmx doctor checks each piece and says how to fix it.`
  static override examples = [
    {description: 'Who you are with the default profile', command: '<%= config.bin %> whoami'},
    {description: "Which Linux user a profile's sessions run as", command: '<%= config.bin %> whoami --profile prod-admin'},
    {description: 'Broker mode: which Linux user the broker gives you on web-1', command: '<%= config.bin %> whoami --broker --target web-1'},
    {description: 'As data, e.g. just the RunAs user', command: '<%= config.bin %> whoami --profile prod-admin --json | jq -r .runAsUser'},
  ]
  static override enableJsonFlag = true
  static override baseFlags = globalFlags('STS')
  static override flags = {
    broker: sessionFlags.broker(),
    target: Flags.string({
      description: 'broker mode: what the broker decides for you on this target (instance id, Name tag, IP, tag:Key=Value), without starting anything',
    }),
  }

  async run(): Promise<WhoamiResult> {
    const {target} = this.flags
    if (target !== undefined) checkTarget(target)
    const {config, filepath, ctx} = await this.configAndAws()
    // the broker client (signer, HTTP handler) is loaded in broker mode only
    const broker = brokerMode(this.flags.broker, config) ? (await import('../broker/client.js')).brokerFor(ctx) : undefined
    const result = await whoami({ctx, config, configFile: filepath, broker, target: target === undefined ? undefined : () => resolveTargetFor(ctx, target)})
    if (!this.jsonEnabled()) for (const line of formatWhoami(result)) this.log(line)
    // what is known without AWS, then why the rest is not: the exit code stays the error's, the result its --json answer
    if (result.error) throw fromErrorJson(result.error, {result})
    // a refusal is shown like any answer, then exits 15
    if (result.broker?.decision && !result.broker.decision.allowed) {
      if (this.jsonEnabled()) this.logJson(result)
      else this.note(`  → ${(await import('../broker/client.js')).ASK_PLATFORM_TEAM}`)
      this.exit(ExitCode.brokerRefused)
    }
    return result
  }
}
