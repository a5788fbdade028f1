import {expect} from 'chai'

import type {AdminArtifacts} from '../../src/admin/types.js'
import {OU_A, OU_B, adminArtifacts, adminSandbox} from '../support/admin-cli.js'
import type {Sandbox} from '../support/cli.js'
import type {FakeAws} from '../support/fake-aws.js'
import {type FakeOrganization, unflattenQuery} from '../support/fake-organization.js'

const WRITES = /^(Create|Update|Delete|Attach|Detach)/

describe('ssmx admin enforce → status → remove (built CLI against a stateful fake organization)', () => {
  let fake: FakeAws
  let org: FakeOrganization
  let box: Sandbox
  let artifacts: AdminArtifacts
  let configPath: string

  before(() => {
    artifacts = adminArtifacts()
  })

  beforeEach(async () => {
    ;({fake, org, box, configPath} = await adminSandbox())
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  const ssmx = (...args: string[]) => box.run(['admin', ...args, '--config', configPath], {timeoutMs: 60_000})
  const writes = () => fake.requests.filter((r) => WRITES.test(r.operation)).map((r) => `${r.service}.${r.operation}`)

  it('deploys, is idempotent, reports compliance, and removes everything', async function () {
    this.timeout(180_000) // six CLI runs; each loads the SDK clients

    const refused = await ssmx('enforce')
    expect(refused.code, refused.stderr).to.equal(2)
    expect(refused.stderr).to.include('Pass --yes')
    expect(writes()).to.deep.equal([])

    const first = await ssmx('enforce', '--yes')
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stdout).to.include('+ stack set: create')
    expect(first.stdout).to.include('✓ Enforced.')
    expect(first.stderr).to.match(/222222222220 eu-west-1 SUCCEEDED/)
    const created = unflattenQuery(fake.calls('cloudformation', 'CreateStackSet')[0].input)
    expect(created).to.deep.include({
      StackSetName: 'ssmx-runas',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: {Enabled: 'true', RetainStacksOnAccountRemoval: 'false'},
      ManagedExecution: {Active: 'true'},
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      CallAs: 'SELF',
      TemplateBody: artifacts.templateBody,
    })
    const instanceCalls = fake.calls('cloudformation', 'CreateStackInstances').map((c) => unflattenQuery(c.input) as Record<string, never>)
    expect(instanceCalls.flatMap((c) => (c.DeploymentTargets as {OrganizationalUnitIds: string[]}).OrganizationalUnitIds).sort()).to.deep.equal([OU_A, OU_B])
    for (const call of instanceCalls) {
      expect(call.Regions).to.deep.equal(['eu-west-1', 'us-east-1'])
      expect(call.OperationPreferences).to.deep.include({RegionConcurrencyType: 'PARALLEL'})
      const [ou] = (call.DeploymentTargets as {OrganizationalUnitIds: string[]}).OrganizationalUnitIds
      expect(call.ParameterOverrides ?? []).to.deep.equal(artifacts.ouOverrides.find((o) => o.organizationalUnitId === ou)?.parameters ?? [])
    }
    expect(fake.calls('organizations', 'CreatePolicy')[0].input).to.deep.include({
      Type: 'SERVICE_CONTROL_POLICY',
      Content: artifacts.scpContent,
      Name: artifacts.scpName,
    })
    expect(fake.calls('organizations', 'AttachPolicy').map((c) => c.input.TargetId)).to.deep.equal([OU_A, OU_B])
    expect(org.stackSet?.instances.size).to.equal(6)

    const before = writes().length
    const second = await ssmx('enforce', '--yes')
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stdout).to.include('Nothing to change: everything is as configured.')
    expect(writes()).to.have.length(before)

    const status = await ssmx('status', '--json')
    expect(status.code, status.stderr + status.stdout).to.equal(0)
    const report = JSON.parse(status.stdout)
    expect(report.compliant).to.equal(true)
    expect(report.instances).to.have.length(6)
    expect(report.stackSet).to.deep.include({exists: true, deployedVersion: artifacts.templateVersion, matchesConfiguration: true})
    expect(report.scp.targets).to.deep.equal([
      {targetId: OU_A, attached: true},
      {targetId: OU_B, attached: true},
    ])

    const removed = await ssmx('remove', '--yes')
    expect(removed.code, removed.stderr).to.equal(0)
    expect(removed.stdout).to.include('✓ Removed.')
    expect(org.stackSet).to.equal(undefined)
    expect(org.policies.size).to.equal(0)
    const order = writes().slice(before)
    expect(order).to.deep.equal([
      'cloudformation.DeleteStackInstances',
      'cloudformation.DeleteStackSet',
      'organizations.DetachPolicy',
      'organizations.DetachPolicy',
      'organizations.DeletePolicy',
    ])

    const after = await ssmx('status')
    expect(after.code).to.equal(12)
    expect(after.stdout).to.include('Stack set ssmx-runas: not deployed')
  })
})
