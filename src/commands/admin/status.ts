import {buildArtifacts} from '../../admin/artifacts.js'
import {AdminCommand, callAsFlag} from '../../admin/command.js'
import {adminDeps} from '../../admin/deps.js'
import {formatStatus} from '../../admin/format.js'
import {idcDeps} from '../../admin/guardrails/idc.js'
import {type GuardrailCheck, checkGuardrails, formatGuardrailCheck, guardrailProblems} from '../../admin/guardrails/service.js'
import {type StatusReport, adminStatus} from '../../admin/status.js'
import {ExitCode} from '../../errors.js'

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

  async run(): Promise<StatusReport & {guardrails?: GuardrailCheck}> {
    const {config, ctx} = await this.configAndAws()
    const artifacts = buildArtifacts(config, this.config.version)
    const deps = adminDeps(ctx, this.flags['call-as'] ?? config.admin.callAs)
    const [stacks, guardrails] = await Promise.all([
      adminStatus(deps, config, artifacts).catch((error) => this.failed(error, ctx)),
      checkGuardrails(
        config,
        idcDeps(ctx, () => {}),
      ),
    ])
    const extra = guardrailProblems(guardrails)
    const report = {...stacks, ...(guardrails ? {guardrails} : {}), problems: [...stacks.problems, ...extra], compliant: stacks.compliant && extra.length === 0}
    if (!this.jsonEnabled()) {
      const lines = formatStatus(report)
      // the guardrail lines go before the verdict (the last line)
      if (guardrails) lines.splice(-1, 0, ...formatGuardrailCheck(guardrails))
      for (const line of lines) this.log(line)
    }
    if (!report.compliant) {
      // oclif prints a returned value only on success: print the report here, then exit non-zero
      if (this.jsonEnabled()) this.logJson(report)
      this.exit(ExitCode.compliance)
    }
    return report
  }
}
