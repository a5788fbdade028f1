import {BaseCommand, globalFlags} from '../base-command.js'
import {fromErrorJson} from '../errors.js'
import {type WhoamiResult, formatWhoami, whoami} from '../identity/whoami.js'

export default class Whoami extends BaseCommand<typeof Whoami> {
  static override summary = 'Show who you are to AWS and which Linux user your sessions run as.'
  static override description = `Answers "who will I be on the instance?" before you connect: the profile and region in use (and where the region comes from), the AWS account and principal ARN (STS GetCallerIdentity), your IAM Identity Center permission set (from the SSO profile, else from the role name in the ARN), and from that the session document ssmx connect will ask for and the Linux user it runs as (your configuration's runAsUser for that permission set). It also shows which session-manager-plugin was found and the ssmx configuration file in use.

Without a permission set (plain IAM users and roles) sessions use SSM-SessionManagerRunShell and the account's default RunAs user. Changes nothing; needs only sts:GetCallerIdentity. If something looks wrong, ssmx doctor checks each piece and says how to fix it.`
  static override examples = [
    {description: 'Who you are with the default profile', command: '<%= config.bin %> whoami'},
    {description: "Which Linux user a profile's sessions run as", command: '<%= config.bin %> whoami --profile prod-admin'},
    {description: 'As data, e.g. just the RunAs user', command: '<%= config.bin %> whoami --profile prod-admin --json | jq -r .runAsUser'},
  ]
  static override enableJsonFlag = true
  static override baseFlags = globalFlags('STS')

  async run(): Promise<WhoamiResult> {
    const {config, filepath, ctx} = await this.configAndAws()
    const result = await whoami({ctx, config, configFile: filepath})
    if (!this.jsonEnabled()) for (const line of formatWhoami(result)) this.log(line)
    // what is known without AWS, then why the rest is not: the exit code stays the error's, the result its --json answer
    if (result.error) throw fromErrorJson(result.error, {result})
    return result
  }
}
