import {BaseCommand} from '../base-command.js'
import {type WhoamiResult, formatWhoami, whoami} from '../identity/whoami.js'

export default class Whoami extends BaseCommand<typeof Whoami> {
  static override summary = 'Show who you are to AWS and which Linux user your sessions run as.'
  static override description = 'Profile, region, account, principal ARN, the permission set (from the SSO profile or STS) and the session document and RunAs user ssmx will use, plus the session-manager-plugin found.'
  static override examples = ['<%= config.bin %> whoami', '<%= config.bin %> whoami --profile prod-admin --json']
  static override enableJsonFlag = true

  async run(): Promise<WhoamiResult> {
    const [{config, filepath}, ctx] = await Promise.all([this.loadConfig(), this.awsContext()])
    const result = await whoami({ctx, config, configFile: filepath})
    if (!this.jsonEnabled()) for (const line of formatWhoami(result)) this.log(line)
    return result
  }
}
