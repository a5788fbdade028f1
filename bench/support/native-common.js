// Shared set-up for the native-client benchmarks: the fake agent and a TCP echo server in a child
// process (bench/support/native-agent.js), the native client in this one. Run after `npm run build`.
import {fork} from 'node:child_process'
import {createServer} from 'node:net'
import {PassThrough} from 'node:stream'

import {benchSessionOptions} from './native-options.js'

const dist = new URL('../../dist/', import.meta.url)
const {runNativeSession} = await import(new URL('src/native/session.js', dist))

export async function echoServer() {
  const server = createServer((s) => s.pipe(s))
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return {server, port: server.address().port}
}

/** Starts a native session of the given backend kind ('stdio' or 'forward') against the agent's echo server. */
export async function nativeSession(kind) {
  const child = fork(new URL('native-agent.js', import.meta.url), [kind])
  const {session} = await new Promise((r) => child.once('message', r))
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const abort = new AbortController()
  let listening
  const listeningP = new Promise((r) => (listening = r))
  const result = runNativeSession(benchSessionOptions(session, {io: {stdin, stdout, stderr: new PassThrough()}, abort, onListening: (a) => listening(Number(a))}))
  const close = async () => {
    abort.abort()
    await result.catch(() => {})
    child.send('stop')
    await new Promise((r) => child.once('exit', r))
  }
  return {stdin, stdout, listening: listeningP, close}
}
