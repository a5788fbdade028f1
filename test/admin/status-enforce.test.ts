/**
 * The invariant between `admin status` and `admin enforce`: for any state of the organization, status reports
 * compliant exactly when enforce's plan has no change. Randomly drifted deployments from a seeded PRNG, so a failure
 * names its seed and can be replayed.
 */
import {
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
  ListStackSetAutoDeploymentTargetsCommand,
  ListStackSetOperationsCommand,
  type StackSet,
} from '@aws-sdk/client-cloudformation'
import {DescribePolicyCommand, ListPoliciesCommand, ListPoliciesForTargetCommand, ListTargetsForPolicyCommand} from '@aws-sdk/client-organizations'
import {expect} from 'chai'

import {AUTO_DEPLOYMENT, CAPABILITIES, MANAGED_EXECUTION, planEnforce} from '../../src/admin/enforce.js'
import {adminStatus} from '../../src/admin/status.js'
import {ARTIFACTS, OU_A, OU_B, POLICY_ID, REGIONS, ROOT_ID, STACK_SET, configWith, healthyOrganization, mocks, summary} from './support.js'

/** mulberry32: a small seeded PRNG, so every case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const OU_C = 'ou-ab12-cccccccc'
const OVERRIDES: Record<string, Array<{ParameterKey: string; ParameterValue: string}>> = {[OU_A]: [], [OU_B]: ARTIFACTS.ouOverrides[0].parameters, [OU_C]: []}

/** A deployment as enforce leaves it, then drifted at random in every way enforce or status looks at. */
function drifted(m: ReturnType<typeof mocks>, seed: number): void {
  const random = prng(seed)
  const chance = (p: number) => random() < p
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
  // how drifted this organization is: a third are left as enforce leaves them, so both sides of the invariant are met
  const level = pick([0, 0.03, 0.12])
  const drift = () => random() < level
  healthyOrganization(m)
  m.cfn.on(ListStackSetOperationsCommand).resolves({Summaries: [{OperationId: 'op-old', Action: 'CREATE', Status: 'SUCCEEDED'}]})

  if (drift()) {
    m.cfn.on(DescribeStackSetCommand).rejects(Object.assign(new Error(`StackSet ${STACK_SET} not found`), {name: 'StackSetNotFoundException'}))
  } else {
    const stackSet: StackSet = {
      StackSetName: STACK_SET,
      Status: 'ACTIVE',
      PermissionModel: 'SERVICE_MANAGED',
      TemplateBody: drift() ? ARTIFACTS.templateBody.replaceAll('1.2.3', '1.1.0') : drift() ? `${ARTIFACTS.templateBody}# edited\n` : ARTIFACTS.templateBody,
      Parameters: drift() ? [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'root'}] : ARTIFACTS.parameters,
      Capabilities: drift() ? [] : [...CAPABILITIES],
      AutoDeployment: drift() ? {...AUTO_DEPLOYMENT, ...(chance(0.5) ? {Enabled: false} : {RetainStacksOnAccountRemoval: true})} : AUTO_DEPLOYMENT,
      ManagedExecution: drift() ? {Active: false} : MANAGED_EXECUTION,
    }
    m.cfn.on(DescribeStackSetCommand).resolves({StackSet: stackSet})
    const targets = [OU_A, OU_B, ...(drift() ? [OU_C] : [])].map((ou) => ({
      OrganizationalUnitId: ou,
      Regions: [...REGIONS.filter(() => !drift()), ...(drift() ? ['us-west-2'] : [])],
    }))
    let n = 0
    const instances = targets.flatMap((t) =>
      t.Regions.flatMap((region) =>
        Array.from({length: 1 + Math.floor(random() * 2)}, () => ({
          ou: t.OrganizationalUnitId,
          account: String(222222222200 + n++),
          region,
          status: !drift() ? ('CURRENT' as const) : pick(['OUTDATED', 'INOPERABLE'] as const),
          detailed: !drift() ? 'SUCCEEDED' : pick(['FAILED', 'CANCELLED', 'INOPERABLE', 'FAILED_IMPORT', 'RUNNING', 'PENDING', 'SKIPPED_SUSPENDED_ACCOUNT']),
          drift: !drift() ? 'IN_SYNC' : pick(['DRIFTED', 'NOT_CHECKED', 'UNKNOWN']),
        })),
      ),
    )
    m.cfn.on(ListStackSetAutoDeploymentTargetsCommand).resolves({Summaries: targets})
    m.cfn.on(ListStackInstancesCommand).resolves({Summaries: instances.map(summary)})
    const wrongOverrides = new Set([OU_A, OU_B, OU_C].filter(() => drift()))
    m.cfn.on(DescribeStackInstanceCommand).callsFake((input: {StackInstanceAccount: string}) => {
      const ou = instances.find((i) => i.account === input.StackInstanceAccount)?.ou ?? OU_A
      return {StackInstance: {ParameterOverrides: wrongOverrides.has(ou) ? [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'admin'}] : OVERRIDES[ou]}}
    })
  }

  const policyExists = !drift()
  const attached = policyExists ? [...[OU_A, OU_B].filter(() => !drift()), ...(drift() ? [ROOT_ID] : [])] : []
  m.orgs.on(ListPoliciesCommand).resolves({
    Policies: [
      {Id: 'p-FullAWSAccess', Name: 'FullAWSAccess', AwsManaged: true},
      ...(policyExists ? [{Id: POLICY_ID, Name: ARTIFACTS.scpName, AwsManaged: false}] : []),
    ],
  })
  m.orgs.on(DescribePolicyCommand, {PolicyId: POLICY_ID}).resolves({
    Policy: {
      Content: drift() ? '{"Version":"2012-10-17","Statement":[]}' : JSON.stringify(JSON.parse(ARTIFACTS.scpContent), null, 2),
      PolicySummary: {Id: POLICY_ID, Name: ARTIFACTS.scpName, Description: drift() ? 'edited by hand' : ARTIFACTS.scpDescription},
    },
  })
  m.orgs.on(ListTargetsForPolicyCommand).resolves({Targets: attached.map((TargetId) => ({TargetId}))})
  m.orgs.on(ListPoliciesForTargetCommand).callsFake((input: {TargetId: string}) => ({
    Policies: [{Id: 'p-FullAWSAccess'}, ...(attached.includes(input.TargetId) ? [{Id: POLICY_ID}] : [])],
  }))
}

describe('admin status and admin enforce agree', () => {
  it('status is compliant exactly when enforce plans no change, over 300 randomly drifted organizations', async function () {
    this.timeout(180_000)
    let compliantCases = 0
    for (let seed = 1; seed <= 300; seed++) {
      const m = mocks()
      drifted(m, seed)
      const config = configWith()
      const status = await adminStatus(m.deps, config, ARTIFACTS)
      const plan = await planEnforce(m.deps, config, ARTIFACTS)
      const changes = [plan.stackSet, ...plan.instances, ...(plan.scp ? [plan.scp, ...plan.scp.attachments] : [])].filter((c) => c.change !== 'unchanged')
      expect(
        status.compliant,
        `seed ${seed}: status says ${status.compliant ? 'compliant' : status.problems.join(' | ')}; enforce plans ${JSON.stringify(changes)}`,
      ).to.equal(plan.changes === 0)
      if (status.compliant) compliantCases++
    }
    // the generator reaches both sides of the invariant
    expect(compliantCases).to.be.within(10, 290)
  })
})
