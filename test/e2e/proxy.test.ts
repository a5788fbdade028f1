import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {type AddressInfo, createServer} from 'node:net'

import {expect} from 'chai'

import {FakeAgent} from '../support/fake-agent.js'
import type {FakeAws} from '../support/fake-aws.js'
import {BIN, type Sandbox} from '../support/cli.js'
import {INSTANCE, sessionSandbox} from '../support/aws-fixtures.js'
import {ForwardProxy, selfSignedCert, tlsFront} from '../support/forward-proxy.js'
import {deviceFlow, recordingBrowser} from '../support/sso-oidc.js'
import {until} from '../support/until.js'

/**
 * FakeAws and the fake agent listen on http:// and ws:// (127.0.0.1), so HTTP_PROXY is the variable that applies
 * (HTTPS_PROXY is for https:// and wss://, which real AWS endpoints are: the same agents tunnel those with CONNECT).
 * Node's proxy support does not exempt loopback: only NO_PROXY does, which is what these tests rely on.
 */
describe('ssmx behind a proxy: HTTP_PROXY / HTTPS_PROXY / NO_PROXY (built CLI, recording proxy, fake AWS)', function () {
  this.timeout(30_000)
  let fake: FakeAws
  let box: Sandbox
  let proxy: ForwardProxy

  beforeEach(async () => {
    ;({fake, box} = await sessionSandbox())
    proxy = await new ForwardProxy().start()
  })
  afterEach(async () => {
    await proxy.stop()
    await fake.stop()
    box.cleanup()
  })

  it('sends every AWS call through HTTP_PROXY (SSO role credentials, StartSession), and the plugin inherits the proxy variables', async () => {
    const env = {HTTP_PROXY: proxy.url, HTTPS_PROXY: 'http://proxy.invalid:3128', NO_PROXY: '.internal.example'}
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env})
    expect(r.code, r.stderr).to.equal(0)
    const credentials = proxy.to('/federation/credentials')
    expect(credentials, "SSO GetRoleCredentials, from the credential provider's own client").to.have.length(1)
    expect(credentials[0].url).to.equal(`${fake.url}/federation/credentials?account_id=111122223333&role_name=Developer`)
    expect(target(proxy, 'AmazonSSM.StartSession')?.url).to.equal(`${fake.url}/`)
    expect(fake.calls('ssm', 'StartSession')).to.have.length(1)
    const [run] = box.pluginRuns()
    expect(run.env).to.include(env)
  })

  it("asks the SSO portal in the profile's sso_region, not its region (real endpoints, seen as CONNECT targets)", async () => {
    // no endpoint override: the SDK picks AWS's hosts, and the recording proxy (loopback only) refuses them
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env: {AWS_ENDPOINT_URL: undefined, HTTPS_PROXY: proxy.url}})
    expect(r.code).to.not.equal(0)
    const hosts = [...new Set(proxy.requests.filter((q) => q.method === 'CONNECT').map((q) => q.url))]
    // AWS_CONFIG: profile dev has region eu-west-1; its sso-session corp has sso_region us-east-1
    expect(hosts).to.deep.equal(['portal.sso.us-east-1.amazonaws.com:443'])
  })

  it('goes direct for hosts in NO_PROXY', async () => {
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env: {HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1'}})
    expect(r.code, r.stderr).to.equal(0)
    expect(fake.calls('ssm', 'StartSession')).to.have.length(1)
    expect(proxy.requests).to.deep.equal([])
  })

  it('goes direct with no proxy variable', async () => {
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
    expect(r.code, r.stderr).to.equal(0)
    expect(proxy.requests).to.deep.equal([])
  })

  it("authenticates to the proxy with the URL's user:password and never prints them, even with --debug", async () => {
    const url = proxy.url.replace('http://', 'http://alice:s3cret-PROXY-pw@')
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--debug'], {env: {http_proxy: url}})
    expect(r.code, r.stderr).to.equal(0)
    expect(target(proxy, 'AmazonSSM.StartSession')?.headers['proxy-authorization']).to.equal(`Basic ${Buffer.from('alice:s3cret-PROXY-pw').toString('base64')}`)
    expect(r.stderr).to.include(`[debug] proxy: https direct (no HTTPS_PROXY); http via ${proxy.url.replace('http://', 'http://<redacted>@')} (http_proxy)`)
    expect(r.stdout + r.stderr).not.to.include('s3cret')
  })

  it('redacts the proxy credentials in the error when the proxy cannot be reached', async () => {
    await proxy.stop()
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--debug'], {env: {HTTP_PROXY: 'http://bob:hunter2-PW@127.0.0.1:1'}, timeoutMs: 25_000})
    expect(r.code).to.not.equal(0)
    expect(r.stderr).to.include('✗ Cannot reach AWS for SSM StartSession').and.include('HTTPS_PROXY, NO_PROXY')
    expect(r.stderr).to.include('http://<redacted>@127.0.0.1:1 (HTTP_PROXY)')
    expect(r.stdout + r.stderr).not.to.include('hunter2')
    expect(fake.calls()).to.deep.equal([])
  })

  it('signs in (ssmx login: SSO OIDC device authorization) through the proxy', async () => {
    deviceFlow(fake, {interval: 0})
    const browser = recordingBrowser(box.home)
    const r = await box.run(['login', '--profile', 'dev', '--no-aws-cli'], {env: {HTTP_PROXY: proxy.url, BROWSER: browser.command}})
    expect(r.code, r.stderr).to.equal(0)
    for (const path of ['/client/register', '/device_authorization', '/token']) expect(proxy.to(`${fake.url}${path}`), path).to.have.length.greaterThan(0)
    expect(fake.calls('sso-oauth', 'CreateToken')).to.have.length.greaterThan(0)
  })

  describe('the built-in session client (fake agent)', () => {
    let agent: FakeAgent
    const stops: Array<() => Promise<void> | void> = []

    beforeEach(async () => {
      // the fake agent answers StartSession: a stdio session to the port ssh-proxy asks for
      agent = (await new FakeAgent().start()).attach(fake, (input) => ({
        backend: {kind: 'stdio', port: Number((input.Parameters as Record<string, string[]>).portNumber[0])},
      }))
    })
    afterEach(async () => {
      for (const stop of stops.splice(0).reverse()) await stop()
      await agent.stop()
    })

    /** ssh-proxy --native to an echo server: a few KiB through the data channel and back, then ssh's hang-up. */
    async function echoSession(env: Record<string, string>): Promise<void> {
      const echo = createServer((c) => c.pipe(c))
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
      stops.push(() => void echo.close())
      const port = (echo.address() as AddressInfo).port
      const child = spawn(process.execPath, [BIN, 'ssh-proxy', INSTANCE, String(port), '--profile', 'dev', '--native'], {
        cwd: box.home,
        env: {...box.env, ...env},
      })
      let stderr = ''
      let got = 0
      child.stderr.on('data', (d) => (stderr += d))
      child.stdout.on('data', (d: Buffer) => (got += d.length))
      const exited = new Promise<number | null>((r) => child.on('close', r))
      const data = randomBytes(4096)
      child.stdin.write(data)
      await until(
        'the echo',
        () => got >= data.length,
        20_000,
        () => stderr,
      )
      child.kill('SIGHUP')
      expect(await exited, stderr).to.equal(0)
    }

    it('opens the data channel websocket (ws://) through HTTP_PROXY', async () => {
      await echoSession({HTTP_PROXY: proxy.url})
      const upgrades = proxy.requests.filter((r) => r.upgrade)
      expect(upgrades, JSON.stringify(proxy.requests.map((r) => r.url))).to.have.length(1)
      expect(upgrades[0].url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/v1\/data-channel\//)
      expect(upgrades[0].headers.upgrade).to.equal('websocket')
      expect(target(proxy, 'AmazonSSM.StartSession')).to.not.equal(undefined)
    })

    it('tunnels https:// AWS calls and the wss:// data channel through HTTPS_PROXY with CONNECT', async () => {
      const tls = selfSignedCert()
      const aws = await tlsFront(Number(new URL(fake.url).port), tls)
      const ws = await tlsFront(Number(new URL(agent.url).port), tls)
      stops.push(aws.stop, ws.stop)
      agent.url = ws.url('wss')
      await echoSession({HTTPS_PROXY: proxy.url, AWS_ENDPOINT_URL: aws.url('https'), NODE_EXTRA_CA_CERTS: tls.certPath})
      const tunnels = [...new Set(proxy.requests.map((r) => `${r.method} ${r.url}`))].sort()
      expect(tunnels).to.deep.equal([`CONNECT ${aws.url('https').slice('https://'.length)}`, `CONNECT ${ws.url('wss').slice('wss://'.length)}`].sort())
      expect(fake.calls('awsssoportal', 'GetRoleCredentials')).to.have.length(1)
      expect(fake.calls('ssm', 'StartSession')).to.have.length(1)
    })
  })
})

/** the proxied request of an AWS JSON-protocol operation, by its X-Amz-Target */
const target = (proxy: ForwardProxy, name: string) => proxy.requests.find((r) => r.headers['x-amz-target'] === name)
