import {spawn} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {rmSync} from 'node:fs'
import {type AddressInfo, createServer} from 'node:net'
import {join} from 'node:path'

import {expect} from 'chai'
import * as pty from 'node-pty'

import {FakeAgent, type AgentSpec} from '../support/fake-agent.js'
import {AwsFault, FakeAws} from '../support/fake-aws.js'
import {AWS_CONFIG, BIN, Sandbox} from '../support/cli.js'
import {INSTANCE, ssoIdentity} from '../support/aws-fixtures.js'
import {echoThrough} from '../support/ports.js'
import {until} from '../support/until.js'

describe('ssmx connect with the built-in session client (built CLI, node-pty, fake agent)', function () {
  this.timeout(40_000)
  let fake: FakeAws
  let agent: FakeAgent
  let box: Sandbox
  let spec: AgentSpec

  beforeEach(async () => {
    fake = await new FakeAws().start()
    agent = await new FakeAgent().start()
    ssoIdentity(fake)
    spec = {backend: {kind: 'shell'}}
    agent.attach(fake, () => spec)
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    box.ssoToken('corp')
  })
  afterEach(async () => {
    await agent.stop()
    await fake.stop()
    box.cleanup()
  })

  /** Runs the CLI with pipes, pushes `size` random bytes into stdin, and resolves once as many came back on stdout. */
  async function relay(args: string[], size: number) {
    const child = spawn(process.execPath, [BIN, ...args], {cwd: box.home, env: box.env})
    const got: Buffer[] = []
    let n = 0
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (got.push(d), (n += d.length)))
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((r) => child.on('close', r))
    const data = randomBytes(size)
    child.stdin.write(data)
    await until(
      'the echo',
      () => n >= data.length,
      20_000,
      () => stderr,
    )
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
    return {child, exited, stderr: () => stderr, exact: () => n === size && sha(Buffer.concat(got)) === sha(data)}
  }

  function spawnCli(args: string[], env: Record<string, string> = {}) {
    const term = pty.spawn(process.execPath, [BIN, ...args], {cols: 100, rows: 30, cwd: box.home, env: {...box.env, TERM: 'xterm', ...env}})
    let output = ''
    term.onData((d) => (output += d))
    const exited = new Promise<number>((resolve) => term.onExit(({exitCode}) => resolve(exitCode)))
    return {term, exited, output: () => output}
  }

  it('runs a shell with no plugin installed: a note, typing, output, resize, Ctrl-C, exit', async () => {
    rmSync(join(box.bin, 'session-manager-plugin'))
    const cli = spawnCli(['connect', INSTANCE, '--profile', 'dev'])
    const seen = (text: string) => until(JSON.stringify(text), () => cli.output().includes(text), 15_000, cli.output)
    await seen('session-manager-plugin is not installed; using the built-in session client')
    await seen('$ ')
    cli.term.write('echo hel""lo-$((6*7))\r')
    await seen('hello-42')
    cli.term.resize(123, 45)
    await until(
      'the new size at the agent',
      () => agent.soleSession.sizes.some((s) => s.cols === 123 && s.rows === 45),
      15_000,
      () => JSON.stringify(agent.soleSession.sizes),
    )
    cli.term.write('stty size\r')
    await seen('45 123')
    cli.term.write('sleep 30; echo not-interrupted\r')
    await until('sleep to start', () => cli.output().includes('sleep 30'))
    await new Promise((r) => setTimeout(r, 200))
    cli.term.write('\x03')
    cli.term.write('echo after-$((1+1))\r')
    await seen('after-2')
    // Ctrl-Z and Ctrl-\ reach the remote terminal as bytes too
    cli.term.write('\x1a\x1c')
    await until('the control bytes at the agent', () => agent.soleSession.typed.includes('\x1a\x1c'))
    cli.term.write('exit\r')
    expect(await cli.exited).to.equal(0)
    expect(agent.soleSession.typed).to.include('\x03')
    expect(cli.output()).to.include(`Exiting session with sessionId: ${agent.soleSession.id}`)
    expect(cli.output()).not.to.match(/\nnot-interrupted/)
    expect(agent.soleSession.sizes[0]).to.deep.equal({cols: 100, rows: 30})
    expect(fake.calls('ssm', 'TerminateSession')).to.have.length(0)
    expect(cli.output()).not.to.include([...agent.soleSession.tokens][0])
  })

  it('restores the terminal and terminates the session when the channel drops and cannot be resumed', async () => {
    fake.on('ssm', 'ResumeSession', () => {
      throw new AwsFault('AccessDeniedException', 'not allowed to resume', 400)
    })
    const script = `"${process.execPath}" "${BIN}" connect ${INSTANCE} --profile dev --native; echo "exit=$?"; stty -a`
    const term = pty.spawn('/bin/sh', ['-c', script], {cols: 100, rows: 30, cwd: box.home, env: {...box.env, TERM: 'xterm'}})
    let output = ''
    term.onData((d) => (output += d))
    const exited = new Promise<void>((resolve) => term.onExit(() => resolve()))
    await until(
      'prompt',
      () => output.includes('$ '),
      15_000,
      () => output,
    )
    agent.soleSession.cut()
    await exited
    expect(output).to.match(/the data channel dropped and could not be resumed/)
    expect(output).to.include('exit=14')
    const stty = output.slice(output.indexOf('exit=14'))
    expect(stty).to.match(/[^-]icanon/)
    expect(stty).to.match(/[^-]echo /)
    expect(fake.calls('ssm', 'ResumeSession').length).to.be.greaterThan(0)
    expect(fake.calls('ssm', 'TerminateSession')).to.have.length(1)
  })

  it('uses the built-in client with --native even when the plugin is installed, with KMS encryption', async () => {
    spec = {backend: {kind: 'shell'}, kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc', customerMessage: 'Sessions are recorded.'}
    const cli = spawnCli(['connect', INSTANCE, '--profile', 'dev', '--native'])
    await until('prompt', () => cli.output().includes('$ '), 15_000, cli.output)
    cli.term.write('echo enc-$((2*21))\r')
    await until('output', () => cli.output().includes('enc-42'), 15_000, cli.output)
    cli.term.write('exit\r')
    expect(await cli.exited).to.equal(0)
    expect(box.pluginRuns()).to.have.length(0)
    expect(agent.soleSession.challengePassed).to.equal(true)
    expect(cli.output()).to.include('Sessions are recorded.')
    expect(fake.calls('kms', 'GenerateDataKey')[0].input).to.deep.include({NumberOfBytes: 64})
  })

  it('takes native: true from the configuration, and terminates the session when the agent never answers', async () => {
    spec = {backend: {kind: 'shell'}, silent: true}
    box.file('.ssmxrc.yaml', 'native: true\n')
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env: {SSMX_NATIVE_TIMEOUT_MS: '500'}})
    expect(r.code, r.stderr).to.equal(14)
    expect(r.stderr).to.match(/did not start session .* within/)
    expect(box.pluginRuns()).to.have.length(0)
    expect(fake.calls('ssm', 'TerminateSession')).to.have.length(1)
  })

  it('carries an AWS-StartSSHSession byte stream over stdin/stdout byte-exact (ssh ProxyCommand style)', async () => {
    const echo = createServer((c) => c.pipe(c))
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    spec = {backend: {kind: 'stdio', port: (echo.address() as AddressInfo).port}, faults: {drop: 0.02, reorder: 0.02, seed: 11}}
    try {
      const r = await relay(['connect', INSTANCE, '--profile', 'dev', '--native', '--document', 'AWS-StartSSHSession'], 300_000)
      agent.soleSession.terminate()
      expect(await r.exited, r.stderr()).to.equal(0)
      expect(r.exact()).to.equal(true)
      expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.include({DocumentName: 'AWS-StartSSHSession'})
    } finally {
      echo.close()
    }
  })

  it('forward --native: parallel connections byte-exact through smux, Ctrl-C ends it and terminates the session', async () => {
    const echo = createServer((c) => c.pipe(c))
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    const remote = (echo.address() as AddressInfo).port
    agent.attach(fake, (input) => {
      const params = input.Parameters as Record<string, string[]>
      return {backend: {kind: 'forward', port: Number(params.portNumber[0]), mux: true, localPortNumber: params.localPortNumber[0]}}
    })
    try {
      const child = spawn(process.execPath, [BIN, 'forward', INSTANCE, `0:${remote}`, '--profile', 'dev', '--native'], {cwd: box.home, env: box.env})
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      const exited = new Promise<number | null>((r) => child.on('close', r))
      await until(
        'the listener',
        () => /opened for session/.test(stderr),
        20_000,
        () => stderr,
      )
      const local = Number(/Forwarding localhost:(\d+)/.exec(stderr)![1])
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
      await Promise.all(
        Array.from({length: 6}, async () => {
          const data = randomBytes(150_000)
          expect(sha(await echoThrough(local, data, () => stderr))).to.equal(sha(data))
        }),
      )
      child.kill('SIGINT')
      expect(await exited, stderr).to.equal(0)
      expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.include({
        DocumentName: 'AWS-StartPortForwardingSession',
        Parameters: {portNumber: [String(remote)], localPortNumber: [String(local)]},
      })
      expect(fake.calls('ssm', 'TerminateSession')).to.have.length(1)
      expect(box.pluginRuns()).to.have.length(0)
    } finally {
      echo.close()
    }
  })

  it('ssh-proxy --native relays stdin/stdout byte-exact', async () => {
    const echo = createServer((c) => c.pipe(c))
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    agent.attach(fake, (input) => ({backend: {kind: 'stdio', port: Number((input.Parameters as Record<string, string[]>).portNumber[0])}}))
    try {
      const port = (echo.address() as AddressInfo).port
      const r = await relay(['ssh-proxy', INSTANCE, String(port), '--profile', 'dev', '--native'], 200_000)
      // ssh hangs up on its ProxyCommand when it is done
      r.child.kill('SIGHUP')
      expect(await r.exited, r.stderr()).to.equal(0)
      expect(r.exact()).to.equal(true)
      expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.include({DocumentName: 'AWS-StartSSHSession', Parameters: {portNumber: [String(port)]}})
    } finally {
      echo.close()
    }
  })

  it('still fails on an installed but unusable plugin, without falling back', async () => {
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env: {SSMX_PLUGIN_PATH: '/nonexistent/session-manager-plugin'}})
    expect(r.code).to.equal(9)
    expect(fake.calls('ssm', 'StartSession')).to.have.length(0)
  })

  it('shows the built-in client in --dry-run', async () => {
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--native', '--dry-run'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.include('plugin:    none: the built-in session client')
    expect(fake.calls('ssm', 'StartSession')).to.have.length(0)
  })
})
