import {AdminCommand, callAsFlag, yesFlag} from '../../admin/command.js'
import {formatOperations, formatRemovePlan} from '../../admin/format.js'
import {type RemoveResult, remove} from '../../admin/remove.js'
import {failedWith} from '../../errors.js'

export default class AdminRemove extends AdminCommand<typeof AdminRemove> {
  static override summary = 'Remove the RunAs stack set from every account and delete the SCP.'
  static override description = `In this order: deletes the stack instances (their stacks are deleted, so each account's custom resource removes the ssmx session documents; SSM-SessionManagerRunShell is left as admin.onDelete says), deletes the stack set, detaches the SCP from every target and deletes it. Whatever is already gone is skipped, so running it again finishes a removal that stopped half-way.

With --json (and --yes: there is no prompt) stdout holds one object: what was to be removed (OUs × regions, the stack set, the SCP and its attachments), whether it was, and the delete operation with each account × region's result.

Exit codes: 0 removed (or nothing to remove), 12 an account or region failed to delete (reasons listed; the stack set and SCP are kept until it succeeds), 2 confirmation needed without a terminal.`
  static override examples = [
    '<%= config.bin %> admin remove',
    {description: 'Without a terminal (pipeline)', command: '<%= config.bin %> admin remove --yes'},
    {description: 'The same, with the result as data', command: '<%= config.bin %> admin remove --yes --json'},
  ]
  static override flags = {
    yes: yesFlag('remove'),
    'call-as': callAsFlag(),
  }

  static override enableJsonFlag = true

  async run(): Promise<RemoveResult> {
    const {config, ctx} = await this.configAndAws()
    const io = this.interactive(ctx, this.flags['call-as'] ?? config.admin.callAs, {
      yes: this.flags.yes,
      question: 'Remove all of the above?',
      action: 'remove the above',
      format: formatRemovePlan,
    })
    const result = await remove(io.deps, config, {show: io.show, confirm: io.confirm})
      .catch((error) => this.failed(error, ctx))
      .finally(() => io.close())
    if (result.operation) for (const line of formatOperations([result.operation])) this.log(line)
    if (result.plan.nothing) return result
    if (!result.removed) {
      throw failedWith(result, 'compliance', 'Some stack instances could not be deleted (reasons above); the stack set and the SCP are kept.', [
        'Fix the cause in those accounts, then run ssmx admin remove again.',
      ])
    }
    this.log('✓ Removed.')
    return result
  }
}
