import {resolveTargetFor} from '../session/commands.js'
import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {sessionFlags} from '../cli/session-flags.js'
import {checkTarget} from '../targets/resolve.js'
import {type DoctorResult, doctor, doctorFailed} from '../doctor/doctor.js'
import {formatDoctor} from '../doctor/format.js'

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary = 'Check everything ssmx connect needs, and say how to fix what is missing.'
  static override description = `Run it first on a new machine, and whenever connect fails in a way you don't understand. It checks, in order, everything ssmx connect needs, and prints one line per check: ✓ fine, ! works but look, ✗ blocks connect (with the fix under it), – skipped because an earlier check failed, i not applicable or not checkable.

Checks: Node.js version; session-manager-plugin (a missing plugin is only a warning, since connect, forward and ssh-proxy then use ssmx's built-in session client; an installed plugin that cannot run is ✗; with "native: true" in the configuration the plugin is not used and the check is information only); the ssmx configuration; ~/.aws/config; the profile; the region and where it comes from; the proxy for AWS calls (only when HTTPS_PROXY or HTTP_PROXY is set); the SSO session's token and its expiry; the credentials (STS GetCallerIdentity); SSM (DescribeInstanceInformation); your permission set's session document (DescribeDocument); and what can be known about the SSMSessionRunAs tag.

In broker mode (--broker, or "mode: broker" in the configuration) it also checks the session broker: that its URL is published in this account and region (else exit 13: not deployed here), and that it answers your signed requests (403: lambda:InvokeFunctionUrl/InvokeFunction missing or the wrong region, exit 8; no answer: exit 11). With --target it shows what the broker decides for you on that target: the Linux user and where it comes from, or the broker's reason for refusing (exit 15) and whom to ask.

Read-only: it never changes anything and never prints a token. It needs sts:GetCallerIdentity; the SSM and IAM calls are used when allowed (a denied call is a warning or a note). The exit code is 0 when nothing blocks connect, else the exit code connect would fail with (5 for an expired SSO session, 3 for an invalid configuration, …), so scripts can gate on it.`
  static override examples = [
    {description: 'Check the default profile (AWS_PROFILE, else "default")', command: '<%= config.bin %> doctor'},
    {description: 'Check a named profile before connecting with it', command: '<%= config.bin %> doctor --profile dev'},
    {description: 'The same as data, for a script or a bug report', command: '<%= config.bin %> doctor --profile dev --json'},
    {description: 'Check the session broker and what it decides for you on web-1', command: '<%= config.bin %> doctor --broker --target web-1'},
    {
      description: 'Only the checks that need attention',
      command: '<%= config.bin %> doctor --json | jq \'.checks[] | select(.status == "warn" or .status == "fail")\'',
    },
  ]
  static override enableJsonFlag = true
  static override flags = {
    broker: sessionFlags.broker(),
    target: Flags.string({description: 'broker mode: also ask the broker what it decides for you on this target (instance id, Name tag, IP, tag:Key=Value)'}),
  }

  async run(): Promise<DoctorResult> {
    if (this.flags.target !== undefined) checkTarget(this.flags.target)
    const result = await doctor({
      profile: this.flags.profile,
      loadConfig: () => this.loadConfig(),
      awsContext: () => this.awsContext(),
      broker: this.flags.broker,
      target: this.flags.target,
      resolveTarget: resolveTargetFor,
    })
    if (!this.jsonEnabled()) for (const line of formatDoctor(result)) this.log(line)
    if (!result.ok) throw doctorFailed(result)
    return result
  }
}
