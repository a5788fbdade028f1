import {BaseCommand} from '../base-command.js'
import {type DoctorResult, doctor} from '../doctor/doctor.js'
import {formatDoctor} from '../doctor/format.js'

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary = 'Check everything ssmx connect needs, and say how to fix what is missing.'
  static override description = `One line per check: ✓ fine, ! works but look, ✗ blocks connect (with the fix under it), – skipped because an earlier check failed, i not applicable or not checkable.

Checks: Node.js version, session-manager-plugin (present, and new enough to take the session token from the environment), the ssmx configuration, ~/.aws/config, the profile, the region and where it comes from, the SSO session's token and its expiry, the credentials (STS GetCallerIdentity), SSM (DescribeInstanceInformation), your permission set's session document (DescribeDocument), and what can be known about the SSMSessionRunAs tag.

Read-only: it never changes anything and never prints a token. The exit code is 0 when nothing blocks connect, else the exit code connect would fail with.`
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --profile dev', '<%= config.bin %> doctor --json']
  static override enableJsonFlag = true

  async run(): Promise<DoctorResult> {
    const result = await doctor({profile: this.flags.profile, loadConfig: () => this.loadConfig(), awsContext: () => this.awsContext()})
    if (this.jsonEnabled()) {
      if (!result.ok) {
        this.logJson(result)
        this.exit(result.exitCode)
      }
      return result
    }
    for (const line of formatDoctor(result)) this.log(line)
    if (!result.ok) this.exit(result.exitCode)
    return result
  }
}
