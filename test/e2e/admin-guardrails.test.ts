import {expect} from 'chai'
import {spawn as ptySpawn} from 'node-pty'

import {AwsFault, FakeAws} from '../support/fake-aws.js'
import {BIN, Sandbox} from '../support/cli.js'

const INSTANCE = 'arn:aws:sso:::instance/ssoins-1234567890abcdef'
const DEV = 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1111111111111111'
const ADMIN = 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-2222222222222222'
const TEAM = {Version: '2012-10-17', Statement: [{Sid: 'TeamLogs', Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: '*'}]}
const CONFIG = 'permissionSets:\n  Developer:\n    runAsUser: dev\n'

/** IAM Identity Center (signing name "sso") on the fake AWS. */
function fakeIdc(fake: FakeAws): Map<string, string> {
  const policies = new Map([[DEV, JSON.stringify(TEAM)]])
  fake
    .on('sso', 'ListInstances', () => ({Instances: [{InstanceArn: INSTANCE}]}))
    .on('sso', 'ListPermissionSets', () => ({PermissionSets: [DEV, ADMIN]}))
    .on('sso', 'DescribePermissionSet', (i) => ({
      PermissionSet: {PermissionSetArn: i.PermissionSetArn, Name: i.PermissionSetArn === DEV ? 'Developer' : 'AdministratorAccess'},
    }))
    .on('sso', 'DescribeInstanceAccessControlAttributeConfiguration', () => {
      throw new AwsFault('ResourceNotFoundException', 'no ABAC configuration')
    })
    .on('sso', 'GetInlinePolicyForPermissionSet', (i) => ({InlinePolicy: policies.get(String(i.PermissionSetArn)) ?? ''}))
    .on('sso', 'PutInlinePolicyToPermissionSet', (i) => {
      policies.set(String(i.PermissionSetArn), String(i.InlinePolicy))
      return {}
    })
    .on('sso', 'ProvisionPermissionSet', (i) => ({
      PermissionSetProvisioningStatus: {Status: 'IN_PROGRESS', RequestId: 'req-1', PermissionSetArn: i.PermissionSetArn},
    }))
    .on('sso', 'DescribePermissionSetProvisioningStatus', () => ({PermissionSetProvisioningStatus: {Status: 'SUCCEEDED', RequestId: 'req-1'}}))
    .on('sso', 'ListAccountsForProvisionedPermissionSet', () => ({AccountIds: []}))
  return policies
}

describe('ssmx admin guardrails (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox
  let policies: Map<string, string>
  let env: Record<string, string>

  beforeEach(async () => {
    fake = await new FakeAws().start()
    policies = fakeIdc(fake)
    box = new Sandbox(fake.url).awsConfig('[default]\nregion = eu-west-1\n')
    env = {AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', SSMX_CONFIG: box.file('ssmx.yaml', CONFIG)}
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('--dry-run prints the diff per permission set and writes nothing', async () => {
    const r = await box.run(['admin', 'guardrails', '--dry-run'], {env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Developer: add the guardrail (pinned to SSMX-RunAs-Developer)')
    expect(r.stdout).to.include('+      "Sid": "SsmxGuardrailDenyOtherDocuments",')
    expect(fake.calls('sso', 'PutInlinePolicyToPermissionSet')).to.have.length(0)
    expect(fake.calls('sso', 'ProvisionPermissionSet')).to.have.length(0)
  })

  it('refuses to apply without a terminal and names --yes', async () => {
    const r = await box.run(['admin', 'guardrails'], {env})
    expect(r.code).to.equal(2)
    expect(r.stderr).to.include('no terminal').and.include('--yes')
    expect(fake.calls('sso', 'PutInlinePolicyToPermissionSet')).to.have.length(0)
  })

  it('--yes --json writes, provisions, and a second run changes nothing', async () => {
    const r = await box.run(['admin', 'guardrails', '--yes', '--json'], {env})
    expect(r.code, r.stderr).to.equal(0)
    const result = JSON.parse(r.stdout)
    expect(result.permissionSets).to.have.length(1)
    expect(result.permissionSets[0]).to.deep.include({name: 'Developer', change: 'put', provisioning: {status: 'SUCCEEDED', requestId: 'req-1'}})
    expect(fake.calls('sso', 'PutInlinePolicyToPermissionSet').map((c) => c.input.PermissionSetArn)).to.deep.equal([DEV])
    expect(JSON.parse(policies.get(DEV)!).Statement[0]).to.deep.equal(TEAM.Statement[0])
    expect(fake.calls('sso', 'ProvisionPermissionSet')[0].input).to.deep.equal({
      InstanceArn: INSTANCE,
      PermissionSetArn: DEV,
      TargetType: 'ALL_PROVISIONED_ACCOUNTS',
    })
    expect(r.stderr).to.include('Developer: inline policy written')

    const again = await box.run(['admin', 'guardrails', '--yes'], {env})
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.include('Nothing to change.')
    expect(fake.calls('sso', 'PutInlinePolicyToPermissionSet')).to.have.length(1)
    expect(fake.calls('sso', 'ProvisionPermissionSet')).to.have.length(1)
  })

  it('exits 12 when provisioning fails, naming the accounts and the reason (text and --json)', async () => {
    fake
      .on('sso', 'DescribePermissionSetProvisioningStatus', () => ({
        PermissionSetProvisioningStatus: {Status: 'FAILED', RequestId: 'req-1', FailureReason: 'Role could not be updated'},
      }))
      .on('sso', 'ListAccountsForProvisionedPermissionSet', (i) => ({
        AccountIds: i.ProvisioningStatus === 'LATEST_PERMISSION_SET_NOT_PROVISIONED' ? ['444455556666'] : [],
      }))
    const json = await box.run(['admin', 'guardrails', '--yes', '--json'], {env})
    expect(json.code, json.stderr).to.equal(12)
    expect(JSON.parse(json.stdout).permissionSets[0].provisioning).to.deep.equal({
      status: 'FAILED',
      requestId: 'req-1',
      failureReason: 'Role could not be updated',
      failedAccounts: ['444455556666'],
    })
    const text = await box.run(['admin', 'guardrails', '--yes'], {env})
    expect(text.code).to.equal(12)
    expect(text.stdout).to.include('re-provision: 1 account(s) do not have the latest version (444455556666)')
    expect(text.stdout).to.include('Developer: unchanged; provisioning FAILED in 444455556666: Role could not be updated')
    expect(text.stderr).to.include('Provisioning did not succeed for Developer')
  })

  it('asks in a terminal and applies after "y"', async () => {
    const term = ptySpawn(process.execPath, [BIN, 'admin', 'guardrails'], {cols: 120, rows: 40, cwd: box.home, env: {...box.env, ...env}})
    let output = ''
    term.onData((d) => (output += d))
    const exited = new Promise<number>((resolve) => term.onExit(({exitCode}) => resolve(exitCode)))
    const deadline = Date.now() + 15_000
    while (!output.includes('[y/N]')) {
      if (Date.now() > deadline) throw new Error(`no prompt; output so far:\n${output}`)
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(fake.calls('sso', 'PutInlinePolicyToPermissionSet')).to.have.length(0)
    term.write('y\r')
    expect(await exited, output).to.equal(0)
    expect(fake.calls('sso', 'PutInlinePolicyToPermissionSet')).to.have.length(1)
    expect(output).to.include('Developer: pinned to SSMX-RunAs-Developer, provisioned to its accounts')
  })
})
