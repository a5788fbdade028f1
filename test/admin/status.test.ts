import {
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
  ListStackSetAutoDeploymentTargetsCommand,
} from '@aws-sdk/client-cloudformation'
import {ListTargetsForPolicyCommand} from '@aws-sdk/client-organizations'
import {expect} from 'chai'

import type {SsoAdmin} from '../../src/aws/ports.js'
import {buildArtifacts} from '../../src/admin/artifacts.js'
import {formatOrganizationStatus, formatStatus} from '../../src/admin/format.js'
import {adminStatus, organizationStatus, outOfCompliance, templateVersionOf} from '../../src/admin/status.js'
import {ARTIFACTS, OU_A, OU_B, REGIONS, STACK_SET, configWith, fullyDeployed, inputs, mocks, nothingDeployed, summary} from './support.js'

describe('admin status', () => {
  it('everything current, in sync and attached: compliant, read-only', async () => {
    const m = mocks()
    fullyDeployed(m)
    const r = await adminStatus(m.deps, configWith(), ARTIFACTS)
    expect(r.compliant, r.problems.join('\n')).to.equal(true)
    expect(r.stackSet).to.deep.equal({exists: true, status: 'ACTIVE', deployedVersion: '1.2.3', expectedVersion: '1.2.3', matchesConfiguration: true})
    expect(r.instances).to.have.length(4)
    expect(r.summary[OU_A]).to.deep.equal({total: 2, compliant: 2, outdated: 0, drifted: 0, failed: 0})
    expect(r.scp).to.deep.equal({
      name: ARTIFACTS.scpName,
      exists: true,
      contentMatches: true,
      targets: [
        {targetId: OU_A, attached: true},
        {targetId: OU_B, attached: true},
      ],
    })
    expect(inputs(m.cfn, DescribeStackSetCommand)).to.deep.equal([{StackSetName: STACK_SET, CallAs: 'SELF'}])
    expect(formatStatus(r).at(-1)).to.equal('✓ In compliance.')
    expect(
      m.orgs
        .calls()
        .map((c) => (c.args[0] as object).constructor.name)
        .filter((n) => !/^(List|Describe)/.test(n)),
    ).to.deep.equal([])
  })

  it('outdated, failed, drifted instances, a missing region, an old template and a detached SCP: each reported, not compliant', async () => {
    const m = mocks()
    fullyDeployed(m, [
      {ou: OU_A, account: '222222222220', region: 'eu-west-1', drift: 'DRIFTED'},
      {ou: OU_A, account: '222222222220', region: 'us-east-1', status: 'OUTDATED', detailed: 'FAILED', reason: 'Handler timed out'},
      {ou: OU_B, account: '222222222222', region: 'eu-west-1'},
    ])
    m.cfn.on(ListStackSetAutoDeploymentTargetsCommand).resolves({
      Summaries: [
        {OrganizationalUnitId: OU_A, Regions: REGIONS},
        {OrganizationalUnitId: OU_B, Regions: ['eu-west-1']},
      ],
    })
    m.cfn.on(DescribeStackSetCommand).resolves({
      StackSet: {
        StackSetName: STACK_SET,
        Status: 'ACTIVE',
        TemplateBody: ARTIFACTS.templateBody.replaceAll('1.2.3', '1.1.0'),
        PermissionModel: 'SERVICE_MANAGED',
      },
    })
    m.orgs.on(ListTargetsForPolicyCommand).resolves({Targets: [{TargetId: OU_A}]})
    const r = await adminStatus(m.deps, configWith(), ARTIFACTS)
    expect(r.compliant).to.equal(false)
    expect(r.stackSet.deployedVersion).to.equal('1.1.0')
    expect(r.missingTargets).to.deep.equal([{organizationalUnitId: OU_B, region: 'us-east-1'}])
    expect(r.instances.filter((i) => !i.compliant).map((i) => `${i.account}/${i.region}`)).to.deep.equal(['222222222220/eu-west-1', '222222222220/us-east-1'])
    const text = formatStatus(r).join('\n')
    expect(text).to.include('template 1.1.0 (this ssmx: 1.2.3, differs from the configuration)')
    expect(text).to.include('✗ ou-ab12-aaaaaaaa 222222222220 us-east-1: OUTDATED/FAILED, drift IN_SYNC: Handler timed out')
    expect(text).to.include('drift DRIFTED')
    expect(text).to.include(`✗ ${OU_B} not attached`)
    expect(r.problems).to.have.length(4)
  })

  it('nothing deployed: not compliant, says to run enforce', async () => {
    const m = mocks()
    nothingDeployed(m)
    const r = await adminStatus(m.deps, configWith(), ARTIFACTS)
    expect(r.compliant).to.equal(false)
    expect(r.problems).to.deep.equal([
      'The stack set ssmx-runas does not exist: run ssmx admin enforce.',
      `The SCP ${ARTIFACTS.scpName} does not exist: run ssmx admin enforce.`,
    ])
  })

  it('1,000 accounts × 4 regions: pages of 100, no per-account call', async () => {
    const m = mocks()
    const regions = ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-southeast-1']
    fullyDeployed(m, [])
    m.cfn.on(ListStackSetAutoDeploymentTargetsCommand).resolves({
      Summaries: [
        {OrganizationalUnitId: OU_A, Regions: regions},
        {OrganizationalUnitId: OU_B, Regions: regions},
      ],
    })
    const total = 4000
    m.cfn.on(ListStackInstancesCommand).callsFake((input: {NextToken?: string}) => {
      const start = Number(input.NextToken ?? 0)
      const Summaries = Array.from({length: 100}, (_, k) => {
        const n = start + k
        const account = String(300000000000 + Math.floor(n / 4))
        return summary({ou: n < total / 2 ? OU_A : OU_B, account, region: regions[n % 4]})
      })
      return {Summaries, ...(start + 100 < total ? {NextToken: String(start + 100)} : {})}
    })
    // the first 500 accounts are OU_A's; status reads the overrides of one instance per OU
    m.cfn.on(DescribeStackInstanceCommand).callsFake((input: {StackInstanceAccount: string}) => ({
      StackInstance: {ParameterOverrides: Number(input.StackInstanceAccount) - 300000000000 < 500 ? [] : ARTIFACTS.ouOverrides[0].parameters},
    }))
    const r = await adminStatus(m.deps, configWith({regions}), ARTIFACTS)
    expect(r.compliant, r.problems.join('\n')).to.equal(true)
    expect(r.instances).to.have.length(total)
    expect(new Set(r.instances.map((i) => i.account)).size).to.equal(1000)
    expect(inputs(m.cfn, ListStackInstancesCommand)).to.have.length(40)
    expect(inputs(m.cfn, ListStackInstancesCommand)[1]).to.deep.equal({StackSetName: STACK_SET, CallAs: 'SELF', MaxResults: 100, NextToken: '100'})
    expect(m.cfn.calls().length + m.orgs.calls().length).to.be.at.most(48)
  })

  it('organizationStatus: IAM Identity Center out of reach is reported as not checked and leaves the verdict to the deployment', async () => {
    const m = mocks()
    fullyDeployed(m)
    const config = configWith({})
    const withSets = {...config, permissionSets: {Developer: {runAsUser: 'dev'}}} as typeof config
    // every SSO Admin call answers with send()
    const idc = (send: () => Promise<unknown>) => ({
      sso: new Proxy({}, {get: () => send}) as SsoAdmin,
      profile: 'org',
      progress: () => {},
      sleep: async () => {},
      now: () => 0,
    })
    const debug: string[] = []
    const unreachable = await organizationStatus({admin: m.deps, idc: idc(async () => ({Instances: []})), debug: (l) => debug.push(l)}, withSets, ARTIFACTS)
    expect(unreachable.compliant).to.equal(true)
    expect(unreachable.guardrails).to.deep.equal({checked: false, reason: 'No IAM Identity Center instance found with this profile and region.'})
    expect(debug).to.have.length(1)
    expect(formatOrganizationStatus(unreachable).slice(-2)).to.deep.equal([
      'guardrails: not checked (No IAM Identity Center instance found with this profile and region.)',
      '✓ In compliance.',
    ])
    expect(outOfCompliance(unreachable)).to.deep.include({code: 'compliance', exitCode: 12, result: unreachable, shown: true})
    const none = await organizationStatus({admin: m.deps, idc: idc(async () => ({Instances: []}))}, config, ARTIFACTS)
    expect(none).not.to.have.property('guardrails')
  })

  it('reads the template version from an Output, Metadata or the Description', () => {
    expect(templateVersionOf('Outputs:\n  TemplateVersion:\n    Value: "2.0.0"\n')).to.equal('2.0.0')
    expect(
      templateVersionOf('Metadata:\n  Ssmx:\n    Version: 3.1.0\nResources:\n  X:\n    Type: T\n    Properties:\n      A: !Sub "${AWS::Region}"\n'),
    ).to.equal('3.1.0')
    expect(templateVersionOf('Description: ssmx RunAs 0.4.2 for the organization\n')).to.equal('0.4.2')
    expect(templateVersionOf('Resources: {}\n')).to.equal(undefined)
    expect(templateVersionOf(undefined)).to.equal(undefined)
  })

  it('reads the version buildArtifacts writes into the real template', () => {
    const real = buildArtifacts(configWith({overrides: {}}), '9.9.9')
    expect(templateVersionOf(real.templateBody)).to.equal(real.templateVersion)
  })
})
