// The native client alone in a process, as `ssmx forward --native` runs it: the benchmarks measure its RSS and CPU
// from outside (/proc) while another process drives bytes through it. Usage (fork, IPC):
//   fork('native-client.js', [kind, sessionJson, distDir?]) → sends {listening: port} for a port forward;
//   stdio sessions use this process's stdin/stdout; 'stop' over IPC ends the session.
// distDir (default this checkout's dist/) lets a bench run an older build's client against the same agent.
import {Writable} from 'node:stream'
import {pathToFileURL} from 'node:url'

import {heapSummary, memoryReport} from './memory.js'
import {benchSessionOptions} from './native-options.js'

const [kind, sessionJson, distDir] = process.argv.slice(2)
const dist = distDir ? pathToFileURL(`${distDir.replace(/\/$/, '')}/`) : new URL('../../dist/', import.meta.url)
const {runNativeSession} = await import(new URL('src/native/session.js', dist))
const session = JSON.parse(sessionJson)
const abort = new AbortController()
const result = runNativeSession(
  benchSessionOptions(session, {
    io: {stdin: process.stdin, stdout: process.stdout, stderr: new Writable({write: (_c, _e, cb) => cb()})},
    abort,
    onListening: (a) => process.send?.({listening: Number(a)}),
  }),
)
process.on('message', (m) => {
  if (m === 'stop') abort.abort()
  if (m === 'memory') process.send?.({memory: memoryReport()})
  // what the JavaScript heap holds, from a heap snapshot (costs memory: asked for last)
  if (m === 'heapSummary') process.send?.({heapSummary: heapSummary()})
})
const outcome = await result.then(
  (r) => r.code,
  (e) => (process.stderr.write(`native client: ${e.message}\n`), 1),
)
process.exit(outcome)
