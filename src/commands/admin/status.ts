import {buildArtifacts} from '../../admin/artifacts.js'
import {AdminCommand, callAsFlag} from '../../admin/command.js'
import {adminDeps} from '../../admin/deps.js'
import {formatOrganizationStatus} from '../../admin/format.js'
import {idcDeps} from '../../admin/guardrails/idc.js'
import {type OrganizationStatus, organizationStatus, outOfCompliance} from '../../admin/status.js'

export default class AdminStatus extends AdminCommand<typeof AdminStatus> {
  static override summary = 'Show whether every account and region runs the RunAs stack and the SCP is attached.'
  static override description = `Reads, changes nothing: the stack set and the ssmx template version it runs (compared with this ssmx's), every stack instance per OU, account and region with its status, detailed status and drift status, configured OU × region pairs not deployed, whether the SCP exists, matches the configuration and is attached to each expected target, and (when IAM Identity Center is reachable with the same profile and region) whether each permission set's guardrail is present and current and whether the SSMSessionRunAs attribute overrides the documents.

Exit code 0 when everything is in compliance, 12 otherwise (with --json too), so it fits a scheduled check. Drift is as CloudFormation last detected it (aws cloudformation detect-stack-set-drift refreshes it).`
  static override examples = [
    '<%= config.bin %> admin status',
    {
      description: 'Machine-readable, for a dashboard or a scheduled check',
      command: '<%= config.bin %> admin status --json > status.json || echo "out of compliance"',
    },
  ]
  static override enableJsonFlag = true
  static override flags = {
    'call-as': callAsFlag(),
  }

  async run(): Promise<OrganizationStatus> {
    const {config, ctx} = await this.configAndAws()
    const deps = {admin: adminDeps(ctx, this.flags['call-as'] ?? config.admin.callAs), idc: idcDeps(ctx, () => {}), debug: this.debugNote()}
    const report = await organizationStatus(deps, config, buildArtifacts(config, this.config.version)).catch((error) => this.failed(error, ctx))
    if (!this.jsonEnabled()) for (const line of formatOrganizationStatus(report)) this.log(line)
    if (!report.compliant) throw outOfCompliance(report)
    return report
  }
}
