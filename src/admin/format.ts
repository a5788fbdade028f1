import type {EnforcePlan, EnforceResult} from './enforce.js'
import {RUN_AS_ATTRIBUTE, type RunAsAttributeCheck} from './guardrails/idc.js'
import {type GuardrailCheck, type GuardrailPlan, type GuardrailResult, type GuardrailStatus, planHasChanges, policyDiff} from './guardrails/service.js'
import type {RemovePlan} from './remove.js'
import type {OperationOutcome} from './stackset.js'
import type {OrganizationStatus, StatusReport} from './status.js'

const SYMBOL: Record<string, string> = {create: '+', update: '~', repair: '~', delete: '-', attach: '+', detach: '-', unchanged: '='}

/** The enforce plan as lines for stdout. */
export function formatPlan(plan: EnforcePlan): string[] {
  const label = (id: string) => (plan.names[id] && plan.names[id] !== id ? `${id} (${plan.names[id]})` : id)
  const lines = [`Stack set ${plan.stackSetName} in ${plan.region} (call as ${plan.callAs}):`]
  const ss = plan.stackSet
  lines.push(`  ${SYMBOL[ss.change]} stack set: ${ss.change}${ss.reasons.length > 0 ? ` (${ss.reasons.join(', ')})` : ''}`)
  const byOu = new Map<string, typeof plan.instances>()
  for (const i of plan.instances) byOu.set(i.organizationalUnitId, [...(byOu.get(i.organizationalUnitId) ?? []), i])
  for (const [ou, items] of byOu) {
    lines.push(`  instances in ${label(ou)}:`)
    for (const i of items) {
      const overrides =
        i.overrides.length > 0 && i.change !== 'delete' ? ` [overrides: ${i.overrides.map((p) => `${p.ParameterKey}=${p.ParameterValue}`).join(', ')}]` : ''
      lines.push(`    ${SYMBOL[i.change]} ${i.region}: ${i.change}${i.reason ? ` (${i.reason})` : ''}${overrides}`)
    }
  }
  if (plan.scp) {
    const s = plan.scp
    lines.push(`SCP ${s.name}:`)
    lines.push(`  ${SYMBOL[s.change]} policy: ${s.change}${s.reasons.length > 0 ? ` (${s.reasons.join(', ')})` : ''}`)
    for (const a of s.attachments) {
      const what =
        a.change === 'attach'
          ? `attach (${a.attachedScps} of 5 SCPs in use)`
          : a.change === 'detach'
            ? 'detach (no longer in admin.scp.targets)'
            : 'already attached'
      lines.push(`  ${SYMBOL[a.change]} attached to ${label(a.targetId)}: ${what}`)
    }
  } else {
    lines.push('SCP: disabled (admin.scp.enabled: false)')
  }
  lines.push(plan.changes === 0 ? 'Nothing to change: everything is as configured.' : `${plan.changes} change${plan.changes > 1 ? 's' : ''} to apply.`)
  return lines
}

/** What enforce did, for stdout; failures carry CloudFormation's reason. */
export function formatEnforceResult(r: EnforceResult): string[] {
  const lines = formatOperations(r.operations)
  for (const id of r.started) lines.push(`Started operation ${id}; not waiting (--no-wait). Follow it with: ssmx admin status`)
  if (r.pending > 0) lines.push(`${r.pending} more operation${r.pending > 1 ? 's' : ''} remain: run ssmx admin enforce again once this one has finished.`)
  return lines
}

/** Each finished stack-set operation with its counts, and every failed account × region with CloudFormation's reason. */
export function formatOperations(operations: OperationOutcome[]): string[] {
  const lines: string[] = []
  for (const op of operations) {
    lines.push(`${op.action} ${op.operationId}: ${op.status} (${op.succeeded} succeeded, ${op.failures.length} failed)${op.reason ? `: ${op.reason}` : ''}`)
    for (const f of op.failures) lines.push(`  ✗ ${f.account} ${f.region}: ${f.status} ${f.reason ?? '(no reason given)'}`)
  }
  return lines
}

export const enforceFailures = (r: EnforceResult): number =>
  r.operations.reduce((n, op) => n + op.failures.length + (op.failures.length === 0 && op.status !== 'SUCCEEDED' ? 1 : 0), 0)

export function formatRemovePlan(plan: RemovePlan): string[] {
  if (plan.nothing) return [`Nothing to remove: no stack set ${plan.stackSetName} and no ssmx SCP.`]
  const lines: string[] = []
  if (plan.stackSet) {
    lines.push(
      `- ${plan.instanceCount} stack instance${plan.instanceCount === 1 ? '' : 's'} of ${plan.stackSetName} in ${plan.organizationalUnitIds.join(', ') || '-'} × ${plan.regions.join(', ') || '-'} (stacks deleted)`,
    )
    lines.push(`- stack set ${plan.stackSetName}`)
  }
  if (plan.scp) {
    for (const t of plan.scp.targets) lines.push(`- SCP ${plan.scp.name} attachment to ${t}`)
    lines.push(`- SCP ${plan.scp.name}`)
  }
  return lines
}

/** Status for stdout: per OU counts, every instance out of compliance with its reason, the SCP, the verdict. */
export function formatStatus(r: StatusReport): string[] {
  const lines: string[] = []
  const s = r.stackSet
  lines.push(
    s.exists
      ? `Stack set ${r.stackSetName}: ${s.status ?? ''}, template ${s.deployedVersion ?? 'unknown'} (this ssmx: ${s.expectedVersion}${s.matchesConfiguration ? ', matches the configuration' : ', differs from the configuration'})`
      : `Stack set ${r.stackSetName}: not deployed`,
  )
  for (const [ou, c] of Object.entries(r.summary)) {
    lines.push(
      `  ${ou}: ${c.compliant}/${c.total} current${c.outdated ? `, ${c.outdated} outdated` : ''}${c.failed ? `, ${c.failed} failed` : ''}${c.drifted ? `, ${c.drifted} drifted` : ''}`,
    )
  }
  for (const i of r.instances.filter((x) => !x.compliant)) {
    lines.push(
      `    ✗ ${i.organizationalUnitId} ${i.account} ${i.region}: ${i.status}${i.detailedStatus ? `/${i.detailedStatus}` : ''}, drift ${i.drift}${i.reason ? `: ${i.reason}` : ''}`,
    )
  }
  for (const t of r.missingTargets) lines.push(`    ✗ ${t.organizationalUnitId} ${t.region}: not deployed`)
  if (r.broker) {
    const b = r.broker
    lines.push(
      b.deployed
        ? `Session broker ${b.version}: in ${b.present} of ${b.total} account × region${b.unknown ? ` (${b.unknown} not current: unknown)` : ''}${b.configured ? '' : '; not configured any more'}`
        : `Session broker: configured but not in the deployed template`,
    )
    for (const i of r.instances.filter((x) => x.broker && x.broker.state !== 'present')) lines.push(`    ? ${i.account} ${i.region}: broker ${i.broker!.state}`)
  }
  if (r.scp) {
    lines.push(`SCP ${r.scp.name}: ${r.scp.exists ? (r.scp.contentMatches ? 'current' : 'differs from the configuration') : 'missing'}`)
    for (const t of r.scp.targets) lines.push(`  ${t.attached ? '✓' : '✗'} ${t.targetId}${t.attached ? ' attached' : ' not attached'}`)
  }
  lines.push(r.compliant ? '✓ In compliance.' : `✗ Out of compliance:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`)
  return lines
}

/** admin status: the deployment's lines with the guardrail lines before the verdict (the last line). */
export function formatOrganizationStatus(report: OrganizationStatus): string[] {
  const lines = formatStatus(report)
  if (report.guardrails) lines.splice(-1, 0, ...formatGuardrailCheck(report.guardrails))
  return lines
}

export const runAsAttributeWarning = (check: RunAsAttributeCheck): string | undefined =>
  check.runAs
    ? `The IAM Identity Center attribute ${check.runAs.key} is mapped (from ${check.runAs.sources.join(', ') || 'no source'}). This per-user value overrides every RunAs document: Session Manager runs the sessions of a user who has it as that Linux user, whatever document the permission set is pinned to. Remove the mapping with --remove-runas-attribute (other attributes are kept).`
    : undefined

/** What the command prints before asking: per permission set its state and diff, and the ABAC finding. */
export function formatGuardrailPlan(plan: GuardrailPlan): string[] {
  const lines = [`IAM Identity Center instance ${plan.instanceArn}`]
  const warning = runAsAttributeWarning(plan.runAsAttribute)
  if (warning) lines.push('', `! ${warning}`)
  if (plan.removeRunAsAttribute) {
    const kept = plan.runAsAttribute.attributes.filter((a) => a.Key !== plan.runAsAttribute.runAs?.key).map((a) => a.Key)
    lines.push(
      `  will remove the ${RUN_AS_ATTRIBUTE} mapping; keeping ${kept.length > 0 ? kept.join(', ') : 'no other attribute (the attribute configuration is deleted)'}`,
    )
  }
  for (const ps of plan.permissionSets) {
    const settled = plan.remove ? 'no ssmx statements' : `guardrail current (pinned to ${ps.document})`
    const what =
      ps.change === 'none'
        ? `${settled}; nothing to change`
        : ps.change === 'provision'
          ? `${settled}; re-provision: ${ps.pendingAccounts!.length} account(s) do not have the latest version (${ps.pendingAccounts!.join(', ')})`
          : ps.change === 'delete'
            ? 'remove the ssmx statements; the inline policy is left empty and is deleted'
            : plan.remove
              ? 'remove the ssmx statements'
              : ps.state === 'missing'
                ? `add the guardrail (pinned to ${ps.document})`
                : `update the guardrail (pinned to ${ps.document})`
    lines.push('', `${ps.name}: ${what}`)
    const diff = policyDiff(ps)
    if (diff) lines.push(diff)
  }
  if (!planHasChanges(plan)) lines.push('', 'Nothing to change.')
  return lines
}

/** One line per permission set after applying. */
export function formatGuardrailResult(result: GuardrailResult): string[] {
  const lines = result.permissionSets.map((p) => {
    if (p.change === 'none') return `${p.name}: unchanged`
    const did =
      p.change === 'delete'
        ? 'inline policy deleted'
        : p.change === 'provision'
          ? 'unchanged'
          : result.remove
            ? 'ssmx statements removed'
            : `pinned to ${p.document}`
    const prov = p.provisioning
    if (!prov || prov.status === 'SUCCEEDED') return `${p.name}: ${did}, provisioned to its accounts`
    if (prov.status === 'TIMED_OUT') return `${p.name}: ${did}; provisioning still in progress (request ${prov.requestId}); run again later to check`
    return `${p.name}: ${did}; provisioning FAILED${prov.failedAccounts?.length ? ` in ${prov.failedAccounts.join(', ')}` : ''}: ${prov.failureReason}`
  })
  if (result.runAsAttribute.removed) lines.unshift(`${RUN_AS_ATTRIBUTE} attribute mapping removed`)
  return lines
}

export function formatGuardrailStatus(status: GuardrailStatus): string[] {
  const text = {
    current: 'present and current',
    outdated: 'present but outdated (run ssmx admin guardrails)',
    missing: 'missing (run ssmx admin guardrails)',
    'not-found': 'permission set not found in IAM Identity Center',
  }
  return [
    `guardrails (IAM Identity Center ${status.instanceArn})`,
    ...status.permissionSets.map(
      (p) =>
        `  ${p.permissionSet.padEnd(24)} ${p.document.padEnd(32)} ${text[p.state]}${p.notProvisionedAccounts.length > 0 ? `; not provisioned to ${p.notProvisionedAccounts.join(', ')}` : ''}`,
    ),
    status.runAsAttributeInTheWay
      ? `  ! ${RUN_AS_ATTRIBUTE} attribute mapped: it overrides every document (ssmx admin guardrails --remove-runas-attribute)`
      : `  ${RUN_AS_ATTRIBUTE} attribute: not mapped`,
  ]
}

export function formatGuardrailCheck(check: GuardrailCheck): string[] {
  if (!check.checked) return [`guardrails: not checked (${check.reason})`]
  const lines = formatGuardrailStatus(check)
  if (!check.permissionSets.some((p) => p.state === 'current' || p.state === 'outdated'))
    lines.splice(1, 0, '  not applied (optional defense in depth: ssmx admin guardrails)')
  return lines
}
