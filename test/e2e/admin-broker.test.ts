import {expect} from 'chai'

import {OU_A, OU_B, adminSandbox} from '../support/admin-cli.js'
import type {Sandbox} from '../support/cli.js'
import type {FakeAws} from '../support/fake-aws.js'
import type {FakeOrganization} from '../support/fake-organization.js'

const BROKER_CONFIG = {
  permissionSets: {Developer: {runAsUser: 'dev'}, Admin: {runAsUser: 'admin'}},
  admin: {
    organizationalUnits: [OU_A, OU_B],
    regions: ['eu-west-1', 'us-east-1'],
    overrides: {[OU_B]: {permissionSets: {Developer: {runAsUser: 'devops'}}}},
    broker: {enabled: true, organizationId: 'o-abcdefghij', users: {'jane@example.com': 'dba'}},
  },
}

describe('ssmx admin enforce → status → remove with the session broker (built CLI, stateful fake organization)', () => {
  let fake: FakeAws
  let org: FakeOrganization
  let box: Sandbox
  let configPath: string

  beforeEach(async () => {
    ;({fake, org, box} = await adminSandbox())
    configPath = box.file('broker.json', JSON.stringify(BROKER_CONFIG))
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  const ssmx = (...args: string[]) => box.run(['admin', ...args, '--config', configPath], {timeoutMs: 60_000})

  it('deploys the broker with the stack set, reports it per account × region, and removes it', async function () {
    this.timeout(180_000)
    const enforced = await ssmx('enforce', '--yes')
    expect(enforced.code, enforced.stderr).to.equal(0)
    expect(org.stackSet!.templateBody).to.include('ssmx-broker').and.include('AuthType: AWS_IAM')
    expect(org.stackSet!.capabilities).to.deep.equal(['CAPABILITY_NAMED_IAM'])
    expect(org.stackSet!.overrides.get(OU_B)).to.deep.include({ParameterKey: 'OuOverriddenPermissionSets', ParameterValue: 'Developer'})
    const scp = [...org.policies.values()][0]!.content
    expect(scp).to.include('SsmxBrokerCallers').and.include('ssmx-broker-*')

    const status = await ssmx('status', '--json')
    expect(status.code, status.stderr + status.stdout).to.equal(0)
    const report = JSON.parse(status.stdout)
    expect(report.compliant, report.problems.join('\n')).to.equal(true)
    expect(report.broker).to.deep.include({configured: true, deployed: true, present: 6, unknown: 0, total: 6})
    expect(report.broker.version).to.match(/^\d+\.\d+\.\d+/)
    for (const i of report.instances) expect(i.broker).to.deep.equal({state: 'present', version: report.broker.version})
    const text = await ssmx('status')
    expect(text.stdout).to.include(`Session broker ${report.broker.version}: in 6 of 6 account × region`)

    // turned off in the configuration: status says the deployed broker is left over
    box.file('broker.json', JSON.stringify({...BROKER_CONFIG, admin: {...BROKER_CONFIG.admin, broker: {enabled: false}}}))
    const stale = await ssmx('status', '--json')
    expect(stale.code).to.equal(12)
    expect(JSON.parse(stale.stdout).problems.join('\n')).to.include('admin.broker.enabled is off')
    box.file('broker.json', JSON.stringify(BROKER_CONFIG))

    const removed = await ssmx('remove', '--yes')
    expect(removed.code, removed.stderr).to.equal(0)
    expect(org.stackSet).to.equal(undefined)
    expect(org.policies.size).to.equal(0)
  })
})
