import {expect} from 'chai'

import {ExitCode} from '../../src/errors.js'
import {AWS_CONFIG, Sandbox} from '../support/cli.js'
import {ssoIdentity} from '../support/aws-fixtures.js'
import {FakeAws, toXml} from '../support/fake-aws.js'

describe('ssmx whoami (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox

  beforeEach(async () => {
    fake = await new FakeAws().start()
    ssoIdentity(fake)
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    box.ssoToken('corp')
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('--json: identity from the SSO profile, document, RunAs user from the configuration, plugin', async () => {
    const config = box.file('.ssmxrc.yaml', 'permissionSets:\n  Developer:\n    runAsUser: dev\n')
    const r = await box.run(['whoami', '--profile', 'dev', '--json'])
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      profile: 'dev',
      region: 'eu-west-1',
      regionSource: 'profile',
      account: '111122223333',
      principalArn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/alice@example.com',
      permissionSet: 'Developer',
      permissionSetSource: 'profile',
      document: 'SSMX-RunAs-Developer',
      documentReason: 'permission-set',
      runAsUser: 'dev',
      configFile: config,
      plugin: {path: `${box.bin}/session-manager-plugin`, version: '1.2.707.0', envHandoff: true},
      mode: 'documents',
    })
    expect(r.stdout + r.stderr).not.to.match(/SECRET/)
  })

  it('an IAM user has no permission set: the account default document and its RunAs user', async () => {
    fake.on('sts', 'GetCallerIdentity', () => toXml({Arn: 'arn:aws:iam::111122223333:user/ci', UserId: 'AIDA', Account: '111122223333'}))
    const r = await box.run(['whoami', '--json', '--region', 'us-east-2'], {env: {AWS_ACCESS_KEY_ID: 'AKIAENVFAKE', AWS_SECRET_ACCESS_KEY: 'ENV-SECRET'}})
    expect(r.code, r.stderr).to.equal(0)
    const out = JSON.parse(r.stdout)
    expect(out).to.include({
      profile: 'default',
      region: 'us-east-2',
      regionSource: '--region',
      permissionSetSource: 'none',
      document: 'SSM-SessionManagerRunShell',
      documentReason: 'default',
      runAsUser: 'ssm-user',
    })
    expect(out).not.to.have.property('permissionSet')
  })

  it("prints a readable table, and the plugin's absence without failing", async () => {
    const r = await box.run(['whoami', '--profile', 'legacy'], {env: {SSMX_PLUGIN_PATH: `${box.home}/missing`}})
    expect(r.code).to.equal(ExitCode.ssoExpired)
    box.ssoToken('https://example.awsapps.com/start')
    const ok = await box.run(['whoami', '--profile', 'legacy'], {env: {SSMX_PLUGIN_PATH: `${box.home}/missing`}})
    expect(ok.code, ok.stderr).to.equal(0)
    expect(ok.stdout).to.match(/^permission set +Ops\+Admin@eu \(from profile\)$/m)
    expect(ok.stdout).to.match(/^document +SSMX-RunAs-Ops_Admin_eu$/m)
    expect(ok.stdout).to.match(/^plugin +not found: /m)
  })

  it('--json errors are JSON on stdout with the exit code', async () => {
    const r = await box.run(['whoami', '--profile', 'nope', '--json'])
    expect(r.code).to.equal(ExitCode.credentials)
    expect(JSON.parse(r.stdout).error).to.include({code: 'credentials', exitCode: ExitCode.credentials})
  })
})
