import {Flags} from '@oclif/core'

import {formatGuardrailPlan, formatGuardrailResult} from '../../admin/format.js'
import {idcDeps} from '../../admin/guardrails/idc.js'
import {type GuardrailResult, runGuardrails} from '../../admin/guardrails/service.js'
import {BaseCommand, globalFlags} from '../../base-command.js'
import {confirmChange} from '../../ui/confirm.js'

export default class AdminGuardrails extends BaseCommand<typeof AdminGuardrails> {
  static override summary = 'Pin each permission set to its own RunAs document in IAM Identity Center.'
  static override description = `Merges a marked ssmx statement set (Sids SsmxGuardrail…) into the inline policy of every permission set in the configuration: ssm:StartSession is allowed only with that permission set's document (plus the instance resources and the port-forwarding / SSH documents of admin.guardrails.allowDocuments) and explicitly denied with any other session document, including the default SSM-SessionManagerRunShell, so even a permission set that also has AdministratorAccess cannot start a shell as another role's Linux user. Other statements of the inline policy are kept as they are.

Run it from the IAM Identity Center administration account (management or delegated administrator) in the instance's region. It shows a diff per permission set, asks before writing (--yes in scripts), re-provisions the changed permission sets to all their accounts and waits for that. Running it again with nothing changed changes nothing; --remove takes the ssmx statements out again.

It also checks the instance's attributes for access control: an SSMSessionRunAs attribute overrides every document; --remove-runas-attribute removes that mapping and keeps the others.`
  static override examples = [
    {description: 'Show what would change, write nothing', command: '<%= config.bin %> admin guardrails --dry-run --profile org-admin --region eu-west-1'},
    {description: 'Apply after confirming in the terminal', command: '<%= config.bin %> admin guardrails --profile org-admin --region eu-west-1'},
    {description: 'In CI: no prompt, JSON result', command: '<%= config.bin %> admin guardrails --yes --json'},
    {description: 'Also remove the SSMSessionRunAs attribute mapping', command: '<%= config.bin %> admin guardrails --remove-runas-attribute'},
    {description: 'Take the ssmx statements out again', command: '<%= config.bin %> admin guardrails --remove --yes'},
  ]
  static override enableJsonFlag = true
  /** the permission sets live in IAM Identity Center: --endpoint-url is SSO Admin's (as in aws sso-admin …) */
  static override baseFlags = globalFlags('SSO_ADMIN')
  static override flags = {
    'dry-run': Flags.boolean({description: 'show the diff per permission set and change nothing'}),
    yes: Flags.boolean({char: 'y', description: 'apply without asking (required when not in a terminal)'}),
    'instance-arn': Flags.string({description: 'the IAM Identity Center instance (needed only when several are visible)'}),
    'remove-runas-attribute': Flags.boolean({description: 'remove the SSMSessionRunAs attribute mapping of the instance, keeping the other attributes'}),
    remove: Flags.boolean({description: 'take the ssmx statements out of the inline policies (an inline policy left empty is deleted)'}),
  }

  async run(): Promise<GuardrailResult> {
    const {config, ctx} = await this.configAndAws()
    const json = this.jsonEnabled()
    return runGuardrails(
      config,
      {
        instanceArn: this.flags['instance-arn'],
        remove: this.flags.remove,
        removeRunAsAttribute: this.flags['remove-runas-attribute'],
        dryRun: this.flags['dry-run'],
        yes: this.flags.yes,
        json,
        show: (what) => {
          if (!json) for (const line of 'plan' in what ? formatGuardrailPlan(what.plan) : ['', ...formatGuardrailResult(what.result)]) this.log(line)
        },
        confirm: () => confirmChange('Write these changes and re-provision the permission sets?', {flag: '--yes', action: 'change the permission sets'}),
      },
      idcDeps(ctx, (line) => this.note(line)),
    )
  }
}
