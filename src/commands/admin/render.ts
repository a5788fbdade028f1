import {Flags} from '@oclif/core'

import {LZA_OVERWRITE_NOTE} from '../../admin/guardrails/lza.js'
import {type RenderSummary, renderAdmin, summarize, writeRendered} from '../../admin/render.js'
import {MAX_SCP_CHARACTERS} from '../../admin/scp.js'
import {BaseCommand, globalFlags} from '../../base-command.js'

export default class AdminRender extends BaseCommand<typeof AdminRender> {
  static override summary = 'Write the StackSet template and the SCP (and with --lza, Landing Zone Accelerator entries) for review or for LZA.'
  static override description = `Renders, from the ssmx configuration and without calling AWS, what "ssmx admin enforce" deploys: the StackSet template (a Lambda-backed custom resource that sets Session Manager RunAs in SSM-SessionManagerRunShell and keeps one session document per permission set) and the service control policy that protects those documents.

With --lza it also writes the customizations-config.yaml cloudFormationStackSets entry, the organization-config.yaml serviceControlPolicies entry, the iam-config.yaml identityCenterPermissionSets entries with one guardrail inline policy per permission set (see ssmx admin guardrails) and the SCP in LZA's \${PARTITION}/\${ACCELERATOR_PREFIX} form, laid out like an LZA configuration repository, with a README saying where each file goes. LZA deploys stack sets self-managed (new accounts are covered on the next pipeline run); "admin enforce" deploys them service-managed (new accounts are covered at once).

Without --out it prints a summary of what it would write. The same configuration and ssmx version always give the same bytes.`
  static override examples = [
    '<%= config.bin %> admin render',
    '<%= config.bin %> admin render --out ./ssmx-admin',
    '<%= config.bin %> admin render --lza --out ./ssmx-lza',
    '<%= config.bin %> admin render --lza --json',
  ]
  static override enableJsonFlag = true
  /** no AWS call: --profile, --region and --endpoint-url are refused, never ignored */
  static override baseFlags = globalFlags(null, {callsAws: false})
  static override flags = {
    out: Flags.string({char: 'o', description: 'directory to write the files to (created if missing); without it, only a summary is printed'}),
    lza: Flags.boolean({
      description: 'also write the Landing Zone Accelerator configuration entries (needs admin.regions, admin.organizationalUnits and admin.lza names)',
    }),
  }

  async run(): Promise<RenderSummary> {
    const {config} = await this.loadConfig()
    const result = renderAdmin(config, this.config.version, {lza: this.flags.lza})
    const out = this.flags.out
    const written = out ? writeRendered(out, result.files) : undefined
    const output = summarize(result, out)
    if (!this.jsonEnabled()) {
      for (const line of describe(output, written)) this.log(line)
      if (!out) this.note('Nothing written: pass --out DIR to write these files.')
    }
    if (this.flags.lza && output.files.some((f) => f.path === 'lza/iam-config.yaml')) this.note(`Note: ${LZA_OVERWRITE_NOTE}`)
    return output
  }
}

function describe(o: RenderSummary, written?: string[]): string[] {
  return [
    `Stack set ${o.stackSetName}: template version ${o.templateVersion}, ${o.templateBytes} bytes`,
    `Session documents: SSM-SessionManagerRunShell${o.documents.length ? `, ${o.documents.join(', ')}` : ''}`,
    o.scpName ? `SCP ${o.scpName}: ${o.scpCharacters} of ${MAX_SCP_CHARACTERS} characters` : 'SCP: disabled (admin.scp.enabled: false)',
    written ? `Wrote ${written.length} files:` : 'Would write:',
    ...o.files.map((f, i) => `  ${written ? written[i] : f.path}  (${f.bytes} bytes: ${f.description})`),
  ]
}
