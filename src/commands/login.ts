import {Flags} from '@oclif/core'

import {BaseCommand, globalFlags} from '../base-command.js'
import {type LoginResult, formatLogin, login} from '../login/login.js'

export default class Login extends BaseCommand<typeof Login> {
  static override summary = 'Sign in to IAM Identity Center again when the SSO session has expired.'
  static override description = `Refreshes the SSO session of an IAM Identity Center profile (both the sso_session and the legacy sso_start_url forms).

With AWS CLI v2 on PATH it runs "aws sso login --profile P" in your terminal. Without it (no AWS CLI, AWS CLI v1, which has no "aws sso login", or --no-aws-cli) ssmx does the sign-in itself: it opens the IAM Identity Center page in your browser (or prints the URL and the code to confirm), waits for you to approve, and writes the token to ~/.aws/sso/cache (owner-only) where the AWS SDKs and the AWS CLI find it.

"ssmx connect" offers this by itself when it finds the session expired in a terminal.`
  static override examples = [
    '<%= config.bin %> login --profile dev',
    '<%= config.bin %> login --profile dev --no-aws-cli',
    '<%= config.bin %> login --no-aws-cli --no-browser   # on a machine without a browser: open the printed URL elsewhere',
  ]
  static override enableJsonFlag = true
  /** "aws sso login" would not get it: the sign-in's endpoint moves with AWS_ENDPOINT_URL_SSO_OIDC, for both ways */
  static override baseFlags = globalFlags(null)
  static override flags = {
    'aws-cli': Flags.boolean({
      description: 'use "aws sso login" when AWS CLI v2 is installed (--no-aws-cli: always the built-in sign-in)',
      default: true,
      allowNo: true,
    }),
    browser: Flags.boolean({
      description: 'try to open the sign-in page in a browser ($BROWSER, open, xdg-open, start); --no-browser only prints it',
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<LoginResult> {
    const ctx = await this.awsContext({ssoRegionFallback: true})
    const result = await login({useAwsCli: this.flags['aws-cli'], browser: this.flags.browser}, {ctx, notify: (l) => this.note(l)})
    if (!this.jsonEnabled()) this.log(formatLogin(result))
    return result
  }
}
