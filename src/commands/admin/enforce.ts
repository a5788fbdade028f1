import {Flags} from '@oclif/core'

import {buildArtifacts} from '../../admin/artifacts.js'
import {type EnforceResult, enforce} from '../../admin/enforce.js'
import {enforceFailures, formatEnforceResult, formatPlan} from '../../admin/format.js'
import {AdminCommand, callAsFlag, yesFlag} from '../../admin/command.js'
import {failedWith} from '../../errors.js'

export default class AdminEnforce extends AdminCommand<typeof AdminEnforce> {
  static override summary = 'Deploy the RunAs stack set and its SCP across the organization, or bring them up to date.'
  static override description = `Checks the prerequisites (trusted access for StackSets, SCPs enabled, the caller is the management account or a StackSets delegated administrator) and the configured OUs and regions, then shows a plan: the stack set (create / update / unchanged), its instances per OU × region (including parameter overrides and instances to repair), and the SCP with each attachment. After confirmation (--yes without a terminal) it applies the plan and follows each stack-set operation account by account.

The stack set is service-managed with auto-deployment: accounts that join a targeted OU get the stack at once, accounts that leave lose it. Running enforce again with nothing changed changes nothing. A run that failed for some accounts is repaired by the next one.

With --json there is no prompt (pass --yes, or --dry-run) and stdout holds one object: the plan (stack set, instances per OU × region, SCP, each with its change), every operation with each account × region's result, and the number that failed; progress stays on stderr.

Exit codes: 0 done (or nothing to do), 12 an account or region failed (reasons listed), 13 a prerequisite is missing (each with its fix), 2 confirmation needed without a terminal.`
  static override examples = [
    {description: 'See what would change, change nothing', command: '<%= config.bin %> admin enforce --dry-run'},
    {description: 'Deploy from a pipeline (no terminal to confirm in)', command: '<%= config.bin %> admin enforce --yes'},
    {description: 'From a StackSets delegated administrator account', command: '<%= config.bin %> admin enforce --call-as DELEGATED_ADMIN --profile org-admin'},
    {description: 'Start the deployment and return; follow it with admin status', command: '<%= config.bin %> admin enforce --yes --no-wait'},
    {description: 'The plan as data (what would change per OU × region), changing nothing', command: '<%= config.bin %> admin enforce --dry-run --json'},
    {
      description: 'In a pipeline: apply, then list every account × region that failed',
      command: '<%= config.bin %> admin enforce --yes --json | jq \'.operations[].results[] | select(.status != "SUCCEEDED")\'',
    },
  ]
  static override flags = {
    'dry-run': Flags.boolean({description: 'check prerequisites and show the plan; change nothing'}),
    yes: yesFlag('apply'),
    'call-as': callAsFlag(),
    'no-wait': Flags.boolean({description: 'start the first stack-set operation and return without following it'}),
  }

  static override enableJsonFlag = true

  async run(): Promise<EnforceJson> {
    const {config, ctx} = await this.configAndAws()
    const artifacts = buildArtifacts(config, this.config.version)
    const io = this.interactive(ctx, this.flags['call-as'] ?? config.admin.callAs, {
      yes: this.flags.yes,
      question: 'Apply this plan?',
      action: 'apply the plan above',
      format: formatPlan,
    })
    const result = await enforce(io.deps, config, artifacts, {dryRun: this.flags['dry-run'], wait: !this.flags['no-wait'], show: io.show, confirm: io.confirm})
      .catch((error) => this.failed(error, ctx))
      .finally(() => io.close())
    for (const line of formatEnforceResult(result)) this.log(line)
    const failed = enforceFailures(result)
    const json: EnforceJson = {dryRun: this.flags['dry-run'], ...result, failed}
    if (failed > 0) {
      // with --json the result says which accounts failed and why, the error beside it
      throw failedWith(json, 'compliance', `${failed} account/region deployment${failed > 1 ? 's' : ''} failed (reasons above).`, [
        'Fix the cause (often an SCP, a missing opt-in region or a quota in the member account), then run ssmx admin enforce again: it redeploys the failed instances.',
      ])
    }
    if (result.applied && result.started.length === 0) this.log('✓ Enforced.')
    if (this.flags['dry-run'] && result.plan.changes > 0) this.log('Dry run: nothing was changed.')
    return json
  }
}

/**
 * `admin enforce --json`: the plan (the stack set, its instances per OU × region, the SCP and its attachments, each
 * with its change), each stack-set operation with every account × region's result, and how many failed.
 */
export type EnforceJson = EnforceResult & {dryRun: boolean; failed: number}
