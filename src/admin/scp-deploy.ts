import {SsmxError, awsErrorName} from '../errors.js'
import {type AdminDeps, mapLimit, pages} from './deps.js'
import {MAX_SCP_CHARACTERS} from './scp.js'

const SCP = 'SERVICE_CONTROL_POLICY'
/** Organizations' limit of SCPs attached per root, OU or account (FullAWSAccess included). */
export const SCP_MAX_PER_TARGET = 5

export interface ScpPlan {
  name: string
  change: 'create' | 'update' | 'unchanged'
  policyId?: string
  reasons: string[]
  /** `detach`: attached to a target no longer configured */
  attachments: Array<{targetId: string; change: 'attach' | 'unchanged' | 'detach'; attachedScps: number}>
}

export interface ExistingPolicy {
  id: string
  content?: string
  description?: string
}

/** The customer-managed SCP of that name, with its content, or undefined. */
export async function findPolicy(deps: Pick<AdminDeps, 'orgs'>, name: string): Promise<ExistingPolicy | undefined> {
  for await (const out of pages((page) => deps.orgs.listPolicies({Filter: SCP, ...page}))) {
    const found = (out.Policies ?? []).find((p) => p.Name === name && !p.AwsManaged)
    if (found?.Id) {
      const policy = (await deps.orgs.describePolicy({PolicyId: found.Id})).Policy
      return {id: found.Id, content: policy?.Content, description: policy?.PolicySummary?.Description}
    }
  }
  return undefined
}

/** Same policy, whatever the whitespace Organizations stored it with. */
export function sameContent(a: string | undefined, b: string): boolean {
  if (a === undefined) return false
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b))
  } catch {
    return a === b
  }
}

/** buildArtifacts already refuses an oversized SCP; this guards the content actually sent. */
export function checkScpSize(content: string, name: string): void {
  if (content.length > MAX_SCP_CHARACTERS) {
    throw new SsmxError('config', `The SCP ${name} is ${content.length} characters; Organizations accepts at most ${MAX_SCP_CHARACTERS}.`, [
      'Shorten admin.scp.exemptPrincipals (use wildcards such as arn:aws:iam::*:role/Team*), or set admin.scp.enabled: false.',
    ])
  }
}

/** Targets the policy is attached to (one list call, paged, rather than one call per target). */
export async function policyTargets(deps: Pick<AdminDeps, 'orgs'>, policyId: string): Promise<string[]> {
  const targets: string[] = []
  for await (const out of pages((page) => deps.orgs.listTargetsForPolicy({PolicyId: policyId, ...page}))) {
    for (const t of out.Targets ?? []) if (t.TargetId) targets.push(t.TargetId)
  }
  return targets
}

async function scpsOnTarget(deps: Pick<AdminDeps, 'orgs'>, targetId: string): Promise<string[]> {
  const ids: string[] = []
  for await (const out of pages((page) => deps.orgs.listPoliciesForTarget({TargetId: targetId, Filter: SCP, ...page}))) {
    for (const p of out.Policies ?? []) if (p.Id) ids.push(p.Id)
  }
  return ids
}

/**
 * What enforce would do with the SCP: create/update/unchanged by content, and per target attach or not.
 * A target that already carries 5 SCPs without this one is an error now, before anything is changed.
 */
export async function planScp(
  deps: Pick<AdminDeps, 'orgs'>,
  desired: {name: string; content: string; description: string; targets: string[]},
): Promise<ScpPlan> {
  checkScpSize(desired.content, desired.name)
  const existing = await findPolicy(deps, desired.name)
  const reasons: string[] = []
  let change: ScpPlan['change'] = 'create'
  if (existing) {
    if (!sameContent(existing.content, desired.content)) reasons.push('policy content differs')
    if ((existing.description ?? '') !== desired.description) reasons.push('description differs')
    change = reasons.length > 0 ? 'update' : 'unchanged'
  }
  const attachments = await mapLimit(desired.targets, 5, async (targetId) => {
    const attached = await scpsOnTarget(deps, targetId)
    const here = existing !== undefined && attached.includes(existing.id)
    return {targetId, change: here ? ('unchanged' as const) : ('attach' as const), attachedScps: attached.length}
  })
  const full = attachments.filter((a) => a.change === 'attach' && a.attachedScps >= SCP_MAX_PER_TARGET)
  if (full.length > 0)
    throw fullTargets(
      full.map((a) => a.targetId),
      desired.name,
    )
  const stale = existing ? (await policyTargets(deps, existing.id)).filter((t) => !desired.targets.includes(t)) : []
  const detach = stale.map((targetId) => ({targetId, change: 'detach' as const, attachedScps: 0}))
  return {name: desired.name, change, ...(existing ? {policyId: existing.id} : {}), reasons, attachments: [...attachments, ...detach]}
}

function fullTargets(targets: string[], name: string): SsmxError {
  return new SsmxError(
    'prerequisite',
    `${targets.join(', ')} already ${targets.length > 1 ? 'carry' : 'carries'} ${SCP_MAX_PER_TARGET} service control policies, the most Organizations allows; ${name} cannot be attached.`,
    [
      `List them: aws organizations list-policies-for-target --target-id ${targets[0]} --filter SERVICE_CONTROL_POLICY`,
      "Merge or detach one of them, or attach ssmx's SCP higher up (admin.scp.targets: a parent OU or the root).",
    ],
  )
}

/** Creates or updates the policy and attaches it where the plan says. */
export async function applyScp(deps: Pick<AdminDeps, 'orgs' | 'progress'>, plan: ScpPlan, desired: {content: string; description: string}): Promise<string> {
  let policyId = plan.policyId
  try {
    if (plan.change === 'create') {
      deps.progress({type: 'step', message: `Creating SCP ${plan.name}`})
      const out = await deps.orgs.createPolicy({Name: plan.name, Description: desired.description, Content: desired.content, Type: SCP})
      policyId = out.Policy?.PolicySummary?.Id
    } else if (plan.change === 'update') {
      deps.progress({type: 'step', message: `Updating SCP ${plan.name}`})
      await deps.orgs.updatePolicy({PolicyId: policyId, Description: desired.description, Content: desired.content})
    }
  } catch (error) {
    const reason = (error as {Reason?: string}).Reason
    if (awsErrorName(error) === 'ConstraintViolationException' && reason === 'POLICY_CONTENT_LIMIT_EXCEEDED') {
      throw new SsmxError(
        'config',
        `Organizations refused the SCP ${plan.name} as too large (${desired.content.length} characters; the limit is ${MAX_SCP_CHARACTERS}).`,
        ['Shorten admin.scp.exemptPrincipals (use wildcards), or set admin.scp.enabled: false.'],
        {cause: error},
      )
    }
    if (awsErrorName(error) === 'PolicyTypeNotEnabledException') {
      throw new SsmxError(
        'prerequisite',
        'Service control policies are not enabled in this organization.',
        ['From the management account: aws organizations enable-policy-type --root-id <root id> --policy-type SERVICE_CONTROL_POLICY'],
        {cause: error},
      )
    }
    throw error
  }
  if (!policyId) throw new SsmxError('internal', `Organizations did not return an id for the SCP ${plan.name}.`)
  for (const a of plan.attachments.filter((x) => x.change === 'attach')) {
    deps.progress({type: 'step', message: `Attaching SCP ${plan.name} to ${a.targetId}`})
    try {
      await deps.orgs.attachPolicy({PolicyId: policyId, TargetId: a.targetId})
    } catch (error) {
      const name = awsErrorName(error)
      if (name === 'DuplicatePolicyAttachmentException') continue
      if (name === 'ConstraintViolationException' && (error as {Reason?: string}).Reason === 'MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED')
        throw fullTargets([a.targetId], plan.name)
      throw error
    }
  }
  const stale = plan.attachments.filter((x) => x.change === 'detach').map((x) => x.targetId)
  if (stale.length > 0) await detachAll(deps, {id: policyId, name: plan.name, targets: stale})
  return policyId
}

async function detachAll(deps: Pick<AdminDeps, 'orgs' | 'progress'>, policy: {id: string; name: string; targets: string[]}): Promise<void> {
  for (const targetId of policy.targets) {
    deps.progress({type: 'step', message: `Detaching SCP ${policy.name} from ${targetId}`})
    try {
      await deps.orgs.detachPolicy({PolicyId: policy.id, TargetId: targetId})
    } catch (error) {
      if (!['PolicyNotAttachedException', 'TargetNotFoundException', 'PolicyNotFoundException'].includes(awsErrorName(error) ?? '')) throw error
    }
  }
}

/** Detaches the policy everywhere and deletes it; a policy or attachment already gone is fine. */
export async function deleteScp(deps: Pick<AdminDeps, 'orgs' | 'progress'>, policy: {id: string; name: string; targets: string[]}): Promise<void> {
  await detachAll(deps, policy)
  deps.progress({type: 'step', message: `Deleting SCP ${policy.name}`})
  try {
    await deps.orgs.deletePolicy({PolicyId: policy.id})
  } catch (error) {
    if (awsErrorName(error) !== 'PolicyNotFoundException') throw error
  }
}
