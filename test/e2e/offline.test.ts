import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'

import {ExitCode} from '../../src/errors.js'
import {ssoIdentity} from '../support/aws-fixtures.js'
import {AWS_CONFIG, ROOT, Sandbox} from '../support/cli.js'
import {AwsFault, FakeAws} from '../support/fake-aws.js'

const OFFLINE = pathToFileURL(join(ROOT, 'dist', 'test', 'support', 'offline-dns.js')).href
const PORTAL = 'portal.sso.us-east-1.amazonaws.com'

/**
 * Offline, or the VPN down, with a valid cached sign-in: the built CLI against AWS's real host names (no endpoint
 * override), which do not resolve. A preload answers every DNS lookup with ENOTFOUND / EAI_AGAIN, as getaddrinfo does
 * without a network; no query leaves the machine. The answer must be "cannot reach IAM Identity Center", exit 11,
 * never "SSO session missing or expired" (exit 5) with advice to log in again.
 */
describe('ssmx offline: names that do not resolve (built CLI, DNS answered locally)', function () {
  this.timeout(90_000)
  let box: Sandbox
  let dnsLog: string

  beforeEach(() => {
    box = new Sandbox('unused').awsConfig(
      `${AWS_CONFIG}aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`,
    )
    box.ssoToken('corp')
    dnsLog = join(box.home, 'dns.log')
  })
  afterEach(() => box.cleanup())

  const offline = (args: string[], code = 'ENOTFOUND') =>
    box.run(args, {env: {AWS_ENDPOINT_URL: undefined, NODE_OPTIONS: `--import ${OFFLINE}`, OFFLINE_DNS_CODE: code, OFFLINE_DNS_LOG: dnsLog}, timeoutMs: 60_000})
  const looked = () => (existsSync(dnsLog) ? [...new Set(readFileSync(dnsLog, 'utf8').trim().split('\n'))] : [])

  const expectUnreachable = (r: {code: number; stdout: string; stderr: string}, code: string) => {
    const out = r.stdout + r.stderr
    expect(r.code, out).to.equal(ExitCode.unreachable)
    expect(out).to.include(`Cannot reach IAM Identity Center (${PORTAL}) for profile "dev": getaddrinfo ${code} ${PORTAL}`)
    expect(out).to.include('Check your network, VPN and proxy')
    expect(out).not.to.match(/missing or expired|ssmx login|aws sso login/)
  }

  for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
    for (const args of [['whoami'], ['connect', 'i-0123456789abcdef0'], ['admin', 'status']]) {
      it(`${code}: ssmx ${args.join(' ')} says IAM Identity Center cannot be reached, exit 11`, async () => {
        const r = await offline([...args, '--profile', 'dev'], code)
        expectUnreachable(r, code)
        // the real portal name was asked for (IAM Identity Center's region, sso_region), and nothing else
        expect(looked()).to.deep.equal([PORTAL])
      })
    }
  }

  it('ssmx doctor: the SSO session is valid and IAM Identity Center cannot be reached, exit 11', async () => {
    const r = await offline(['doctor', '--profile', 'dev'])
    expectUnreachable(r, 'ENOTFOUND')
    expect(r.stdout).to.match(/✓ SSO session +sso-session corp: valid for/)
    expect(r.stdout).to.match(/✗ credentials +Cannot reach IAM Identity Center/)
    const json = await offline(['doctor', '--profile', 'dev', '--json'])
    const credentials = JSON.parse(json.stdout).checks.find((c: {id: string}) => c.id === 'credentials')
    expect(credentials).to.deep.include({status: 'fail', code: 'unreachable'})
    expect(json.code).to.equal(11)
  })

  it('ssmx admin status --json: the error is "unreachable", not "throttled"', async () => {
    const r = await offline(['admin', 'status', '--profile', 'dev', '--json'])
    expect(r.code).to.equal(11)
    expect(JSON.parse(r.stdout).error).to.deep.include({code: 'unreachable', exitCode: 11})
  })

  it('static keys: the same exit code, naming the service it could not reach', async () => {
    const r = await offline(['whoami', '--profile', 'static'])
    expect(r.code, r.stderr).to.equal(11)
    expect(r.stderr).to.include('Cannot reach AWS for STS GetCallerIdentity: getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com')
    const json = await offline(['admin', 'status', '--profile', 'static', '--json'])
    expect(JSON.parse(json.stdout).error).to.deep.include({code: 'unreachable', exitCode: 11})
    expect(JSON.parse(json.stdout).error.message).to.match(
      /^Cannot reach AWS for CloudFormation \w+: getaddrinfo ENOTFOUND cloudformation.eu-west-1.amazonaws.com/,
    )
  })
})

describe('ssmx with a sign-in IAM Identity Center rejects (built CLI, fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox
  beforeEach(async () => {
    fake = await new FakeAws().start()
    ssoIdentity(fake).on('awsssoportal', 'GetRoleCredentials', () => {
      throw new AwsFault('UnauthorizedException', 'Session token not found or invalid', 401)
    })
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    box.ssoToken('corp')
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('a 401 from the portal is the only "missing or expired" (exit 5), with the advice to log in', async () => {
    const r = await box.run(['whoami', '--profile', 'dev'])
    expect(r.code, r.stderr).to.equal(ExitCode.ssoExpired)
    expect(r.stderr).to.include('The SSO session for profile "dev" is missing or expired.').and.include('ssmx login --profile dev')
    expect(fake.calls('awsssoportal', 'GetRoleCredentials')).to.have.length(1)
  })
})
