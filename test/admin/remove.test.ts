import {
  DeleteStackInstancesCommand,
  DeleteStackSetCommand,
  DescribeStackSetOperationCommand,
  ListStackSetOperationResultsCommand,
} from '@aws-sdk/client-cloudformation'
import {DeletePolicyCommand, DetachPolicyCommand} from '@aws-sdk/client-organizations'
import {expect} from 'chai'

import {formatRemovePlan} from '../../src/admin/format.js'
import {remove} from '../../src/admin/remove.js'
import {OPERATION_PREFERENCES} from '../../src/admin/stackset.js'
import {OU_A, OU_B, POLICY_ID, REGIONS, STACK_SET, configWith, fullyDeployed, inputs, mocks, nothingDeployed, writes} from './support.js'

const yes = {show: () => {}, confirm: async () => true}

describe('admin remove', () => {
  it('deletes the instances (stacks too) and waits, then the stack set, then detaches and deletes the SCP, in that order', async () => {
    const m = mocks()
    fullyDeployed(m)
    m.cfn.on(DeleteStackInstancesCommand).resolves({OperationId: 'op-del'})
    m.cfn
      .on(DescribeStackSetOperationCommand)
      .resolvesOnce({StackSetOperation: {Status: 'RUNNING'}})
      .resolves({StackSetOperation: {Status: 'SUCCEEDED'}})
    m.cfn.on(ListStackSetOperationResultsCommand).resolves({Summaries: [{Account: '222222222220', Region: 'eu-west-1', Status: 'SUCCEEDED'}]})
    m.cfn.on(DeleteStackSetCommand).resolves({})
    m.orgs.on(DetachPolicyCommand).resolves({})
    m.orgs.on(DeletePolicyCommand).resolves({})
    let shown: string[] = []
    const r = await remove(m.deps, configWith(), {...yes, show: (p) => (shown = formatRemovePlan(p))})
    expect(r.removed).to.equal(true)
    expect(shown[0]).to.equal(`- 4 stack instances of ${STACK_SET} in ${OU_A}, ${OU_B} × eu-west-1, us-east-1 (stacks deleted)`)
    expect(writes(m)).to.deep.equal([
      'DeleteStackInstancesCommand',
      'DeleteStackSetCommand',
      'DetachPolicyCommand',
      'DetachPolicyCommand',
      'DeletePolicyCommand',
    ])
    expect(inputs(m.cfn, DeleteStackInstancesCommand)).to.deep.equal([
      {
        StackSetName: STACK_SET,
        CallAs: 'SELF',
        DeploymentTargets: {OrganizationalUnitIds: [OU_A, OU_B]},
        Regions: REGIONS,
        RetainStacks: false,
        OperationPreferences: OPERATION_PREFERENCES,
      },
    ])
    expect(inputs(m.cfn, DescribeStackSetOperationCommand)).to.have.length(2)
    expect(inputs(m.cfn, DeleteStackSetCommand)).to.deep.equal([{StackSetName: STACK_SET, CallAs: 'SELF'}])
    expect(inputs(m.orgs, DetachPolicyCommand)).to.deep.equal([
      {PolicyId: POLICY_ID, TargetId: OU_A},
      {PolicyId: POLICY_ID, TargetId: OU_B},
    ])
    expect(inputs(m.orgs, DeletePolicyCommand)).to.deep.equal([{PolicyId: POLICY_ID}])
  })

  it('nothing there: says so and makes no write call, without asking', async () => {
    const m = mocks()
    nothingDeployed(m)
    let asked = false
    const r = await remove(m.deps, configWith(), {show: () => {}, confirm: async () => (asked = true)})
    expect(r.plan.nothing).to.equal(true)
    expect(asked).to.equal(false)
    expect(writes(m)).to.deep.equal([])
    expect(formatRemovePlan(r.plan)).to.deep.equal([`Nothing to remove: no stack set ${STACK_SET} and no ssmx SCP.`])
  })

  it('things that vanished meanwhile are fine (idempotent)', async () => {
    const m = mocks()
    fullyDeployed(m)
    m.cfn.on(DeleteStackInstancesCommand).resolves({OperationId: 'op-del'})
    m.cfn.on(DescribeStackSetOperationCommand).resolves({StackSetOperation: {Status: 'SUCCEEDED'}})
    m.cfn.on(ListStackSetOperationResultsCommand).resolves({Summaries: []})
    m.cfn.on(DeleteStackSetCommand).rejects(Object.assign(new Error('gone'), {name: 'StackSetNotFoundException'}))
    m.orgs.on(DetachPolicyCommand).rejects(Object.assign(new Error('gone'), {name: 'PolicyNotAttachedException'}))
    m.orgs.on(DeletePolicyCommand).rejects(Object.assign(new Error('gone'), {name: 'PolicyNotFoundException'}))
    const r = await remove(m.deps, configWith(), yes)
    expect(r.removed).to.equal(true)
  })

  it('a failed instance deletion stops before the stack set and the SCP, with the reason', async () => {
    const m = mocks()
    fullyDeployed(m)
    m.cfn.on(DeleteStackInstancesCommand).resolves({OperationId: 'op-del'})
    m.cfn.on(DescribeStackSetOperationCommand).resolves({StackSetOperation: {Status: 'FAILED'}})
    m.cfn
      .on(ListStackSetOperationResultsCommand)
      .resolves({Summaries: [{Account: '222222222221', Region: 'us-east-1', Status: 'FAILED', StatusReason: 'Failed to delete stack'}]})
    const r = await remove(m.deps, configWith(), yes)
    expect(r.removed).to.equal(false)
    expect(r.operation?.failures).to.deep.equal([{account: '222222222221', region: 'us-east-1', status: 'FAILED', reason: 'Failed to delete stack'}])
    expect(writes(m)).to.deep.equal(['DeleteStackInstancesCommand'])
  })
})
