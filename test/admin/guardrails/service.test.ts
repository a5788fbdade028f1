import {
  DeleteInlinePolicyFromPermissionSetCommand,
  DeleteInstanceAccessControlAttributeConfigurationCommand,
  DescribeInstanceAccessControlAttributeConfigurationCommand,
  DescribePermissionSetCommand,
  DescribePermissionSetProvisioningStatusCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListInstancesCommand,
  ListPermissionSetsCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  SSOAdminClient,
  UpdateInstanceAccessControlAttributeConfigurationCommand,
} from '@aws-sdk/client-sso-admin'
import {expect} from 'chai'
import {mockClient} from 'aws-sdk-client-mock'

import {ssoAdminPort} from '../../../src/aws/sso-admin.js'
import type {IdcDeps} from '../../../src/admin/guardrails/idc.js'
import {INLINE_POLICY_LIMIT, guardrailStatements} from '../../../src/admin/guardrails/policy.js'
import {formatGuardrailCheck, formatGuardrailPlan, formatGuardrailStatus} from '../../../src/admin/format.js'
import {
  applyGuardrails,
  checkGuardrails,
  guardrailProblems,
  guardrailStatus,
  planGuardrails,
  planHasChanges,
  runGuardrails,
} from '../../../src/admin/guardrails/service.js'
import {configSchema} from '../../../src/config/schema.js'
import {SsmxError, isSsmxError} from '../../../src/errors.js'

const INSTANCE = 'arn:aws:sso:::instance/ssoins-1234567890abcdef'
const psArn = (i: number) => `arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-${String(i).padStart(16, '0')}`
const DEV = psArn(7)
const OPS = psArn(234)
const TEAM_STATEMENT = {Sid: 'TeamBuckets', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::team/*'}

const config = configSchema.parse({
  permissionSets: {Developer: {runAsUser: 'dev'}, 'Ops+Admin': {runAsUser: 'ops'}},
  admin: {guardrails: {allowDocuments: ['AWS-StartPortForwardingSession']}},
})

const sso = mockClient(SSOAdminClient)

/** IAM Identity Center in memory: 250 permission sets over three pages, inline policies, provisioning. */
class FakeIdc {
  names = new Map<string, string>()
  policies = new Map<string, string>()
  attributes: Array<{Key: string; Value: {Source: string[]}}> | undefined
  /** provisioning status sequence per request, e.g. ['IN_PROGRESS', 'SUCCEEDED'] */
  statuses = ['IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED']
  failureReason?: string
  /** accounts without the latest version, per permission set: set by a write, cleared by a successful provisioning */
  notLatest = new Map<string, string[]>()
  inFlight = 0
  maxInFlight = 0
  private polls = new Map<string, number>()

  constructor() {
    for (let i = 0; i < 250; i++) this.names.set(psArn(i), `Set${i}`)
    this.names.set(DEV, 'Developer')
    this.names.set(OPS, 'Ops+Admin')
    this.policies.set(DEV, JSON.stringify({Version: '2012-10-17', Statement: [TEAM_STATEMENT]}))
  }

  install(): void {
    sso.reset()
    sso.on(ListInstancesCommand).resolves({Instances: [{InstanceArn: INSTANCE, IdentityStoreId: 'd-1234567890'}]})
    sso.on(ListPermissionSetsCommand).callsFake((input: {NextToken?: string}) => {
      const all = [...this.names.keys()]
      const start = input.NextToken ? Number(input.NextToken) : 0
      const next = start + 100
      return {PermissionSets: all.slice(start, next), ...(next < all.length ? {NextToken: String(next)} : {})}
    })
    sso.on(DescribePermissionSetCommand).callsFake(async (input: {PermissionSetArn: string}) => {
      this.inFlight++
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
      await new Promise((r) => setImmediate(r))
      this.inFlight--
      return {PermissionSet: {Name: this.names.get(input.PermissionSetArn), PermissionSetArn: input.PermissionSetArn}}
    })
    sso.on(DescribeInstanceAccessControlAttributeConfigurationCommand).callsFake(() => {
      if (!this.attributes) throw Object.assign(new Error('not configured'), {name: 'ResourceNotFoundException'})
      return {Status: 'ENABLED', InstanceAccessControlAttributeConfiguration: {AccessControlAttributes: this.attributes}}
    })
    sso.on(UpdateInstanceAccessControlAttributeConfigurationCommand).resolves({})
    sso.on(DeleteInstanceAccessControlAttributeConfigurationCommand).resolves({})
    sso
      .on(GetInlinePolicyForPermissionSetCommand)
      .callsFake((input: {PermissionSetArn: string}) => ({InlinePolicy: this.policies.get(input.PermissionSetArn) ?? ''}))
    sso.on(PutInlinePolicyToPermissionSetCommand).callsFake((input: {PermissionSetArn: string; InlinePolicy: string}) => {
      this.policies.set(input.PermissionSetArn, input.InlinePolicy)
      this.notLatest.set(input.PermissionSetArn, ['111122223333', '444455556666'])
      return {}
    })
    sso.on(DeleteInlinePolicyFromPermissionSetCommand).callsFake((input: {PermissionSetArn: string}) => {
      this.policies.delete(input.PermissionSetArn)
      this.notLatest.set(input.PermissionSetArn, ['111122223333', '444455556666'])
      return {}
    })
    sso.on(ProvisionPermissionSetCommand).callsFake((input: {PermissionSetArn: string}) => {
      this.polls.delete(`req-${input.PermissionSetArn.slice(-4)}`)
      return {
        PermissionSetProvisioningStatus: {
          Status: 'IN_PROGRESS',
          RequestId: `req-${input.PermissionSetArn.slice(-4)}`,
          PermissionSetArn: input.PermissionSetArn,
        },
      }
    })
    sso.on(DescribePermissionSetProvisioningStatusCommand).callsFake((input: {ProvisionPermissionSetRequestId: string}) => {
      const n = (this.polls.get(input.ProvisionPermissionSetRequestId) ?? 0) + 1
      this.polls.set(input.ProvisionPermissionSetRequestId, n)
      const Status = this.statuses[Math.min(n, this.statuses.length - 1)]
      if (Status === 'SUCCEEDED') this.notLatest.delete([...this.names.keys()].find((a) => a.endsWith(input.ProvisionPermissionSetRequestId.slice(4)))!)
      return {
        PermissionSetProvisioningStatus: {
          Status,
          RequestId: input.ProvisionPermissionSetRequestId,
          ...(Status === 'FAILED' ? {FailureReason: this.failureReason} : {}),
        },
      }
    })
    sso
      .on(ListAccountsForProvisionedPermissionSetCommand)
      .callsFake((input: {PermissionSetArn: string}) => ({AccountIds: this.notLatest.get(input.PermissionSetArn) ?? []}))
  }
}

/** Deps with a fake clock that only moves when the service sleeps. */
function testDeps(): IdcDeps & {waits: number[]; lines: string[]} {
  const clock = {at: 0, waits: [] as number[]}
  const lines: string[] = []
  const deps: IdcDeps = {
    sso: ssoAdminPort(new SSOAdminClient({region: 'eu-west-1', credentials: {accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret'}})),
    profile: 'org-admin',
    progress: (l) => lines.push(l),
    sleep: async (ms) => {
      clock.waits.push(ms)
      clock.at += ms
    },
    now: () => clock.at,
  }
  return Object.assign(deps, {waits: clock.waits, lines})
}

const calls = (command: unknown) => sso.commandCalls(command as never).map((c) => c.args[0].input as Record<string, unknown>)

describe('admin guardrails service (sso-admin stubbed)', () => {
  let idc: FakeIdc
  beforeEach(() => {
    idc = new FakeIdc()
    idc.install()
  })
  after(() => sso.restore())

  it('finds the instance, pages through 250 permission sets with bounded concurrency, merges, writes, provisions and waits', async () => {
    const deps = testDeps()
    const plan = await planGuardrails(config, {}, deps)

    expect(calls(ListInstancesCommand)).to.deep.equal([{}])
    expect(calls(ListPermissionSetsCommand)).to.deep.equal([
      {InstanceArn: INSTANCE, MaxResults: 100},
      {InstanceArn: INSTANCE, MaxResults: 100, NextToken: '100'},
      {InstanceArn: INSTANCE, MaxResults: 100, NextToken: '200'},
    ])
    expect(calls(DescribePermissionSetCommand)).to.have.length(250)
    expect(calls(DescribePermissionSetCommand)[0]).to.deep.equal({InstanceArn: INSTANCE, PermissionSetArn: psArn(0)})
    expect(idc.maxInFlight).to.be.within(2, 5)
    expect(calls(GetInlinePolicyForPermissionSetCommand)).to.have.deep.members([
      {InstanceArn: INSTANCE, PermissionSetArn: DEV},
      {InstanceArn: INSTANCE, PermissionSetArn: OPS},
    ])
    expect(plan.permissionSets.map((p) => [p.name, p.document, p.state, p.change])).to.deep.equal([
      ['Developer', 'SSMX-RunAs-Developer', 'missing', 'put'],
      ['Ops+Admin', 'SSMX-RunAs-Ops_Admin', 'missing', 'put'],
    ])
    expect(calls(PutInlinePolicyToPermissionSetCommand)).to.have.length(0)
    const text = formatGuardrailPlan(plan).join('\n')
    expect(text).to.include('Developer: add the guardrail (pinned to SSMX-RunAs-Developer)')
    expect(text).to.match(/^\+\s+"Sid": "SsmxGuardrailStartOwnDocument",$/m)
    expect(text).to.match(/^ {7}"Resource": "arn:aws:s3:::team\/\*"$/m)

    const result = await applyGuardrails(plan, deps)
    const puts = calls(PutInlinePolicyToPermissionSetCommand)
    expect(puts.map((p) => p.PermissionSetArn)).to.have.members([DEV, OPS])
    const devPolicy = JSON.parse(puts.find((p) => p.PermissionSetArn === DEV)!.InlinePolicy as string)
    expect(devPolicy.Statement[0]).to.deep.equal(TEAM_STATEMENT)
    expect(devPolicy.Statement.slice(1)).to.deep.equal(
      guardrailStatements({
        permissionSet: 'Developer',
        document: 'SSMX-RunAs-Developer',
        allowDocuments: ['AWS-StartPortForwardingSession'],
        runAsUsers: ['dev'],
      }),
    )
    const opsPolicy = JSON.parse(puts.find((p) => p.PermissionSetArn === OPS)!.InlinePolicy as string)
    expect(JSON.stringify(opsPolicy)).to.include('document/SSMX-RunAs-Ops_Admin"')
    expect(calls(ProvisionPermissionSetCommand)).to.have.deep.members([
      {InstanceArn: INSTANCE, PermissionSetArn: DEV, TargetType: 'ALL_PROVISIONED_ACCOUNTS'},
      {InstanceArn: INSTANCE, PermissionSetArn: OPS, TargetType: 'ALL_PROVISIONED_ACCOUNTS'},
    ])
    const polls = calls(DescribePermissionSetProvisioningStatusCommand)
    expect(polls).to.have.length(4)
    expect(polls[0]).to.deep.equal({InstanceArn: INSTANCE, ProvisionPermissionSetRequestId: polls[0].ProvisionPermissionSetRequestId})
    expect(deps.waits).to.deep.equal([1000, 1000, 2000, 2000])
    expect(result.permissionSets.map((p) => p.provisioning?.status)).to.deep.equal(['SUCCEEDED', 'SUCCEEDED'])
    expect(deps.lines.join('\n')).to.include('Developer: SUCCEEDED')
  })

  it('changes nothing on a second run: no Put, no Provision', async () => {
    await applyGuardrails(await planGuardrails(config, {}, testDeps()), testDeps())
    sso.resetHistory()
    const again = await planGuardrails(config, {}, testDeps())
    expect(planHasChanges(again)).to.equal(false)
    expect(again.permissionSets.map((p) => [p.state, p.change])).to.deep.equal([
      ['current', 'none'],
      ['current', 'none'],
    ])
    expect(formatGuardrailPlan(again).join('\n')).to.include('Nothing to change.')
    await applyGuardrails(again, testDeps())
    expect(calls(PutInlinePolicyToPermissionSetCommand)).to.have.length(0)
    expect(calls(DeleteInlinePolicyFromPermissionSetCommand)).to.have.length(0)
    expect(calls(ProvisionPermissionSetCommand)).to.have.length(0)
  })

  it('replaces an outdated ssmx statement set after a configuration change', async () => {
    await applyGuardrails(await planGuardrails(config, {}, testDeps()), testDeps())
    sso.resetHistory()
    const changed = configSchema.parse({...config, admin: {guardrails: {allowDocuments: ['AWS-StartSSHSession']}}})
    const plan = await planGuardrails(changed, {}, testDeps())
    expect(plan.permissionSets.map((p) => [p.state, p.change])).to.deep.equal([
      ['outdated', 'put'],
      ['outdated', 'put'],
    ])
    await applyGuardrails(plan, testDeps())
    const dev = JSON.parse(idc.policies.get(DEV)!)
    expect(dev.Statement).to.have.length(6)
    expect(JSON.stringify(dev)).to.include('AWS-StartSSHSession').and.not.include('AWS-StartPortForwardingSession')
  })

  it('--remove takes the ssmx statements out, keeps the others, and deletes an inline policy left empty', async () => {
    await applyGuardrails(await planGuardrails(config, {}, testDeps()), testDeps())
    sso.resetHistory()
    const plan = await planGuardrails(config, {remove: true}, testDeps())
    expect(plan.permissionSets.map((p) => p.change)).to.deep.equal(['put', 'delete'])
    await applyGuardrails(plan, testDeps())
    expect(calls(PutInlinePolicyToPermissionSetCommand)).to.deep.equal([
      {InstanceArn: INSTANCE, PermissionSetArn: DEV, InlinePolicy: JSON.stringify({Version: '2012-10-17', Statement: [TEAM_STATEMENT]})},
    ])
    expect(calls(DeleteInlinePolicyFromPermissionSetCommand)).to.deep.equal([{InstanceArn: INSTANCE, PermissionSetArn: OPS}])
    expect(calls(ProvisionPermissionSetCommand)).to.have.length(2)
    sso.resetHistory()
    const again = await planGuardrails(config, {remove: true}, testDeps())
    expect(planHasChanges(again)).to.equal(false)
  })

  it('reports a FAILED provisioning with its reason and the accounts not on the latest version', async () => {
    idc.statuses = ['IN_PROGRESS', 'FAILED']
    idc.failureReason = 'Role AWSReservedSSO_Developer could not be updated: a permissions boundary is missing'
    const result = await applyGuardrails(await planGuardrails(config, {}, testDeps()), testDeps())
    expect(calls(ListAccountsForProvisionedPermissionSetCommand)).to.have.deep.members([
      {InstanceArn: INSTANCE, PermissionSetArn: DEV, ProvisioningStatus: 'LATEST_PERMISSION_SET_NOT_PROVISIONED'},
      {InstanceArn: INSTANCE, PermissionSetArn: OPS, ProvisioningStatus: 'LATEST_PERMISSION_SET_NOT_PROVISIONED'},
    ])
    expect(result.permissionSets[0].provisioning).to.deep.equal({
      status: 'FAILED',
      requestId: 'req-0007',
      failureReason: idc.failureReason,
      failedAccounts: ['111122223333', '444455556666'],
    })
  })

  it('re-provisions on the next run when the policy is right but an earlier provisioning failed', async () => {
    idc.statuses = ['IN_PROGRESS', 'FAILED']
    await applyGuardrails(await planGuardrails(config, {}, testDeps()), testDeps())
    idc.statuses = ['IN_PROGRESS', 'SUCCEEDED']
    sso.resetHistory()
    const plan = await planGuardrails(config, {}, testDeps())
    expect(plan.permissionSets.map((p) => [p.state, p.change, p.pendingAccounts])).to.deep.equal([
      ['current', 'provision', ['111122223333', '444455556666']],
      ['current', 'provision', ['111122223333', '444455556666']],
    ])
    expect(formatGuardrailPlan(plan).join('\n')).to.include(
      'Developer: guardrail current (pinned to SSMX-RunAs-Developer); re-provision: 2 account(s) do not have the latest version (111122223333, 444455556666)',
    )
    const result = await applyGuardrails(plan, testDeps())
    expect(calls(PutInlinePolicyToPermissionSetCommand)).to.have.length(0)
    expect(calls(ProvisionPermissionSetCommand)).to.have.length(2)
    expect(result.permissionSets.map((p) => p.provisioning?.status)).to.deep.equal(['SUCCEEDED', 'SUCCEEDED'])
    sso.resetHistory()
    expect(planHasChanges(await planGuardrails(config, {}, testDeps()))).to.equal(false)
  })

  it('stops waiting at the deadline with bounded waits, and retries a ConflictException', async () => {
    idc.statuses = ['IN_PROGRESS']
    sso
      .on(ProvisionPermissionSetCommand)
      .rejectsOnce(Object.assign(new Error('in progress'), {name: 'ConflictException'}))
      .resolves({PermissionSetProvisioningStatus: {Status: 'IN_PROGRESS', RequestId: 'req-1'}})
    const deps = {...testDeps(), concurrency: 1, provisionTimeoutMs: 60_000}
    const result = await applyGuardrails(await planGuardrails(config, {}, deps), deps)
    expect(result.permissionSets.map((p) => p.provisioning?.status)).to.deep.equal(['TIMED_OUT', 'TIMED_OUT'])
    expect(calls(ProvisionPermissionSetCommand)).to.have.length(3)
    expect(Math.max(...deps.waits)).to.equal(10_000)
    expect(deps.waits.reduce((a, b) => a + b, 0)).to.equal(120_000)
  })

  it('reports the SSMSessionRunAs attribute and removes only that key, keeping the others in order', async () => {
    idc.attributes = [
      {Key: 'CostCenter', Value: {Source: ['${path:enterprise.costCenter}']}},
      {Key: 'SSMSessionRunAs', Value: {Source: ['${path:userName}']}},
      {Key: 'Team', Value: {Source: ['${path:enterprise.department}']}},
    ]
    const dry = await planGuardrails(config, {}, testDeps())
    expect(dry.runAsAttribute.runAs).to.deep.equal({key: 'SSMSessionRunAs', sources: ['${path:userName}']})
    expect(dry.removeRunAsAttribute).to.equal(false)
    expect(formatGuardrailPlan(dry).join('\n')).to.include('overrides').and.include('--remove-runas-attribute')
    const plan = await planGuardrails(config, {removeRunAsAttribute: true}, testDeps())
    expect(formatGuardrailPlan(plan).join('\n')).to.include('keeping CostCenter, Team')
    const result = await applyGuardrails(plan, testDeps())
    expect(calls(UpdateInstanceAccessControlAttributeConfigurationCommand)).to.deep.equal([
      {
        InstanceArn: INSTANCE,
        InstanceAccessControlAttributeConfiguration: {AccessControlAttributes: [idc.attributes[0], idc.attributes[2]]},
      },
    ])
    expect(result.runAsAttribute).to.deep.equal({mapped: true, sources: ['${path:userName}'], removed: true})
  })

  it('deletes the attribute configuration when SSMSessionRunAs was its only key; no configuration is not an error', async () => {
    idc.attributes = [{Key: 'SSMSessionRunAs', Value: {Source: ['${path:userName}']}}]
    await applyGuardrails(await planGuardrails(config, {removeRunAsAttribute: true}, testDeps()), testDeps())
    expect(calls(DeleteInstanceAccessControlAttributeConfigurationCommand)).to.deep.equal([{InstanceArn: INSTANCE}])
    expect(calls(UpdateInstanceAccessControlAttributeConfigurationCommand)).to.have.length(0)
    idc.attributes = undefined
    const plan = await planGuardrails(config, {removeRunAsAttribute: true}, testDeps())
    expect(plan.runAsAttribute).to.deep.equal({configured: false, attributes: []})
    expect(plan.removeRunAsAttribute).to.equal(false)
  })

  it('names the real permission sets when a configured one does not exist', async () => {
    const wrong = configSchema.parse({permissionSets: {Developers: {runAsUser: 'dev'}}})
    const error = await planGuardrails(wrong, {}, testDeps()).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(SsmxError)
    expect((error as SsmxError).code).to.equal('config')
    expect((error as SsmxError).message).to.include('"Developers"')
    expect((error as SsmxError).suggestions[0]).to.match(/^Permission sets there: Developer, Ops\+Admin, Set0, Set1, /)
  })

  it('requires --instance-arn when several instances are visible, and checks the one given', async () => {
    const other = 'arn:aws:sso:::instance/ssoins-00000000000000ff'
    sso
      .on(ListInstancesCommand)
      .resolvesOnce({Instances: [{InstanceArn: INSTANCE}], NextToken: 'p2'})
      .resolves({Instances: [{InstanceArn: other}]})
    const error = (await planGuardrails(config, {}, testDeps()).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('usage')
    expect(error.suggestions).to.deep.equal([`--instance-arn ${INSTANCE}`, `--instance-arn ${other}`])
    expect(calls(ListInstancesCommand)).to.deep.equal([{}, {NextToken: 'p2'}])
    sso.on(ListInstancesCommand).resolves({Instances: [{InstanceArn: INSTANCE}, {InstanceArn: other}]})
    const plan = await planGuardrails(config, {instanceArn: INSTANCE}, testDeps())
    expect(plan.instanceArn).to.equal(INSTANCE)
    const missing = (await planGuardrails(config, {instanceArn: 'arn:aws:sso:::instance/ssoins-nope'}, testDeps()).catch((e: unknown) => e)) as SsmxError
    expect(missing.message).to.include('not visible')
  })

  it('says where to run it when no instance is visible, and maps AccessDenied', async () => {
    sso.on(ListInstancesCommand).resolves({Instances: []})
    const none = (await planGuardrails(config, {}, testDeps()).catch((e: unknown) => e)) as SsmxError
    expect(none.code).to.equal('prerequisite')
    expect(none.suggestions.join(' ')).to.include('delegated administrator')
    sso.on(ListInstancesCommand).rejects(Object.assign(new Error('not allowed'), {name: 'AccessDeniedException'}))
    const denied = (await planGuardrails(config, {}, testDeps()).catch((e: unknown) => e)) as SsmxError
    expect(denied.code).to.equal('accessDenied')
    expect(denied.message).to.include('SSO Admin ListInstances')
  })

  it('refuses, before writing anything, a policy that would exceed 32,768 characters', async () => {
    idc.policies.set(
      DEV,
      JSON.stringify({Version: '2012-10-17', Statement: [{...TEAM_STATEMENT, Resource: `arn:aws:s3:::${'b'.repeat(INLINE_POLICY_LIMIT - 200)}`}]}),
    )
    const error = (await planGuardrails(config, {}, testDeps()).catch((e: unknown) => e)) as SsmxError
    expect(error.message).to.include('"Developer"').and.include('32,768')
    expect(calls(PutInlinePolicyToPermissionSetCommand)).to.have.length(0)
  })

  it('guardrailStatus: present and current, outdated, missing, not found, and the ABAC attribute', async () => {
    const withExtra = configSchema.parse({...config, permissionSets: {...config.permissionSets, Auditor: {runAsUser: 'audit'}}})
    await applyGuardrails(await planGuardrails(config, {}, testDeps()), testDeps())
    idc.policies.set(
      OPS,
      JSON.stringify({Version: '2012-10-17', Statement: guardrailStatements({permissionSet: 'Ops+Admin', document: 'SSMX-RunAs-Old', allowDocuments: []})}),
    )
    idc.notLatest.set(OPS, ['444455556666'])
    idc.attributes = [{Key: 'SSMSessionRunAs', Value: {Source: ['${path:userName}']}}]
    sso.resetHistory()
    const status = await guardrailStatus(withExtra, testDeps())
    expect(status).to.deep.equal({
      instanceArn: INSTANCE,
      runAsAttributeInTheWay: true,
      runAsAttributeSources: ['${path:userName}'],
      permissionSets: [
        {permissionSet: 'Auditor', document: 'SSMX-RunAs-Auditor', state: 'not-found', current: false, notProvisionedAccounts: []},
        {permissionSet: 'Developer', document: 'SSMX-RunAs-Developer', state: 'current', current: true, notProvisionedAccounts: []},
        {permissionSet: 'Ops+Admin', document: 'SSMX-RunAs-Ops_Admin', state: 'outdated', current: false, notProvisionedAccounts: ['444455556666']},
      ],
    })
    expect(calls(PutInlinePolicyToPermissionSetCommand)).to.have.length(0)
    expect(calls(ProvisionPermissionSetCommand)).to.have.length(0)
    const lines = formatGuardrailStatus(status)
    expect(lines.join('\n')).to.include('present but outdated (run ssmx admin guardrails); not provisioned to 444455556666')
    expect(lines.at(-1)).to.include('SSMSessionRunAs attribute mapped')
  })

  describe("runGuardrails (the command's policy)", () => {
    it('shows the plan; a dry run or --json without --yes writes nothing; no permission sets is a config error', async () => {
      const shown: string[] = []
      const show = (what: object) => shown.push(Object.keys(what)[0])
      const dry = await runGuardrails(config, {dryRun: true, show, confirm: async () => true}, testDeps())
      expect(dry.dryRun).to.equal(true)
      expect(shown).to.deep.equal(['plan'])
      const json = await runGuardrails(config, {json: true, show, confirm: async () => true}, testDeps()).catch((e: unknown) => e)
      expect(isSsmxError(json) && [json.code, json.message]).to.deep.equal(['usage', 'With --json, pass --yes to apply (or --dry-run).'])
      const declined = await runGuardrails(config, {show, confirm: async () => false}, testDeps()).catch((e: unknown) => e)
      expect(isSsmxError(declined) && declined.code).to.equal('cancelled')
      expect(calls(PutInlinePolicyToPermissionSetCommand)).to.have.length(0)
      const none = await runGuardrails(configSchema.parse({}), {show, confirm: async () => true}, testDeps()).catch((e: unknown) => e)
      expect(isSsmxError(none) && none.code).to.equal('config')
    })

    it('--yes applies and shows the result', async () => {
      const shown: string[] = []
      const result = await runGuardrails(config, {yes: true, show: (what) => shown.push(Object.keys(what)[0]), confirm: async () => false}, testDeps())
      expect(shown).to.deep.equal(['plan', 'result'])
      expect(result.permissionSets.every((p) => p.change === 'put')).to.equal(true)
    })
  })

  describe('in ssmx admin status', () => {
    it('guardrails nobody applied are optional; the ABAC attribute is always a problem', async () => {
      const none = await checkGuardrails(config, testDeps())
      expect(none).to.deep.include({checked: true, runAsAttributeInTheWay: false})
      expect(guardrailProblems(none)).to.deep.equal([])
      expect(formatGuardrailCheck(none!)[1]).to.equal('  not applied (optional defense in depth: ssmx admin guardrails)')
      idc.attributes = [{Key: 'SSMSessionRunAs', Value: {Source: ['${path:userName}']}}]
      expect(guardrailProblems(await checkGuardrails(config, testDeps()))).to.deep.equal([
        'the IAM Identity Center attribute SSMSessionRunAs overrides every RunAs document (ssmx admin guardrails --remove-runas-attribute)',
      ])
    })

    it('once in use, every permission set without a current, provisioned guardrail is a problem', async () => {
      await applyGuardrails(await planGuardrails(configSchema.parse({...config, permissionSets: {Developer: {runAsUser: 'dev'}}}), {}, testDeps()), testDeps())
      idc.notLatest.set(DEV, ['444455556666'])
      const withAuditor = configSchema.parse({...config, permissionSets: {...config.permissionSets, Auditor: {runAsUser: 'audit'}}})
      expect(guardrailProblems(await checkGuardrails(withAuditor, testDeps()))).to.deep.equal([
        'permission set Auditor is not in IAM Identity Center',
        'Developer is not provisioned with its guardrail to 444455556666 (ssmx admin guardrails)',
        'the guardrail of Ops+Admin is missing (ssmx admin guardrails)',
      ])
    })

    it('reports why it could not check instead of failing, and is skipped without permission sets', async () => {
      sso.on(ListInstancesCommand).rejects(Object.assign(new Error('no'), {name: 'AccessDeniedException'}))
      const check = await checkGuardrails(config, testDeps())
      expect(check).to.deep.equal({checked: false, reason: 'Access denied: SSO Admin ListInstances.'})
      expect(guardrailProblems(check)).to.deep.equal([])
      expect(formatGuardrailCheck(check!)).to.deep.equal(['guardrails: not checked (Access denied: SSO Admin ListInstances.)'])
      expect(await checkGuardrails(configSchema.parse({}), testDeps())).to.equal(undefined)
    })

    it('says why under --debug, and does not hide what is not about reachability (throttling, a bug)', async () => {
      sso.on(ListInstancesCommand).rejects(Object.assign(new Error('no'), {name: 'AccessDeniedException'}))
      const debug: string[] = []
      await checkGuardrails(config, testDeps(), {debug: (line) => debug.push(line)})
      expect(debug).to.deep.equal([
        'guardrails not checked: IAM Identity Center is not reachable from here (accessDenied: Access denied: SSO Admin ListInstances.)',
      ])
      sso.on(ListInstancesCommand).rejects(Object.assign(new Error('slow down'), {name: 'ThrottlingException'}))
      const throttled = await checkGuardrails(config, testDeps()).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isSsmxError(throttled) && throttled.code).to.equal('throttled')
      sso.on(ListInstancesCommand).callsFake(() => {
        throw new TypeError('x is not a function')
      })
      const bug = await checkGuardrails(config, testDeps()).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isSsmxError(bug) && bug.code).to.equal('bug')
    })
  })
})
