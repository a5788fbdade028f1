import {createHash} from 'node:crypto'
import {chmodSync, existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {expect} from 'chai'

import {INSTANCE, SESSION, ssoIdentity} from '../support/aws-fixtures.js'
import {AWS_CONFIG, SSO_START_URL, Sandbox} from '../support/cli.js'
import {FakeAws} from '../support/fake-aws.js'
import {DEVICE, deviceFlow, recordingBrowser} from '../support/sso-oidc.js'

const cacheFile = (box: Sandbox, key: string) => join(box.home, '.aws', 'sso', 'cache', `${createHash('sha1').update(key).digest('hex')}.json`)

describe('ssmx login (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox
  let browser: {command: string; log: string}
  /** no AWS CLI on this PATH: only the sandbox's bin and node */
  let env: Record<string, string>

  beforeEach(async () => {
    fake = await new FakeAws().start()
    ssoIdentity(fake)
    fake.on('ssm', 'StartSession', () => SESSION).on('ssm', 'TerminateSession', (i) => ({SessionId: i.SessionId}))
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    browser = recordingBrowser(box.home)
    env = {PATH: `${box.bin}:${dirname(process.execPath)}`, BROWSER: browser.command}
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('sso-session profile: device authorization against SSO OIDC, then the SDK uses the new token', async () => {
    box.ssoToken('corp', {expiresAt: new Date(Date.now() - 3600_000), accessToken: 'OLD-TOKEN'})
    deviceFlow(fake, {interval: 0, pending: ['AuthorizationPendingException']})
    const r = await box.run(['login', '--profile', 'dev', '--no-aws-cli'], {env})
    expect(r.code, r.stderr).to.equal(0)

    expect(fake.calls('sso-oauth', 'RegisterClient')[0].input).to.deep.equal({clientName: 'ssmx-corp', clientType: 'public', scopes: ['sso:account:access']})
    expect(fake.calls('sso-oauth', 'StartDeviceAuthorization')[0].input).to.deep.equal({
      clientId: DEVICE.clientId,
      clientSecret: DEVICE.clientSecret,
      startUrl: SSO_START_URL,
    })
    const polls = fake.calls('sso-oauth', 'CreateToken')
    expect(polls).to.have.length(2)
    for (const p of polls) {
      expect(p.input).to.deep.equal({
        clientId: DEVICE.clientId,
        clientSecret: DEVICE.clientSecret,
        grantType: 'urn:ietf:params:oauth:grant-type:device_code',
        deviceCode: DEVICE.deviceCode,
      })
    }

    expect(readFileSync(browser.log, 'utf8')).to.equal(`${DEVICE.verificationUriComplete}\n`)
    expect(r.stderr).to.include(DEVICE.verificationUriComplete).and.to.include(`code: ${DEVICE.userCode}`)
    expect(r.stdout).to.match(/^✓ Logged in: sso-session corp for profile dev, valid for (7h 59m|8h 0m) \(until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\.$/m)
    expect(r.stdout + r.stderr).not.to.match(/SECRET/)

    const path = cacheFile(box, 'corp')
    expect(statSync(path).mode & 0o777).to.equal(0o600)
    expect(statSync(dirname(path)).mode & 0o777).to.equal(0o700)
    const cached = JSON.parse(readFileSync(path, 'utf8'))
    expect(cached).to.have.keys(['startUrl', 'region', 'accessToken', 'expiresAt', 'clientId', 'clientSecret', 'registrationExpiresAt', 'refreshToken'])
    expect(cached).to.include({
      startUrl: SSO_START_URL,
      region: 'us-east-1',
      accessToken: DEVICE.accessToken,
      clientId: DEVICE.clientId,
      clientSecret: DEVICE.clientSecret,
      refreshToken: DEVICE.refreshToken,
      registrationExpiresAt: '2030-01-01T00:00:00Z',
    })
    expect(Date.parse(cached.expiresAt) - Date.now()).to.be.within(7 * 3600_000, 8 * 3600_000)
    expect(cached.expiresAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)

    const connect = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env})
    expect(connect.code, connect.stderr).to.equal(0)
    const [creds] = fake.calls('awsssoportal', 'GetRoleCredentials')
    expect(creds.headers['x-amz-sso_bearer_token']).to.equal(DEVICE.accessToken)
    expect(creds.input).to.include({account_id: '111122223333', role_name: 'Developer'})
    expect(fake.calls('ssm', 'StartSession')).to.have.length(1)
  })

  it('legacy profile (--debug): registers without scopes, logs no secret, and caches only startUrl, region, accessToken, expiresAt under sha1(start URL)', async () => {
    deviceFlow(fake, {interval: 0})
    const r = await box.run(['login', '--profile', 'legacy', '--no-aws-cli', '--no-browser', '--debug'], {env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.include('→ SSO_OIDC.CreateToken')
    expect(r.stdout + r.stderr).not.to.match(/SECRET/)
    expect(fake.calls('sso-oauth', 'RegisterClient')[0].input).to.deep.equal({clientName: 'ssmx', clientType: 'public'})
    expect(existsSync(browser.log)).to.equal(false)
    expect(r.stderr).to.include('Open this page in a browser to sign in:').and.to.include(DEVICE.verificationUriComplete)
    const path = cacheFile(box, SSO_START_URL)
    expect(statSync(path).mode & 0o777).to.equal(0o600)
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.have.keys(['startUrl', 'region', 'accessToken', 'expiresAt'])
    const connect = await box.run(['connect', INSTANCE, '--profile', 'legacy'], {env})
    expect(connect.code, connect.stderr).to.equal(0)
    expect(fake.calls('awsssoportal', 'GetRoleCredentials')[0].headers['x-amz-sso_bearer_token']).to.equal(DEVICE.accessToken)
  })

  it('honours the SSO OIDC endpoint override AWS_ENDPOINT_URL_SSO_OIDC', async () => {
    const oidc = await new FakeAws().start()
    try {
      deviceFlow(oidc, {interval: 0})
      const r = await box.run(['login', '--profile', 'dev', '--no-aws-cli'], {env: {...env, AWS_ENDPOINT_URL_SSO_OIDC: oidc.url}})
      expect(r.code, r.stderr).to.equal(0)
      expect(oidc.calls('sso-oauth')).to.have.length(3)
      expect(fake.calls('sso-oauth')).to.have.length(0)
    } finally {
      await oidc.stop()
    }
  })

  it('runs `aws sso login --profile P` with the terminal when the AWS CLI is on PATH', async () => {
    const argsLog = join(box.home, 'aws-args')
    writeFileSync(
      join(box.bin, 'aws'),
      `#!/bin/sh\nif [ "$1" = --version ]; then echo 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.ubuntu.24'; exit 0; fi\nprintf '%s\\n' "$@" > "${argsLog}"\nexit \${FAKE_AWS_EXIT:-0}\n`,
    )
    chmodSync(join(box.bin, 'aws'), 0o755)
    box.ssoToken('corp')
    const r = await box.run(['login', '--profile', 'dev'], {env})
    expect(r.code, r.stderr).to.equal(0)
    expect(readFileSync(argsLog, 'utf8')).to.equal('sso\nlogin\n--profile\ndev\n')
    expect(r.stderr).to.include('Running: aws sso login --profile dev')
    expect(r.stdout).to.match(/✓ Logged in: sso-session corp for profile dev, valid for/)
    expect(fake.calls('sso-oauth')).to.have.length(0)

    const failed = await box.run(['login', '--profile', 'dev'], {env: {...env, FAKE_AWS_EXIT: '3'}})
    expect(failed.code).to.equal(5)
    expect(failed.stderr).to.include('aws sso login --profile dev failed (exit code 3).').and.to.include('ssmx login --profile dev --no-aws-cli')
  })

  /** An `aws` on PATH that logs every call; `version` is what it prints for --version (on stderr, as v1 on Python 2/3.4 did). */
  const fakeAwsCli = (version: string) => {
    const calls = join(box.home, 'aws-calls')
    // AWS CLI v1's answer to `aws sso login`: its usage dump, exit 252
    writeFileSync(
      join(box.bin, 'aws'),
      `#!/bin/sh
echo "$*" >> "${calls}"
if [ "$1" = --version ]; then echo '${version}' >&2; exit 0; fi
echo 'usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]' >&2
echo 'aws: error: argument operation: Invalid choice, valid choices are:' >&2
exit 252
`,
    )
    chmodSync(join(box.bin, 'aws'), 0o755)
    return () => readFileSync(calls, 'utf8').trim().split('\n')
  }

  for (const [what, version, said] of [
    ['AWS CLI v1', 'aws-cli/1.22.34 Python/3.10.12 Linux/5.15.0 botocore/1.23.34', 'is AWS CLI 1.22.34, which has no "aws sso login"'],
    ['an `aws` that is not the AWS CLI', 'aws: some other tool 0.1', 'is not an AWS CLI ssmx recognizes (aws --version: aws: some other tool 0.1)'],
  ] as const) {
    it(`with ${what} on PATH: the built-in sign-in, never v1's missing "aws sso login"`, async () => {
      const calls = fakeAwsCli(version)
      box.ssoToken('corp', {expiresAt: new Date(Date.now() - 3600_000), accessToken: 'OLD-TOKEN'})
      deviceFlow(fake, {interval: 0})
      const r = await box.run(['login', '--profile', 'dev'], {env})
      expect(r.code, r.stderr).to.equal(0)
      expect(calls()).to.deep.equal(['--version'])
      expect(r.stderr)
        .to.include(`${join(box.bin, 'aws')} ${said}`)
        .and.include("signing in with ssmx's built-in sign-in")
      expect(r.stderr).not.to.include('usage: aws')
      expect(fake.calls('sso-oauth', 'CreateToken')).to.have.length(1)
      expect(r.stdout).to.match(/✓ Logged in: sso-session corp for profile dev, valid for/)
      expect(JSON.parse(readFileSync(cacheFile(box, 'corp'), 'utf8')).accessToken).to.equal(DEVICE.accessToken)
    })
  }

  it('refuses a profile that is not an IAM Identity Center profile', async () => {
    const r = await box.run(['login', '--profile', 'static', '--no-aws-cli'], {env})
    expect(r.code).to.equal(4)
    expect(r.stderr).to.include('Profile "static" is not an IAM Identity Center (SSO) profile')
    expect(fake.requests).to.have.length(0)
  })

  it('without a terminal, connect with an expired session fails with the login hint and never prompts', async () => {
    box.ssoToken('corp', {expiresAt: new Date(Date.now() - 3600_000)})
    deviceFlow(fake)
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env})
    expect(r.code).to.equal(5)
    expect(r.stderr).to.include('ssmx login --profile dev').and.not.to.include('Log in now?')
    expect(fake.calls('sso-oauth', 'RegisterClient')).to.have.length(0)
    expect(fake.calls('ssm', 'StartSession')).to.have.length(0)
  })
})
