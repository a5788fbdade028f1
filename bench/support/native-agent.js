// Child process for the native-client benchmarks: the fake agent and a TCP echo server, so the client
// being measured has its process (and event loop) to itself. Sends {session, echoPort} over IPC.
// IPC requests: {create: kind, localPortNumber?} → {session}; {stats: sessionId} → {stats}; 'stop'.
import {createServer} from 'node:net'

const dist = new URL('../../dist/', import.meta.url)
const {FakeAgent} = await import(new URL('test/support/fake-agent.js', dist))

const kind = process.argv[2] ?? 'stdio'
const echo = createServer((s) => s.pipe(s))
await new Promise((r) => echo.listen(0, '127.0.0.1', r))
const port = echo.address().port
const agent = await new FakeAgent().start()
const create = (k, localPortNumber) => agent.create('i-0123456789abcdef0', {backend: k === 'forward' ? {kind: k, port, mux: true, localPortNumber} : {kind: k, port}})
const session = create(kind)
process.send({session, echoPort: port})
process.on('message', async (m) => {
  if (m === 'stop') {
    await agent.stop()
    echo.close()
    process.exit(0)
  }
  if (m?.create) process.send({session: create(m.create, m.localPortNumber)})
  if (m?.stats) {
    const s = agent.sessions.get(m.stats)
    process.send({stats: s ? {...s.stats} : undefined})
  }
})
