// Shared set-up for the native-client benchmarks: a fake AWS + fake agent on 127.0.0.1, a TCP echo
// server, and a native session started against them. Run after `npm run build`.
import {createServer} from 'node:net'
import {PassThrough} from 'node:stream'

const dist = new URL('../dist/', import.meta.url)
const {FakeAws} = await import(new URL('test/support/fake-aws.js', dist))
const {FakeAgent} = await import(new URL('test/support/fake-agent.js', dist))
const {runNativeSession} = await import(new URL('src/native/session.js', dist))

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

export async function echoServer() {
  const server = createServer((s) => s.pipe(s))
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return {server, port: server.address().port}
}

/** Starts a native session of the given backend kind ('stdio' or 'forward') against an echo server. */
export async function nativeSession(kind) {
  const fake = await new FakeAws().start()
  const agent = await new FakeAgent().start()
  const echo = await echoServer()
  agent.attach(fake, () => ({backend: kind === 'forward' ? {kind, port: echo.port, mux: true} : {kind, port: echo.port}}))
  const out = agent.create('i-0123456789abcdef0', {backend: kind === 'forward' ? {kind, port: echo.port, mux: true} : {kind, port: echo.port}})
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const abort = new AbortController()
  let listening
  const listeningP = new Promise((r) => (listening = r))
  const result = runNativeSession({
    sessionId: out.SessionId,
    streamUrl: out.StreamUrl,
    token: out.TokenValue,
    targetId: 'i-0123456789abcdef0',
    kms: () => {
      throw new Error('no KMS in benchmarks')
    },
    io: {stdin, stdout, stderr: new PassThrough()},
    signals: false,
    abort: abort.signal,
    onListening: (a) => listening(Number(a)),
    warn: () => {},
  })
  const close = async () => {
    abort.abort()
    await result.catch(() => {})
    await agent.stop()
    await fake.stop()
    echo.server.close()
  }
  return {stdin, stdout, echo, agent, listening: listeningP, close}
}
