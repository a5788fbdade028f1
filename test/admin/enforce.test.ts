import {
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DeleteStackInstancesCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  ListStackInstancesCommand,
  ListStackSetOperationResultsCommand,
  ListStackSetOperationsCommand,
  UpdateStackInstancesCommand,
  UpdateStackSetCommand,
} from '@aws-sdk/client-cloudformation'
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribeOrganizationalUnitCommand,
  DetachPolicyCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations'
import {expect} from 'chai'

import {type EnforceOptions, enforce} from '../../src/admin/enforce.js'
import {enforceFailures, formatEnforceResult, formatPlan} from '../../src/admin/format.js'
import {OPERATION_PREFERENCES, POLL_MAX_MS} from '../../src/admin/stackset.js'
import {type SsmxError} from '../../src/errors.js'
import {
  ARTIFACTS,
  MGMT,
  OU_A,
  OU_B,
  POLICY_ID,
  REGIONS,
  STACK_SET,
  type Mocks,
  configWith,
  fullyDeployed,
  healthyOrganization,
  inputs,
  mocks,
  nothingDeployed,
  writes,
} from './support.js'

const yes: EnforceOptions = {dryRun: false, wait: true, show: () => {}, confirm: async () => true}

function operationsSucceed(m: Mocks, results = [{Account: '222222222220', Region: 'eu-west-1', Status: 'SUCCEEDED' as const}]) {
  let n = 0
  m.cfn.on(CreateStackInstancesCommand).callsFake(() => ({OperationId: `op-${++n}`}))
  m.cfn.on(UpdateStackInstancesCommand).callsFake(() => ({OperationId: `op-${++n}`}))
  m.cfn.on(UpdateStackSetCommand).callsFake(() => ({OperationId: `op-${++n}`}))
  m.cfn
    .on(DescribeStackSetOperationCommand)
    .resolvesOnce({StackSetOperation: {Status: 'RUNNING'}})
    .resolves({StackSetOperation: {Status: 'SUCCEEDED'}})
  m.cfn.on(ListStackSetOperationResultsCommand).resolves({Summaries: results})
  m.orgs.on(CreatePolicyCommand).resolves({Policy: {PolicySummary: {Id: POLICY_ID}}})
  m.orgs.on(AttachPolicyCommand).resolves({})
}

/** Prerequisites met, nothing deployed yet, every operation succeeds after one poll. */
function freshOrganization(): Mocks {
  const m = mocks()
  healthyOrganization(m)
  nothingDeployed(m)
  operationsSucceed(m)
  return m
}

/** The input a Create/UpdateStackInstances call must carry for one OU. */
const instancesInput = (ou: string, regions: string[], overrides?: Array<{ParameterKey: string; ParameterValue: string}>) => ({
  StackSetName: STACK_SET,
  CallAs: 'SELF',
  DeploymentTargets: {OrganizationalUnitIds: [ou]},
  Regions: regions,
  OperationPreferences: OPERATION_PREFERENCES,
  ...(overrides ? {ParameterOverrides: overrides} : {}),
})

async function rejection(p: Promise<unknown>): Promise<SsmxError> {
  try {
    await p
  } catch (error) {
    return error as SsmxError
  }
  throw new Error('expected a rejection')
}

describe('admin enforce', () => {
  it('first run: creates a service-managed stack set, instances per OU with overrides, the SCP and its attachments, with the exact inputs', async () => {
    const m = freshOrganization()
    const result = await enforce(m.deps, configWith(), ARTIFACTS, yes)

    expect(writes(m)).to.deep.equal([
      'CreateStackSetCommand',
      'CreateStackInstancesCommand',
      'CreateStackInstancesCommand',
      'CreatePolicyCommand',
      'AttachPolicyCommand',
      'AttachPolicyCommand',
    ])
    expect(inputs(m.cfn, CreateStackSetCommand)).to.deep.equal([
      {
        StackSetName: STACK_SET,
        CallAs: 'SELF',
        Description: 'ssmx 1.2.3: per-permission-set Session Manager RunAs documents',
        TemplateBody: ARTIFACTS.templateBody,
        Parameters: ARTIFACTS.parameters,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: {Enabled: true, RetainStacksOnAccountRemoval: false},
        ManagedExecution: {Active: true},
        Tags: [{Key: 'managed-by', Value: 'ssmx'}],
      },
    ])
    expect(inputs(m.cfn, CreateStackInstancesCommand)).to.deep.equal([
      instancesInput(OU_A, REGIONS),
      instancesInput(OU_B, REGIONS, [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'ec2-user'}]),
    ])
    expect(OPERATION_PREFERENCES).to.deep.include({RegionConcurrencyType: 'PARALLEL', MaxConcurrentPercentage: 25, FailureTolerancePercentage: 10})
    expect(inputs(m.orgs, CreatePolicyCommand)).to.deep.equal([
      {Name: ARTIFACTS.scpName, Description: ARTIFACTS.scpDescription, Content: ARTIFACTS.scpContent, Type: 'SERVICE_CONTROL_POLICY'},
    ])
    expect(inputs(m.orgs, AttachPolicyCommand)).to.deep.equal([
      {PolicyId: POLICY_ID, TargetId: OU_A},
      {PolicyId: POLICY_ID, TargetId: OU_B},
    ])
    expect(inputs(m.orgs, ListPoliciesForTargetCommand)).to.deep.equal([
      {TargetId: OU_A, Filter: 'SERVICE_CONTROL_POLICY'},
      {TargetId: OU_B, Filter: 'SERVICE_CONTROL_POLICY'},
    ])
    // each operation polled until done: RUNNING once, then SUCCEEDED, with a bounded interval
    expect(result.operations.map((o) => o.status)).to.deep.equal(['SUCCEEDED', 'SUCCEEDED'])
    expect(inputs(m.cfn, DescribeStackSetOperationCommand)[0]).to.deep.equal({StackSetName: STACK_SET, OperationId: 'op-1', CallAs: 'SELF'})
    expect(Math.max(...m.sleeps)).to.be.at.most(POLL_MAX_MS)
    expect(enforceFailures(result)).to.equal(0)
    expect(m.events.some((e) => e.type === 'results')).to.equal(true)
  })

  it('second run with nothing changed plans nothing and makes no write call', async () => {
    const m = mocks()
    healthyOrganization(m)
    fullyDeployed(m)
    let shown: string[] = []
    let asked = false
    const result = await enforce(m.deps, configWith(), ARTIFACTS, {...yes, show: (p) => (shown = formatPlan(p)), confirm: async () => (asked = true)})
    expect(result.plan.changes).to.equal(0)
    expect(result.applied).to.equal(false)
    expect(asked).to.equal(false)
    expect(writes(m)).to.deep.equal([])
    expect(shown.at(-1)).to.equal('Nothing to change: everything is as configured.')
    expect(result.plan.instances.every((i) => i.change === 'unchanged')).to.equal(true)
    expect(inputs(m.cfn, ListStackInstancesCommand)).to.deep.equal([{StackSetName: STACK_SET, CallAs: 'SELF', MaxResults: 100}])
  })

  it('--dry-run shows the plan and changes nothing', async () => {
    const m = mocks()
    healthyOrganization(m)
    nothingDeployed(m)
    const result = await enforce(m.deps, configWith(), ARTIFACTS, {...yes, dryRun: true})
    expect(result.plan.changes).to.equal(1 + 4 + 1 + 2)
    expect(writes(m)).to.deep.equal([])
  })

  it('a changed template and override: UpdateStackSet, then UpdateStackInstances with the new overrides', async () => {
    const m = mocks()
    healthyOrganization(m)
    fullyDeployed(m)
    operationsSucceed(m)
    const artifacts = {
      ...ARTIFACTS,
      templateBody: ARTIFACTS.templateBody.replaceAll('1.2.3', '1.3.0'),
      templateVersion: '1.3.0',
      ouOverrides: [{organizationalUnitId: OU_B, parameters: [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'ubuntu'}]}],
    }
    const result = await enforce(m.deps, configWith({overrides: {[OU_B]: {defaultRunAsUser: 'ubuntu'}}}), artifacts, yes)
    expect(result.plan.stackSet).to.deep.equal({change: 'update', reasons: ['template differs']})
    expect(writes(m)).to.deep.equal(['UpdateStackSetCommand', 'UpdateStackInstancesCommand'])
    expect(inputs(m.cfn, UpdateStackSetCommand)[0]).to.deep.include({
      StackSetName: STACK_SET,
      CallAs: 'SELF',
      TemplateBody: artifacts.templateBody,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      AutoDeployment: {Enabled: true, RetainStacksOnAccountRemoval: false},
      ManagedExecution: {Active: true},
      OperationPreferences: OPERATION_PREFERENCES,
    })
    expect(inputs(m.cfn, UpdateStackInstancesCommand)).to.deep.equal([
      instancesInput(OU_B, REGIONS, [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'ubuntu'}]),
    ])
  })

  it('repairs a partially failed earlier run: OUTDATED/INOPERABLE instances are redeployed, only where they are', async () => {
    const m = mocks()
    healthyOrganization(m)
    fullyDeployed(m, [
      {ou: OU_A, account: '222222222220', region: 'eu-west-1'},
      {
        ou: OU_A,
        account: '222222222220',
        region: 'us-east-1',
        status: 'OUTDATED',
        detailed: 'FAILED',
        reason: 'Resource handler returned message: "Role ssmx-runas-us-east-1 already exists"',
      },
      {ou: OU_A, account: '222222222221', region: 'us-east-1', status: 'INOPERABLE', detailed: 'INOPERABLE'},
      {ou: OU_B, account: '222222222222', region: 'eu-west-1'},
      {ou: OU_B, account: '222222222222', region: 'us-east-1'},
    ])
    operationsSucceed(m)
    const result = await enforce(m.deps, configWith(), ARTIFACTS, yes)
    const repair = result.plan.instances.filter((i) => i.change === 'repair')
    expect(repair).to.have.length(1)
    expect(repair[0]).to.include({organizationalUnitId: OU_A, region: 'us-east-1'})
    expect(repair[0].reason).to.include('2 instances to repair').and.include('already exists')
    expect(writes(m)).to.deep.equal(['UpdateStackInstancesCommand'])
    expect(inputs(m.cfn, UpdateStackInstancesCommand)).to.deep.equal([instancesInput(OU_A, ['us-east-1'], [])])
  })

  it('an OU or region no longer configured: its stack instances are deleted (stacks too), the SCP detached from it', async () => {
    const m = mocks()
    healthyOrganization(m)
    fullyDeployed(m)
    m.cfn.on(DeleteStackInstancesCommand).resolves({OperationId: 'op-del'})
    m.cfn.on(DescribeStackSetOperationCommand).resolves({StackSetOperation: {Status: 'SUCCEEDED'}})
    m.cfn.on(ListStackSetOperationResultsCommand).resolves({Summaries: []})
    m.orgs.on(DetachPolicyCommand).resolves({})
    const result = await enforce(m.deps, configWith({organizationalUnits: [OU_A], regions: ['eu-west-1'], overrides: {}}), {...ARTIFACTS, ouOverrides: []}, yes)
    expect(result.plan.instances.filter((i) => i.change === 'delete').map((i) => `${i.organizationalUnitId}/${i.region}`)).to.deep.equal([
      `${OU_A}/us-east-1`,
      `${OU_B}/eu-west-1`,
      `${OU_B}/us-east-1`,
    ])
    expect(writes(m)).to.have.members(['DetachPolicyCommand', 'DeleteStackInstancesCommand', 'DeleteStackInstancesCommand'])
    expect(inputs(m.orgs, DetachPolicyCommand)).to.deep.equal([{PolicyId: POLICY_ID, TargetId: OU_B}])
    expect(inputs(m.cfn, DeleteStackInstancesCommand)).to.deep.equal([
      {...instancesInput(OU_A, ['us-east-1']), RetainStacks: false},
      {...instancesInput(OU_B, REGIONS), RetainStacks: false},
    ])
  })

  it('Organizations refusing the SCP as too large is explained', async () => {
    const m = mocks()
    healthyOrganization(m)
    nothingDeployed(m)
    m.orgs.on(CreatePolicyCommand).rejects(Object.assign(new Error('too big'), {name: 'ConstraintViolationException', Reason: 'POLICY_CONTENT_LIMIT_EXCEEDED'}))
    const e = await rejection(enforce(m.deps, configWith(), ARTIFACTS, yes))
    expect(e.code).to.equal('config')
    expect(e.message).to.include('refused the SCP ssmx-protect-session-documents as too large')
  })

  it("a failed account is reported with CloudFormation's reason and counts as a failure (non-zero exit)", async () => {
    const m = freshOrganization()
    m.cfn.on(DescribeStackSetOperationCommand).resolves({StackSetOperation: {Status: 'FAILED', StatusReason: 'The Operation failed due to too many failures'}})
    m.cfn.on(ListStackSetOperationResultsCommand).resolves({
      Summaries: [
        {Account: '222222222220', Region: 'eu-west-1', Status: 'SUCCEEDED'},
        {
          Account: '222222222221',
          Region: 'us-east-1',
          Status: 'FAILED',
          StatusReason: "Account 222222222221 should have 'AWSCloudFormationStackSetExecutionRole' role",
        },
      ],
    })
    const result = await enforce(m.deps, configWith({organizationalUnits: [OU_A], overrides: {}}), {...ARTIFACTS, ouOverrides: []}, yes)
    expect(enforceFailures(result)).to.equal(1)
    const lines = formatEnforceResult(result)
    expect(lines.join('\n')).to.include('✗ 222222222221 us-east-1: FAILED Account 222222222221 should have')
    expect(lines[0]).to.include('FAILED').and.include('too many failures')
  })

  describe('prerequisites', () => {
    it('explains every missing prerequisite with its fix and changes nothing', async () => {
      const m = mocks()
      healthyOrganization(m, '333333333333')
      nothingDeployed(m)
      m.orgs.on(ListAWSServiceAccessForOrganizationCommand).resolves({EnabledServicePrincipals: [{ServicePrincipal: 'sso.amazonaws.com'}]})
      m.orgs.on(ListRootsCommand).resolves({Roots: [{Id: 'r-ab12', PolicyTypes: []}]})
      m.orgs.on(ListDelegatedAdministratorsCommand).resolves({DelegatedAdministrators: []})
      const e = await rejection(enforce(m.deps, configWith(), ARTIFACTS, yes))
      expect(e.code).to.equal('prerequisite')
      expect(e.exitCode).to.equal(13)
      expect(e.message).to.include('3 prerequisites are missing')
      expect(e.message).to.include('neither the management account (111111111111) nor a delegated administrator')
      expect(e.message).to.include('Trusted access')
      expect(e.message).to.include('not enabled on the root r-ab12')
      const fixes = e.suggestions.join('\n')
      expect(fixes).to.include(
        'register-delegated-administrator --service-principal member.org.stacksets.cloudformation.amazonaws.com --account-id 333333333333',
      )
      expect(fixes).to.include('aws cloudformation activate-organizations-access')
      expect(fixes).to.include('enable-policy-type --root-id r-ab12 --policy-type SERVICE_CONTROL_POLICY')
      expect(inputs(m.orgs, ListDelegatedAdministratorsCommand)).to.deep.equal([{ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com'}])
      expect(writes(m)).to.deep.equal([])
    })

    it('a delegated administrator must call as DELEGATED_ADMIN, and then every CloudFormation call carries it', async () => {
      const delegated = '444444444444'
      const self = mocks('SELF')
      healthyOrganization(self, delegated)
      nothingDeployed(self)
      self.orgs.on(ListDelegatedAdministratorsCommand).resolves({DelegatedAdministrators: [{Id: delegated}]})
      const e = await rejection(enforce(self.deps, configWith(), ARTIFACTS, yes))
      expect(e.code).to.equal('prerequisite')
      expect(e.suggestions.join()).to.include('--call-as DELEGATED_ADMIN')

      const m = mocks('DELEGATED_ADMIN')
      healthyOrganization(m, delegated)
      nothingDeployed(m)
      operationsSucceed(m)
      m.orgs.on(ListDelegatedAdministratorsCommand).resolves({DelegatedAdministrators: [{Id: delegated}]})
      await enforce(m.deps, configWith(), ARTIFACTS, yes)
      const cfnInputs = m.cfn.calls().map((c) => (c.args[0] as {input: {CallAs?: string}}).input)
      expect(cfnInputs.length).to.be.greaterThan(4)
      expect(cfnInputs.every((i) => i.CallAs === 'DELEGATED_ADMIN')).to.equal(true)
    })
  })

  describe('bad configuration and organization limits', () => {
    /** enforce on a fresh organization with one thing wrong: it must fail before any write call. */
    async function refusedBeforeWriting(wrong: (m: Mocks) => void, config = configWith(), artifacts = ARTIFACTS): Promise<SsmxError> {
      const m = mocks()
      healthyOrganization(m)
      nothingDeployed(m)
      wrong(m)
      const e = await rejection(enforce(m.deps, config, artifacts, yes))
      expect(writes(m)).to.deep.equal([])
      return e
    }

    it('an unknown OU is named, with the configuration key, before anything changes', async () => {
      const e = await refusedBeforeWriting(
        (m) =>
          m.orgs
            .on(DescribeOrganizationalUnitCommand, {OrganizationalUnitId: 'ou-ab12-cccccccc'})
            .rejects(Object.assign(new Error('not found'), {name: 'OrganizationalUnitNotFoundException'})),
        configWith({organizationalUnits: [OU_A, OU_B, 'ou-ab12-cccccccc']}),
      )
      expect(e.code).to.equal('config')
      expect(e.message).to.equal('The organization has no ou-ab12-cccccccc (admin.organizationalUnits).')
    })

    it('an invalid region is named', async () => {
      const e = await refusedBeforeWriting(() => {}, configWith({regions: ['eu-west-1', 'eu-north-9']}))
      expect(e.code).to.equal('config')
      expect(e.message).to.equal('Unknown AWS region in admin.regions: eu-north-9.')
    })

    it('an SCP over 5,120 characters is refused before anything changes', async () => {
      const big = JSON.stringify({Version: '2012-10-17', Statement: [{Effect: 'Deny', Action: 'ssm:*', Resource: 'x'.repeat(5200)}]})
      const e = await refusedBeforeWriting(() => {}, configWith(), {...ARTIFACTS, scpContent: big})
      expect(e.code).to.equal('config')
      expect(e.message).to.include(`is ${big.length} characters; Organizations accepts at most 5120`)
    })

    it('a target already carrying 5 SCPs is named, and nothing is changed', async () => {
      const e = await refusedBeforeWriting((m) =>
        m.orgs.on(ListPoliciesForTargetCommand, {TargetId: OU_B}).resolves({Policies: [1, 2, 3, 4, 5].map((i) => ({Id: `p-${i}`}))}),
      )
      expect(e.code).to.equal('prerequisite')
      expect(e.message).to.equal(`${OU_B} already carries 5 service control policies, the most Organizations allows; ${ARTIFACTS.scpName} cannot be attached.`)
    })

    it('an attachment refused at the limit (a race) names the target', async () => {
      const m = freshOrganization()
      m.orgs
        .on(AttachPolicyCommand)
        .rejects(Object.assign(new Error('limit'), {name: 'ConstraintViolationException', Reason: 'MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED'}))
      const e = await rejection(enforce(m.deps, configWith(), ARTIFACTS, yes))
      expect(e.message).to.include(`${OU_A} already carries 5 service control policies`)
    })

    it('an SCP already attached (DuplicatePolicyAttachmentException) is fine; a changed SCP is updated in place', async () => {
      const m = mocks()
      healthyOrganization(m)
      fullyDeployed(m)
      m.orgs.on(ListPoliciesForTargetCommand, {TargetId: OU_A}).resolves({Policies: [{Id: 'p-FullAWSAccess'}]})
      m.orgs.on(AttachPolicyCommand).rejects(Object.assign(new Error('dup'), {name: 'DuplicatePolicyAttachmentException'}))
      m.orgs.on(UpdatePolicyCommand).resolves({})
      const changed = {...ARTIFACTS, scpContent: ARTIFACTS.scpContent.replace('ssm:UpdateDocument', 'ssm:DeleteDocument')}
      const result = await enforce(m.deps, configWith(), changed, yes)
      expect(result.plan.scp?.change).to.equal('update')
      expect(writes(m)).to.deep.equal(['UpdatePolicyCommand', 'AttachPolicyCommand'])
      expect(inputs(m.orgs, UpdatePolicyCommand)).to.deep.equal([{PolicyId: POLICY_ID, Description: ARTIFACTS.scpDescription, Content: changed.scpContent}])
    })
  })

  describe('operations already running', () => {
    it('waits for an operation someone else started before planning', async () => {
      const m = mocks()
      healthyOrganization(m)
      fullyDeployed(m)
      m.cfn.on(ListStackSetOperationsCommand).resolves({Summaries: [{OperationId: 'op-theirs', Action: 'UPDATE', Status: 'RUNNING'}]})
      m.cfn
        .on(DescribeStackSetOperationCommand)
        .resolvesOnce({StackSetOperation: {Status: 'RUNNING'}})
        .resolves({StackSetOperation: {Status: 'SUCCEEDED'}})
      m.cfn.on(ListStackSetOperationResultsCommand).resolves({Summaries: []})
      const result = await enforce(m.deps, configWith(), ARTIFACTS, yes)
      expect(inputs(m.cfn, DescribeStackSetOperationCommand).map((i) => i.OperationId)).to.deep.equal(['op-theirs', 'op-theirs'])
      expect(m.events[0]).to.deep.equal({type: 'step', message: 'Waiting for operation op-theirs (UPDATE) already running on ssmx-runas'})
      expect(result.plan.changes).to.equal(0)
      expect(inputs(m.cfn, DescribeStackSetCommand)).to.have.length(2)
    })

    it('OperationInProgressException on start: waits for the running operation, then starts again', async () => {
      const m = freshOrganization()
      m.cfn.on(ListStackSetOperationsCommand).resolves({Summaries: [{OperationId: 'op-drift', Action: 'DETECT_DRIFT', Status: 'RUNNING'}]})
      m.cfn
        .on(CreateStackInstancesCommand)
        .rejectsOnce(Object.assign(new Error('Another Operation on StackSet is in progress'), {name: 'OperationInProgressException'}))
        .resolves({OperationId: 'op-mine'})
      await enforce(m.deps, configWith({organizationalUnits: [OU_A], overrides: {}}), {...ARTIFACTS, ouOverrides: []}, yes)
      expect(inputs(m.cfn, CreateStackInstancesCommand)).to.have.length(2)
      expect(inputs(m.cfn, DescribeStackSetOperationCommand).map((i) => i.OperationId)).to.deep.equal(['op-drift', 'op-drift', 'op-mine'])
    })

    it('with --no-wait, an operation in progress is reported instead of waited for', async () => {
      const m = mocks()
      healthyOrganization(m)
      fullyDeployed(m)
      m.cfn.on(ListStackSetOperationsCommand).resolves({Summaries: [{OperationId: 'op-theirs', Action: 'UPDATE', Status: 'RUNNING'}]})
      const e = await rejection(enforce(m.deps, configWith(), ARTIFACTS, {...yes, wait: false}))
      expect(e.message).to.equal('Another operation (op-theirs, UPDATE) is running on the stack set ssmx-runas.')
    })

    it('--no-wait starts the first operation and says what is left', async () => {
      const m = freshOrganization()
      const result = await enforce(m.deps, configWith(), ARTIFACTS, {...yes, wait: false})
      expect(writes(m).filter((w) => w === 'CreateStackInstancesCommand')).to.have.length(1)
      expect(inputs(m.cfn, DescribeStackSetOperationCommand)).to.have.length(0)
      expect(result.started).to.deep.equal(['op-1'])
      expect(result.pending).to.equal(1)
      expect(formatEnforceResult(result).join('\n')).to.include('1 more operation remain')
    })
  })

  it('a configuration without OUs or regions says what to add', async () => {
    const m = mocks()
    const e = await rejection(enforce(m.deps, configWith({organizationalUnits: undefined, regions: undefined, overrides: {}}), ARTIFACTS, yes))
    expect(e.code).to.equal('config')
    expect(e.message).to.include('admin.organizationalUnits and admin.regions are missing')
    expect(m.orgs.calls()).to.have.length(0)
  })

  it('a management account calling as DELEGATED_ADMIN is told to call as SELF', async () => {
    const m = mocks('DELEGATED_ADMIN')
    healthyOrganization(m, MGMT)
    nothingDeployed(m)
    const e = await rejection(enforce(m.deps, configWith(), ARTIFACTS, yes))
    expect(e.message).to.include('is the management account, which must call as SELF')
  })

  it('a cancelled confirmation changes nothing', async () => {
    const m = mocks()
    healthyOrganization(m)
    nothingDeployed(m)
    const e = await rejection(enforce(m.deps, configWith(), ARTIFACTS, {...yes, confirm: async () => false}))
    expect(e.code).to.equal('cancelled')
    expect(writes(m)).to.deep.equal([])
  })
})
