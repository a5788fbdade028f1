import {type Serializable, fork} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {type AddressInfo, type Server, type Socket, connect, createServer} from 'node:net'
import {PassThrough} from 'node:stream'

import {KMSClient} from '@aws-sdk/client-kms'
import {ResumeSessionCommand, SSMClient, StartSessionCommand} from '@aws-sdk/client-ssm'
import {expect} from 'chai'

import {kmsPort} from '../../src/aws/kms.js'
import {Flag} from '../../src/native/message.js'
import {NativeSessionError, type NativeResult, runNativeSession} from '../../src/native/session.js'
import {eachPiece, sourceBlock} from '../support/agent-process.js'
import {type AgentSpec, FakeAgent} from '../support/fake-agent.js'
import {FakeAws} from '../support/fake-aws.js'
import {until} from '../support/until.js'

const INSTANCE = 'i-0123456789abcdef0'
const credentials = {accessKeyId: 'AKIDTEST', secretAccessKey: 'secret'}

export async function echoServer(): Promise<{server: Server; port: number}> {
  const server = createServer((s) => s.pipe(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {server, port: (server.address() as AddressInfo).port}
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe('native session client against the fake agent', function () {
  this.timeout(30_000)
  let fake: FakeAws
  let agent: FakeAgent
  let echo: {server: Server; port: number}
  let spec: AgentSpec
  let ssm: SSMClient
  let kms: KMSClient
  const warnings: string[] = []

  beforeEach(async () => {
    fake = await new FakeAws().start()
    agent = await new FakeAgent().start()
    echo = await echoServer()
    spec = {backend: {kind: 'stdio', port: echo.port}}
    agent.attach(fake, () => spec)
    ssm = new SSMClient({endpoint: fake.url, region: 'eu-west-1', credentials})
    kms = new KMSClient({endpoint: fake.url, region: 'eu-west-1', credentials})
    warnings.length = 0
  })
  afterEach(async () => {
    await agent.stop()
    await fake.stop()
    echo.server.close()
  })

  async function start(abort?: AbortController, extra: {onListening?: (a: string) => void; openTimeoutMs?: number} = {}) {
    const out = await ssm.send(new StartSessionCommand({Target: INSTANCE}))
    const stdin = new PassThrough()
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const chunks: Buffer[] = []
    const errChunks: Buffer[] = []
    stdout.on('data', (d) => chunks.push(d))
    stderr.on('data', (d) => errChunks.push(d))
    const result = runNativeSession({
      sessionId: out.SessionId!,
      streamUrl: out.StreamUrl!,
      token: out.TokenValue!,
      targetId: INSTANCE,
      kms: () => kmsPort(kms),
      resume: async () => {
        const r = await ssm.send(new ResumeSessionCommand({SessionId: out.SessionId}))
        return r.TokenValue ? {token: r.TokenValue, streamUrl: r.StreamUrl!} : undefined
      },
      io: {stdin, stdout, stderr},
      signals: false,
      abort: abort?.signal,
      warn: (l) => warnings.push(l),
      ...extra,
    })
    return {result, stdin, out: () => Buffer.concat(chunks), err: () => Buffer.concat(errChunks).toString('utf8'), sessionId: out.SessionId!}
  }

  /** Sends `size` random bytes through a stdio session and checks the echo is byte-exact. */
  async function stdioRoundTrip(size: number, during?: (progress: () => number) => Promise<void>) {
    const abort = new AbortController()
    const s = await start(abort)
    const data = randomBytes(size)
    for (let i = 0; i < data.length; i += 50_000) s.stdin.write(data.subarray(i, i + 50_000))
    await during?.(() => s.out().length)
    await until('the echo', () => s.out().length >= size, 25_000)
    expect(s.out().length).to.equal(size)
    expect(digest(s.out())).to.equal(digest(data))
    abort.abort()
    // the agent answers the TerminateSession flag by closing the channel
    const r: NativeResult = await s.result
    expect(r.code).to.equal(0)
    return s
  }

  it('carries stdin/stdout (ssh-proxy style) byte-exact, answers the handshake and ends with the TerminateSession flag', async () => {
    await stdioRoundTrip(1_000_000)
    const session = agent.soleSession
    expect(session.opens[0]).to.include({MessageSchemaVersion: '1.0', TokenValue: [...session.tokens][0]})
    expect(session.handshakeResponse!.ProcessedClientActions).to.deep.equal([
      {ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: ''},
      {ActionType: 'FutureAction', ActionStatus: 3, ActionResult: null, Error: 'Unsupported action FutureAction'},
    ])
    expect(session.flags).to.deep.equal([Flag.terminateSession])
  })

  it('loses and duplicates nothing when the agent drops, duplicates, reorders and corrupts messages and loses acknowledgements', async () => {
    spec.faults = {drop: 0.04, duplicate: 0.04, reorder: 0.04, corrupt: 0.04, dropAck: 0.04, seed: 7}
    await stdioRoundTrip(400_000)
    const st = agent.soleSession.stats
    for (const k of ['dropped', 'duplicated', 'reordered', 'corrupted', 'acksDropped', 'clientDuplicates'] as const) expect(st[k], k).to.be.greaterThan(0)
  })

  it('resumes after the websocket is cut, with a new token from ResumeSession, without losing or duplicating bytes', async () => {
    await stdioRoundTrip(600_000, async (progress) => {
      for (const mark of [100_000, 300_000]) {
        await until(`${mark} bytes`, () => progress() >= mark)
        const opens = agent.soleSession.opens.length
        agent.soleSession.cut()
        await until('the client to come back', () => agent.soleSession.opens.length > opens)
      }
    })
    expect(fake.calls('ssm', 'ResumeSession')).to.have.length(2)
    expect(agent.soleSession.opens).to.have.length(3)
    expect(new Set(agent.soleSession.opens.map((o) => o.TokenValue)).size).to.equal(3)
  })

  it('encrypts both ways with a KMS data key (64 bytes, session and target as context) and passes the challenge', async () => {
    spec.kmsKeyId = 'alias/session-key'
    spec.encryptHandshakeComplete = true
    await stdioRoundTrip(200_000)
    const [call] = fake.calls('kms', 'GenerateDataKey')
    expect(call.input).to.deep.equal({
      KeyId: 'alias/session-key',
      NumberOfBytes: 64,
      EncryptionContext: {'aws:ssm:SessionId': agent.soleSession.id, 'aws:ssm:TargetId': INSTANCE},
    })
    expect(agent.soleSession.challengePassed).to.equal(true)
    const kmsAction = (agent.soleSession.handshakeResponse!.ProcessedClientActions as Array<Record<string, unknown>>).find(
      (a) => a.ActionType === 'KMSEncryption',
    )
    expect(kmsAction).to.include({ActionStatus: 1})
  })

  it('keeps an encrypted session encrypted across a resume, with faults', async () => {
    spec.kmsKeyId = 'alias/session-key'
    spec.faults = {drop: 0.03, duplicate: 0.03, reorder: 0.03, corrupt: 0.03, seed: 5}
    await stdioRoundTrip(300_000, async (progress) => {
      await until('100000 bytes', () => progress() >= 100_000)
      agent.soleSession.cut()
      await until('the client to come back', () => agent.soleSession.opens.length > 1)
    })
    expect(fake.calls('kms', 'GenerateDataKey')).to.have.length(1)
    expect(fake.calls('ssm', 'ResumeSession')).to.have.length(1)
  })

  async function forward(connections: number, size: number) {
    const abort = new AbortController()
    let port = 0
    const s = await start(abort, {onListening: (a) => (port = Number(a))})
    await until('the local listener', () => port > 0)
    const runs = Array.from({length: connections}, async () => {
      const data = randomBytes(size)
      const socket: Socket = connect(port, '127.0.0.1')
      const got: Buffer[] = []
      let n = 0
      socket.on('data', (d) => {
        got.push(d)
        n += d.length
      })
      socket.write(data)
      await until('the echo', () => n >= size, 25_000)
      socket.end()
      await new Promise((r) => socket.once('close', r))
      expect(digest(Buffer.concat(got))).to.equal(digest(data))
    })
    await Promise.all(runs)
    abort.abort()
    await s.result
    return s
  }

  it('forwards many parallel connections over smux with large random payloads, byte-exact', async () => {
    spec = {backend: {kind: 'forward', port: echo.port, mux: true}, faults: {drop: 0.01, reorder: 0.01, seed: 3}}
    await forward(16, 200_000)
    expect(agent.soleSession.flags).to.deep.equal([Flag.terminateSession])
  })

  it('moves 256 MiB from the agent byte-exact through dropped, duplicated, reordered and corrupted messages', async function () {
    this.timeout(240_000)
    const total = 256 * 1024 * 1024
    // the agent in its own process (a core each); its source sends `total` bytes of a seeded block, then ends
    const child = fork(new URL('../support/agent-process.js', import.meta.url))
    const ask = <T>(request: unknown, key: string) =>
      new Promise<T>((resolve) => {
        const on = (m: Record<string, T>) => {
          if (m && typeof m === 'object' && key in m) {
            child.off('message', on)
            resolve(m[key])
          }
        }
        child.on('message', on)
        child.send(request as Serializable)
      })
    try {
      await new Promise((r) => child.once('message', r))
      const faults = {drop: 1e-5, corrupt: 1e-5, duplicate: 1e-3, reorder: 1e-4, seed: 11}
      const session = await ask<{SessionId: string; StreamUrl: string; TokenValue: string}>(
        {create: {backend: {kind: 'forward', port: 0, mux: true}, faults, sourceBytes: total, sourceSeed: 5}},
        'session',
      )
      const expected = createHash('sha256')
      eachPiece(sourceBlock(5), total, (piece) => void expected.update(piece))
      const abort = new AbortController()
      let port = 0
      const result = runNativeSession({
        sessionId: session.SessionId,
        streamUrl: session.StreamUrl,
        token: session.TokenValue,
        targetId: INSTANCE,
        kms: () => kmsPort(kms),
        io: {stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough()},
        signals: false,
        abort: abort.signal,
        onListening: (a) => (port = Number(a)),
        warn: () => {},
      })
      await until('the local listener', () => port > 0)
      const got = createHash('sha256')
      let received = 0
      const socket = connect(port, '127.0.0.1')
      socket.on('data', (d: Buffer) => {
        got.update(d)
        received += d.length
      })
      await new Promise((r) => socket.once('end', r))
      socket.destroy()
      expect(received).to.equal(total)
      expect(got.digest('hex')).to.equal(expected.digest('hex'))
      const st = await ask<Record<string, number>>({stats: session.SessionId}, 'stats')
      for (const k of ['dropped', 'duplicated', 'reordered', 'corrupted']) expect(st[k], k).to.be.greaterThan(0)
      abort.abort()
      expect((await result).code).to.equal(0)
    } finally {
      child.send('stop')
      await new Promise((r) => child.once('exit', r))
    }
  })

  it('forwards connections one at a time in basic mode (old agents), sending DisconnectToPort after each', async () => {
    spec = {backend: {kind: 'forward', port: echo.port, mux: false}, agentVersion: '3.0.100.0'}
    await forward(3, 100_000)
    expect(agent.soleSession.flags.filter((f) => f === Flag.disconnectToPort)).to.have.length(3)
  })

  it('writes stdout and stderr where they belong, prints the customer message, and exits 0 on channel_closed with its output', async () => {
    spec = {
      backend: {
        kind: 'script',
        reply: (line, s) => {
          if (line === 'bye') return s.closeChannel('all done')
          s.output(Buffer.from(`out:${line}\n`))
          s.output(Buffer.from(`err:${line}\n`), 11)
        },
      },
      handshake: true,
      customerMessage: 'Authorised use only.',
    }
    const s = await start()
    s.stdin.write('hello\n')
    await until('output', () => s.out().toString().includes('out:hello'))
    s.stdin.write('bye\r')
    const r = await s.result
    expect(r).to.deep.equal({code: 0})
    expect(s.out().toString()).to.equal(`out:hello\n\n\nSessionId: ${s.sessionId} : all done\n\n`)
    expect(s.err()).to.equal('err:hello\n')
    expect(warnings).to.include('Authorised use only.')
    const sizes = agent.soleSession.sizes
    expect(sizes).to.deep.equal([{cols: 300, rows: 100}])
  })

  it("exits with the command's exit code when the agent sends one (non-interactive commands)", async () => {
    spec = {
      backend: {kind: 'script', reply: (line, s) => (s.output(Buffer.from(`ran ${line}\n`)), s.output(Buffer.from('EXIT_CODE: 3'), 12), s.closeChannel(''))},
      handshake: true,
    }
    const s = await start()
    s.stdin.write('false\r')
    expect(await s.result).to.deep.equal({code: 3})
    expect(s.out().toString()).to.match(/^ran false\n/)
  })

  it('holds input back between pause_publication and start_publication', async () => {
    const lines: string[] = []
    spec = {backend: {kind: 'script', reply: (line, s) => (lines.push(line), s.output(Buffer.from(`got:${line}\n`)))}, handshake: true}
    const abort = new AbortController()
    const s = await start(abort)
    s.stdin.write('one\r')
    await until('the first line', () => s.out().toString().includes('got:one'))
    agent.soleSession.publication(false)
    await new Promise((r) => setTimeout(r, 100))
    s.stdin.write('two\r')
    await new Promise((r) => setTimeout(r, 300))
    expect(lines).to.deep.equal(['one'])
    agent.soleSession.publication(true)
    await until('the held line', () => s.out().toString().includes('got:two'))
    expect(lines).to.deep.equal(['one', 'two'])
    abort.abort()
    expect((await s.result).code).to.equal(128 + 15)
  })

  it('fails with a clear error when the data channel never opens', async () => {
    const sink = createServer(() => {})
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r))
    const port = (sink.address() as AddressInfo).port
    try {
      const err = await runNativeSession({
        sessionId: 's-1',
        streamUrl: `ws://127.0.0.1:${port}/v1/data-channel/s-1`,
        token: 't',
        targetId: INSTANCE,
        kms: () => kmsPort(kms),
        signals: false,
        openTimeoutMs: 300,
        warn: () => {},
      }).then(
        () => undefined,
        (e) => e,
      )
      expect(err).to.be.instanceOf(NativeSessionError)
      expect(err.message).to.match(/did not open within/)
    } finally {
      sink.close()
    }
  })

  it('fails with a clear error when the agent never speaks', async () => {
    spec.silent = true
    const s = await start(undefined, {openTimeoutMs: 400})
    const err = await s.result.then(
      () => undefined,
      (e) => e,
    )
    expect(err).to.be.instanceOf(NativeSessionError)
    expect(err.message).to.match(/did not start session/)
  })
})
