import type {SsmxConfig} from '../config/schema.js'
import {SsmxError, awsErrorName} from '../errors.js'
import type {AdminDeps} from './deps.js'
import {deleteScp, findPolicy, policyTargets} from './scp-deploy.js'
import {
  OPERATION_PREFERENCES,
  type OperationOutcome,
  awaitRunningOperation,
  deployedTargets,
  describeStackSet,
  startOperation,
  waitForOperation,
} from './stackset.js'

export interface RemovePlan {
  stackSetName: string
  stackSet: boolean
  /** OUs and regions whose stack instances are deleted */
  organizationalUnitIds: string[]
  regions: string[]
  instanceCount: number
  scp?: {id: string; name: string; targets: string[]}
  nothing: boolean
}

export interface RemoveResult {
  plan: RemovePlan
  removed: boolean
  operation?: OperationOutcome
}

export async function planRemove(deps: AdminDeps, config: SsmxConfig): Promise<RemovePlan> {
  const name = config.admin.stackSetName
  const exists = Boolean(await describeStackSet(deps, name))
  const ous = new Set<string>()
  const regions = new Set<string>()
  let instanceCount = 0
  if (exists) {
    for (const [ou, rs] of await deployedTargets(deps, name, () => instanceCount++)) {
      ous.add(ou)
      for (const r of rs) regions.add(r)
    }
  }
  const policy = await findPolicy(deps, config.admin.scp.name)
  const scp = policy ? {id: policy.id, name: config.admin.scp.name, targets: await policyTargets(deps, policy.id)} : undefined
  return {
    stackSetName: name,
    stackSet: exists,
    organizationalUnitIds: [...ous].sort(),
    regions: [...regions].sort(),
    instanceCount,
    ...(scp ? {scp} : {}),
    nothing: !exists && !scp,
  }
}

/**
 * Removes everything enforce deployed, in order: the stack instances (stacks deleted, waited for), the stack set,
 * then the SCP's attachments and the SCP. Whatever is already gone is skipped, so a re-run finishes a partial removal.
 */
export async function applyRemove(deps: AdminDeps, plan: RemovePlan): Promise<RemoveResult> {
  const name = plan.stackSetName
  const result: RemoveResult = {plan, removed: true}
  if (plan.stackSet) {
    await awaitRunningOperation(deps, name, true)
    if (plan.organizationalUnitIds.length > 0 && plan.regions.length > 0) {
      const operationId = await startOperation(deps, name, true, () =>
        deps.cfn.deleteStackInstances({
          StackSetName: name,
          CallAs: deps.callAs,
          DeploymentTargets: {OrganizationalUnitIds: plan.organizationalUnitIds},
          Regions: plan.regions,
          RetainStacks: false,
          OperationPreferences: OPERATION_PREFERENCES,
        }),
      )
      deps.progress({type: 'operation', operationId, action: 'DELETE_STACK_INSTANCES', status: 'STARTED'})
      result.operation = await waitForOperation(deps, name, operationId, 'DELETE_STACK_INSTANCES')
      if (result.operation.failures.length > 0 || result.operation.status !== 'SUCCEEDED') {
        result.removed = false
        return result
      }
    }
    deps.progress({type: 'step', message: `Deleting stack set ${name}`})
    try {
      await deps.cfn.deleteStackSet({StackSetName: name, CallAs: deps.callAs})
    } catch (error) {
      const code = awsErrorName(error)
      if (code === 'StackSetNotEmptyException') {
        throw new SsmxError(
          'compliance',
          `The stack set ${name} still has stack instances outside ${plan.organizationalUnitIds.join(', ') || 'the OUs it targets'}.`,
          [
            `List them: aws cloudformation list-stack-instances --stack-set-name ${name}${deps.callAs === 'DELEGATED_ADMIN' ? ' --call-as DELEGATED_ADMIN' : ''}`,
            'Then run ssmx admin remove again.',
          ],
          {cause: error},
        )
      }
      if (code !== 'StackSetNotFoundException') throw error
    }
  }
  if (plan.scp) await deleteScp(deps, plan.scp)
  return result
}

export interface RemoveOptions {
  show: (plan: RemovePlan) => void
  confirm: (plan: RemovePlan) => Promise<boolean>
}

export async function remove(deps: AdminDeps, config: SsmxConfig, options: RemoveOptions): Promise<RemoveResult> {
  const plan = await planRemove(deps, config)
  options.show(plan)
  if (plan.nothing) return {plan, removed: false}
  if (!(await options.confirm(plan))) throw new SsmxError('cancelled', 'Nothing was removed.')
  return applyRemove(deps, plan)
}
