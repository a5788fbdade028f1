import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {ssoIdentity} from '../support/aws-fixtures.js'
import {AWS_CONFIG, SSO_START_URL, Sandbox} from '../support/cli.js'
import {AwsFault, FakeAws, toXml} from '../support/fake-aws.js'
import {closedPort} from '../support/ports.js'

interface JsonCheck {
  id: string
  title: string
  status: string
  detail: string
  fix: string[]
  code?: string
}

const CONFIG = 'permissionSets:\n  Developer:\n    runAsUser: dev\n'

describe('ssmx doctor (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox

  const doctor = async (args: string[] = [], env: Record<string, string | undefined> = {}) => {
    const r = await box.run(['doctor', '--json', ...args], {env})
    const result = JSON.parse(r.stdout) as {ok: boolean; exitCode: number; profile: string; checks: JsonCheck[]}
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]))
    return {...r, result, byId}
  }

  beforeEach(async () => {
    fake = await new FakeAws().start()
    ssoIdentity(fake)
      .on('ssm', 'DescribeInstanceInformation', () => ({InstanceInformationList: [{InstanceId: 'i-0123456789abcdef0', PingStatus: 'Online'}]}))
      .on('ssm', 'DescribeDocument', (i) => ({Document: {Name: i.Name, DocumentType: 'Session', Status: 'Active'}}))
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    box.file('.config/ssmx/config.yaml', CONFIG)
    box.ssoToken('corp')
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('prints one ✓ line per check for a working SSO profile, exits 0, and never prints the token', async () => {
    const r = await box.run(['doctor', '--profile', 'dev'])
    expect(r.code, r.stderr).to.equal(0)
    const lines = r.stdout.split('\n')
    for (const title of [
      'Node.js',
      'ssmx configuration',
      'session-manager-plugin',
      'AWS config',
      'profile',
      'region',
      'SSO session',
      'credentials',
      'SSM',
      'session document',
    ]) {
      expect(
        lines.some((l) => l.startsWith(`✓ ${title} `)),
        `${title} in\n${r.stdout}`,
      ).to.equal(true)
    }
    expect(r.stdout).to.match(/✓ session-manager-plugin +1\.2\.707\.0 \(/)
    expect(r.stdout).to.match(/✓ region +eu-west-1 \(from profile\)/)
    expect(r.stdout).to.match(/✓ SSO session +sso-session corp: valid for (59m|1h 0m) \(until /)
    expect(r.stdout).to.include('SSMX-RunAs-Developer (permission set Developer) exists in eu-west-1; sessions run as dev')
    expect(r.stdout).to.match(/^i SSMSessionRunAs tag .*attributes for access control/m)
    expect(r.stdout).to.include('→ Admins can check the attribute mapping with: ssmx admin status')
    expect(r.stdout).to.include('Nothing blocks ssmx connect for profile dev.')
    expect(r.stdout + r.stderr).not.to.match(/SECRET/)
    expect(fake.calls('ssm', 'DescribeInstanceInformation')[0].input).to.deep.equal({MaxResults: 5})
    expect(fake.calls('ssm', 'DescribeDocument')[0].input).to.deep.equal({Name: 'SSMX-RunAs-Developer'})
    expect(fake.calls('sts', 'GetCallerIdentity')).to.have.length(1)
  })

  it('--json gives the checks as data, in order, with the exit code', async () => {
    const {code, result} = await doctor(['--profile', 'dev'])
    expect(code).to.equal(0)
    expect(result.ok).to.equal(true)
    expect(result.exitCode).to.equal(0)
    expect(result.profile).to.equal('dev')
    expect(result.checks.map((c) => c.id)).to.deep.equal([
      'node',
      'config',
      'plugin',
      'awsConfig',
      'profile',
      'region',
      'ssoToken',
      'credentials',
      'ssm',
      'mode',
      'document',
      'runAs',
    ])
    for (const c of result.checks) {
      expect(c).to.have.keys(c.code ? ['id', 'title', 'status', 'detail', 'fix', 'code'] : ['id', 'title', 'status', 'detail', 'fix'])
      expect(['ok', 'warn', 'fail', 'skip', 'info']).to.include(c.status)
      expect(c.fix).to.be.an('array')
    }
  })

  it('plugin missing: ! the built-in client will be used, with the install steps, exit 0', async () => {
    rmSync(join(box.bin, 'session-manager-plugin'))
    const r = await box.run(['doctor', '--profile', 'dev'])
    expect(r.code, r.stdout).to.equal(0)
    expect(r.stdout).to.match(/^! session-manager-plugin +not installed: connect, forward and ssh-proxy use the built-in session client instead\.$/m)
    expect(r.stdout).to.match(/→ To use the plugin instead, install it\. Debian\/Ubuntu: curl -fsSLo/)
    expect(r.stdout).to.include('Nothing blocks ssmx connect for profile dev (1 warning).')
    const {result} = await doctor(['--profile', 'dev'])
    expect(result.exitCode).to.equal(0)
    expect(result.checks.find((c) => c.id === 'plugin'))
      .to.include({status: 'warn'})
      .and.not.have.property('code')
  })

  it('plugin installed but broken: ✗, exit code 9', async () => {
    const r = await box.run(['doctor', '--profile', 'dev'], {env: {FAKE_PLUGIN_VERSION: 'garbage'}})
    expect(r.code, r.stdout).to.equal(9)
    expect(r.stdout).to.match(/^✗ session-manager-plugin +\S+session-manager-plugin reported an unexpected version "garbage"\./m)
    expect(r.stdout).to.include('→ Reinstall session-manager-plugin.')
  })

  it('native: true in the configuration: the plugin check is only information, missing or broken', async () => {
    box.file('.config/ssmx/config.yaml', `${CONFIG}native: true\n`)
    let {code, byId} = await doctor(['--profile', 'dev'], {FAKE_PLUGIN_VERSION: 'garbage'})
    expect(code).to.equal(0)
    expect(byId.plugin.status).to.equal('info')
    expect(byId.plugin.detail).to.match(/reported an unexpected version "garbage"; not used: the configuration sets native: true/)
    ;({code, byId} = await doctor(['--profile', 'dev']))
    expect(code).to.equal(0)
    expect(byId.plugin).to.include({status: 'info'})
    expect(byId.plugin.detail).to.match(/^1\.2\.707\.0 \(\S+\), not used: the configuration sets native: true/)
    rmSync(join(box.bin, 'session-manager-plugin'))
    ;({code, byId} = await doctor(['--profile', 'dev']))
    expect(code).to.equal(0)
    expect(byId.plugin.detail).to.match(/^session-manager-plugin is not installed .*; not used: /)
  })

  it('plugin too old for the environment hand-off: ! with the update step, exit 0', async () => {
    const r = await box.run(['doctor', '--profile', 'dev'], {env: {FAKE_PLUGIN_VERSION: '1.2.463.0'}})
    expect(r.code, r.stdout).to.equal(0)
    expect(r.stdout).to.match(/^! session-manager-plugin +1\.2\.463\.0 .* is not newer than 1\.2\.497\.0: .*command line/m)
    expect(r.stdout).to.match(/→ Update it\. Debian\/Ubuntu:/)
    expect(r.stdout).to.include('(1 warning)')
  })

  it('invalid ssmx configuration: ✗ naming the file and key, the document check skipped, exit 3', async () => {
    const path = box.file('.config/ssmx/config.yaml', 'bogus: 1\n')
    const {code, byId, stdout} = await doctor(['--profile', 'dev'])
    expect(code).to.equal(3)
    expect(byId.config.status).to.equal('fail')
    expect(byId.config.detail).to.include(path).and.to.include('unknown key "bogus"')
    expect(byId.config.fix).to.deep.equal(['Fix the keys above; the README lists every configuration key.'])
    expect(byId.document).to.include({status: 'skip', detail: 'skipped: needs ssmx configuration'})
    expect(byId.credentials.status, stdout).to.equal('ok')
  })

  it('malformed ~/.aws/config: ✗ with the line, everything AWS skipped, exit 3', async () => {
    box.awsConfig(`${AWS_CONFIG}\nthis line is broken\n`)
    const {code, byId} = await doctor(['--profile', 'dev'])
    expect(code).to.equal(3)
    expect(byId.awsConfig.status).to.equal('fail')
    expect(byId.awsConfig.detail).to.match(/line \d+ is not valid: "this line is broken"/)
    for (const id of ['profile', 'region', 'ssoToken', 'credentials', 'ssm', 'document', 'runAs']) expect(byId[id].status, id).to.equal('skip')
    expect(byId.profile.detail).to.equal('skipped: needs AWS config')
    expect(byId.credentials.detail).to.equal('skipped: needs AWS config')
  })

  it('unknown profile: ✗ listing the known profiles, exit 4', async () => {
    const {code, byId} = await doctor(['--profile', 'nope'])
    expect(code).to.equal(4)
    expect(byId.profile).to.include({status: 'fail', code: 'credentials'})
    expect(byId.profile.detail).to.match(/The profile "nope" is not in .*\.aws\/config/)
    expect(byId.profile.fix).to.deep.equal(['Known profiles: default, dev, legacy, static', 'Create it with: aws configure sso --profile nope'])
    expect(byId.region.detail).to.equal('skipped: needs profile')
    expect(fake.requests).to.have.length(0)
  })

  it('no region: ✗ with where to set it', async () => {
    box.awsConfig(`${AWS_CONFIG}\n[profile noregion]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Developer\n`)
    const {code, byId} = await doctor(['--profile', 'noregion'], {AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined})
    expect(code).to.equal(2)
    expect(byId.profile.status).to.equal('ok')
    expect(byId.region).to.include({status: 'fail', detail: 'No AWS region is set.'})
    expect(byId.region.fix[0]).to.include('Pass --region, set AWS_REGION')
    expect(byId.ssoToken.status).to.equal('ok')
    expect(byId.credentials.detail).to.equal('skipped: needs region')
  })

  it('expired legacy SSO token: ✗ with the expiry and `ssmx login`, credentials skipped, exit 5', async () => {
    box.ssoToken(SSO_START_URL, {expiresAt: new Date(Date.now() - 2 * 3600_000)})
    const r = await box.run(['doctor', '--profile', 'legacy'])
    expect(r.code).to.equal(5)
    expect(r.stdout).to.match(/^✗ SSO session +start URL https:\/\/example\.awsapps\.com\/start: expired 2h 0m ago \(at /m)
    expect(r.stdout).to.include('→ Run: ssmx login --profile legacy')
    expect(r.stdout).to.match(/^– credentials +skipped: needs SSO session/m)
    expect(fake.calls('awsssoportal')).to.have.length(0)
  })

  it('no cached SSO token: ✗ naming the cache file', async () => {
    const {code, byId} = await doctor(['--profile', 'legacy'])
    expect(code).to.equal(5)
    expect(byId.ssoToken.detail).to.match(/^no SSO token cached for start URL .* \(.*\.aws\/sso\/cache\/[0-9a-f]{40}\.json\)\.$/)
    expect(byId.ssoToken.fix).to.deep.equal(['Run: ssmx login --profile legacy'])
  })

  it('expired sso-session token whose refresh fails: ! for the token, ✗ credentials with `ssmx login`, exit 5', async () => {
    box.ssoToken('corp', {expiresAt: new Date(Date.now() - 600_000)})
    fake.on('sso-oauth', 'CreateToken', () => {
      throw new AwsFault('InvalidGrantException', 'refresh token expired')
    })
    const {code, byId} = await doctor(['--profile', 'dev'])
    expect(code).to.equal(5)
    expect(byId.ssoToken.status).to.equal('warn')
    expect(byId.ssoToken.detail).to.include('expired 10m ago; the SDK will try its refresh token')
    expect(byId.credentials).to.include({status: 'fail', code: 'ssoExpired'})
    expect(byId.credentials.fix[0]).to.include('ssmx login --profile dev')
    expect(byId.ssm.detail).to.equal('skipped: needs credentials')
    expect(fake.calls('sso-oauth', 'CreateToken')[0].input).to.include({grantType: 'refresh_token'})
  })

  it('STS rejecting the credentials: ✗ credentials with the fix, later checks skipped', async () => {
    fake.on('sts', 'GetCallerIdentity', () => {
      throw new AwsFault('InvalidClientTokenId', 'The security token included in the request is invalid.', 403)
    })
    const {code, byId} = await doctor(['--profile', 'dev'])
    expect(code).to.equal(5)
    expect(byId.credentials.detail).to.equal('AWS rejected the credentials of profile "dev" (InvalidClientTokenId).')
    expect(byId.credentials.fix).to.deep.equal(['Refresh them: aws sso login --profile dev'])
    for (const id of ['ssm', 'document', 'runAs']) expect(byId[id].detail, id).to.equal('skipped: needs credentials')
  })

  it('SSM unreachable: ✗ naming the endpoint, with the network fix, exit 11', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`
    const {code, byId} = await doctor(['--profile', 'dev'], {AWS_ENDPOINT_URL_SSM: endpoint})
    expect(code).to.equal(11)
    expect(byId.ssm.status).to.equal('fail')
    expect(byId.ssm.detail).to.include(`${endpoint}: Cannot reach AWS for SSM DescribeInstanceInformation`).and.to.include('ECONNREFUSED')
    expect(byId.ssm.fix[0]).to.include('Check your network')
    expect(byId.document.detail).to.equal('skipped: needs SSM')
  })

  it('document missing: ! with the fallback when not strict, ✗ exit 10 when strict', async () => {
    fake.on('ssm', 'DescribeDocument', () => {
      throw new AwsFault('InvalidDocument', 'Document with name SSMX-RunAs-Developer does not exist.')
    })
    const lax = await doctor(['--profile', 'dev'])
    expect(lax.code).to.equal(0)
    expect(lax.byId.document.status).to.equal('warn')
    expect(lax.byId.document.detail).to.equal(
      "SSMX-RunAs-Developer does not exist in eu-west-1: connect falls back to SSM-SessionManagerRunShell (the account's default RunAs user).",
    )
    expect(lax.byId.document.fix[0]).to.include('ssmx admin enforce')
    box.file('.config/ssmx/config.yaml', `${CONFIG}strict: true\n`)
    const strict = await doctor(['--profile', 'dev'])
    expect(strict.code).to.equal(10)
    expect(strict.byId.document).to.include({status: 'fail', code: 'document'})
    expect(strict.byId.document.fix[0]).to.include('ssmx admin enforce')
  })

  it('IAM user: reads the SSMSessionRunAs tag with ListUserTags', async () => {
    fake
      .on('sts', 'GetCallerIdentity', () => toXml({Arn: 'arn:aws:iam::111122223333:user/alice', UserId: 'AIDAFAKE', Account: '111122223333'}))
      .on('iam', 'ListUserTags', () =>
        toXml(
          {
            Tags: [
              {Key: 'team', Value: 'ops'},
              {Key: 'SSMSessionRunAs', Value: 'bob'},
            ],
            IsTruncated: false,
          },
          'member',
        ),
      )
    const {code, byId} = await doctor([], {AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'SECRET-KEY'})
    expect(code).to.equal(0)
    expect(byId.profile.detail).to.equal('default: credentials from AWS_ACCESS_KEY_ID in the environment')
    expect(byId.ssoToken.status).to.equal('info')
    expect(byId.document.status).to.equal('info')
    expect(byId.runAs).to.include({
      status: 'info',
      detail: 'IAM user alice has SSMSessionRunAs=bob: Session Manager runs your sessions as bob, whatever the document says.',
    })
    expect(fake.calls('iam', 'ListUserTags')[0].input).to.include({UserName: 'alice'})
  })
})
