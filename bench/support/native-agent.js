// Child process for the native-client benchmarks: the fake agent and a TCP echo server, so the client
// being measured has its process (and event loop) to itself. Sends {session, echoPort} over IPC.
import {createServer} from 'node:net'

const dist = new URL('../../dist/', import.meta.url)
const {FakeAgent} = await import(new URL('test/support/fake-agent.js', dist))

const kind = process.argv[2] ?? 'stdio'
const echo = createServer((s) => s.pipe(s))
await new Promise((r) => echo.listen(0, '127.0.0.1', r))
const port = echo.address().port
const agent = await new FakeAgent().start()
const session = agent.create('i-0123456789abcdef0', {backend: kind === 'forward' ? {kind, port, mux: true} : {kind, port}})
process.send({session, echoPort: port})
process.on('message', async (m) => {
  if (m === 'stop') {
    await agent.stop()
    echo.close()
    process.exit(0)
  }
})
