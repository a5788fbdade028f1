import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {ExitCode} from '../../src/errors.js'
import {AwsFault, type FakeAws} from '../support/fake-aws.js'
import type {Sandbox} from '../support/cli.js'
import {INSTANCE, describeInstances, sessionSandbox} from '../support/aws-fixtures.js'

/**
 * `ssmx connect`, `forward` and `ssh-proxy` start without oclif (src/fast/): every scenario here runs both ways, the
 * fast entry (the default) and oclif (SSMX_NO_FAST=1), in fresh sandboxes, and must give the same exit code,
 * output, AWS calls and plugin hand-off.
 */
describe('connect, forward, ssh-proxy: the fast start gives what oclif gives (built CLI)', () => {
  const opened: Array<{fake: FakeAws; box: Sandbox}> = []
  afterEach(async () => {
    for (const {fake, box} of opened.splice(0)) {
      await fake.stop()
      box.cleanup()
    }
  })

  async function both(args: string[], setup: (fake: FakeAws, box: Sandbox) => void = () => {}) {
    const once = async (env: Record<string, string>) => {
      const s = await sessionSandbox()
      opened.push(s)
      setup(s.fake, s.box)
      const r = await s.box.run(args, {env})
      // what differs between any two runs: the sandbox, the fake's port, a free local port (forward 0:…)
      const output = (text: string) =>
        text
          .replaceAll(s.box.home, '<home>')
          .replaceAll(s.fake.url, '<aws>')
          .replace(/"localPortNumber":\["\d+"\]/g, '"localPortNumber":["<free>"]')
      return {
        code: r.code,
        stdout: output(r.stdout),
        stderr: output(r.stderr),
        calls: s.fake.requests.map((q) => `${q.service}.${q.operation} ${JSON.stringify(q.input)}`),
        plugin: s.box.pluginRuns().map(({pid: _, ...p}: {pid?: number; event: string; env?: Record<string, string>; args?: string[]}) => ({
          ...p,
          env: p.env && Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, output(v)])),
          args: p.args?.map(output),
        })),
      }
    }
    const fast = await once({})
    const oclif = await once({SSMX_NO_FAST: '1'})
    expect(fast).to.deep.equal(oclif)
    return fast
  }

  it('a session with an SSO profile: same StartSession, same seven plugin arguments and environment', async () => {
    const r = await both(['connect', INSTANCE, '--profile', 'dev'])
    expect(r.code).to.equal(0)
    expect(r.plugin.filter((p) => p.event === 'start')).to.have.length(1)
    expect(r.calls.some((c) => c.startsWith('ssm.StartSession'))).to.equal(true)
  })

  it('--dry-run with --reason: the same report', async () => {
    const r = await both(['connect', INSTANCE, '--profile', 'dev', '--dry-run', '--reason', 'JIRA-1'])
    expect(r.code).to.equal(0)
    expect(r.stdout).to.include('SSMX-RunAs-Developer').and.include('JIRA-1')
  })

  it('a Name tag (EC2, loaded lazily from the ESM bundle on the fast start)', async () => {
    const r = await both(['connect', 'web-1', '--profile', 'dev'], (fake) =>
      fake.on('ec2', 'DescribeInstances', describeInstances([{id: INSTANCE, name: 'web-1'}])),
    )
    expect(r.code).to.equal(0)
    expect(r.calls.filter((c) => c.startsWith('ec2.DescribeInstances'))).to.have.length(1)
  })

  it('errors: an invalid id, an unknown profile, a bad configuration file (validated lazily): same message, same exit code', async () => {
    expect((await both(['connect', 'i-12345', '--profile', 'dev'])).code).to.equal(ExitCode.target)
    expect((await both(['connect', INSTANCE, '--profile', 'nope'])).code).to.equal(ExitCode.credentials)
    const bad = await both(['connect', INSTANCE, '--profile', 'dev'], (_, box) => box.file('.ssmxrc.yaml', 'bogus: 1\n'))
    expect(bad.code).to.equal(ExitCode.config)
    expect(bad.stderr).to.include('unknown key "bogus"')
  })

  it('global flag mistakes: --region mars-1, an --endpoint-url that is no URL: the same usage error, nothing called', async () => {
    for (const args of [
      ['connect', INSTANCE, '--profile', 'dev', '--region', 'mars-1'],
      ['forward', INSTANCE, '8080:80', '--endpoint-url', 'localhost:4566'],
    ]) {
      const r = await both(args)
      expect(r.code).to.equal(ExitCode.usage)
      expect(r.stderr).to.match(/^✗ --(region|endpoint-url) /)
      expect(r.calls).to.deep.equal([])
    }
  })

  it('a failing plugin: its exit code, and the session terminated', async () => {
    const r = await both(['connect', INSTANCE, '--profile', 'dev'], (_, box) => {
      box.env.FAKE_PLUGIN_EXIT = '3'
    })
    expect(r.code).to.equal(3)
    expect(r.calls.some((c) => c.startsWith('ssm.TerminateSession'))).to.equal(true)
  })

  it('forward --dry-run, and a bad port spec (checked before anything else)', async () => {
    const r = await both(['forward', INSTANCE, '0:5432', '--host', 'db.internal', '--profile', 'dev', '--dry-run'])
    expect(r.code).to.equal(0)
    expect(r.stdout).to.include('AWS-StartPortForwardingSessionToRemoteHost')
    expect((await both(['forward', INSTANCE, 'x:y', '--profile', 'nope'])).code).to.equal(ExitCode.usage)
  })

  it('ssh-proxy: the SSH document and port 22 by default, and a bad port', async () => {
    const r = await both(['ssh-proxy', INSTANCE, '--profile', 'dev'])
    expect(r.code).to.equal(0)
    expect(r.calls.find((c) => c.startsWith('ssm.StartSession')))
      .to.include('AWS-StartSSHSession')
      .and.include('"portNumber":["22"]')
    expect((await both(['ssh-proxy', INSTANCE, 'http'])).code).to.equal(ExitCode.usage)
  })

  it('--broker (and mode: broker): the same broker lookup, and where no broker is deployed the same error and exit code 13', async () => {
    const notDeployed = (fake: FakeAws) =>
      fake.on('ssm', 'GetParameter', () => {
        throw new AwsFault('ParameterNotFound', 'not found')
      })
    for (const args of [
      ['connect', INSTANCE, '--profile', 'dev', '--broker'],
      ['forward', INSTANCE, '0:80', '--profile', 'dev', '--broker'],
      ['ssh-proxy', INSTANCE, '--profile', 'dev', '--broker'],
    ]) {
      const r = await both(args, notDeployed)
      expect(r.code, args.join(' ')).to.equal(ExitCode.prerequisite)
      expect(r.stderr).to.include('No session broker is deployed in eu-west-1')
      expect(r.calls.filter((c) => c.startsWith('ssm.'))).to.deep.equal(['ssm.GetParameter {"Name":"/session-broker/ssmx/url"}'])
      expect(r.plugin).to.deep.equal([])
    }
    const viaConfig = await both(['connect', INSTANCE, '--profile', 'dev'], (fake, box) => {
      notDeployed(fake)
      box.file('.ssmxrc.yaml', 'mode: broker\n')
    })
    expect(viaConfig.code).to.equal(ExitCode.prerequisite)
  })

  it('runs without oclif by default, and keeps its code caches owner-only under $XDG_CACHE_HOME/ssmx', async () => {
    const s = await sessionSandbox()
    opened.push(s)
    const cache = join(s.box.home, 'xdg-cache')
    const env = {XDG_CACHE_HOME: cache}
    const first = await s.box.run(['connect', INSTANCE, '--profile', 'dev', '--debug'], {env})
    expect(first.code, first.stderr).to.equal(0)
    // the build ships a code cache beside the bundle (scripts/code-cache.js): the first run starts from it and writes the user's own
    expect(first.stderr).to.include('[debug] fast start: connect without oclif, code cache shipped')
    const dir = join(cache, 'ssmx', 'code')
    const [file, ...rest] = readdirSync(dir)
    expect(rest).to.deep.equal([])
    expect(statSync(join(dir, file)).mode & 0o777).to.equal(0o600)
    const second = await s.box.run(['connect', INSTANCE, '--profile', 'dev', '--debug'], {env})
    expect(second.stderr).to.include('code cache hit')
    const oclif = await s.box.run(['connect', INSTANCE, '--profile', 'dev', '--debug'], {env: {...env, SSMX_NO_FAST: '1'}})
    expect(oclif.code).to.equal(0)
    expect(oclif.stderr).to.not.include('fast start')
    // Node's compile cache (both starts) is in ssmx's owner-only cache directory, not the shared temporary one
    const node = join(cache, 'ssmx', 'node')
    expect(statSync(node).mode & 0o777).to.equal(0o700)
    expect(readdirSync(node)).to.not.deep.equal([])
  })

  it("leaves what it does not parse to oclif: an unknown flag gets oclif's own error", async () => {
    const s = await sessionSandbox()
    opened.push(s)
    const r = await s.box.run(['connect', INSTANCE, '--nope', '--debug'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.include('Nonexistent flag: --nope')
    expect(r.stderr).to.not.include('fast start')
  })
})
