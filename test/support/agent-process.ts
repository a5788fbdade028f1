/**
 * The fake agent in a process of its own, for the tests that move hundreds of MiB: the client under test and the
 * agent then each have a core. Forked by the test; IPC: {create: AgentSpec} → {session}; {stats: id} → {stats};
 * 'stop'. A `source` backend port of 0 is replaced by a TCP server here that sends `sourceBytes` of `sourceSeed`'s
 * block, repeated, then ends (what the test expects is computed the same way, see sourceBlock()).
 */
import {createServer} from 'node:net'

import {type AgentSpec, FakeAgent} from './fake-agent.js'

/** The repeated block a source sends: deterministic from the seed, an odd length so chunk borders move. */
export function sourceBlock(seed: number): Buffer {
  const block = Buffer.alloc(1024 * 1024 + 13)
  let x = seed >>> 0 || 1
  for (let i = 0; i < block.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    block[i] = x & 0xff
  }
  return block
}

/** Calls `each` with the pieces of `total` bytes of the block, in order. */
export function eachPiece(block: Buffer, total: number, each: (piece: Buffer) => boolean | void): number {
  let sent = 0
  while (sent < total) {
    const at = sent % block.length
    const piece = block.subarray(at, Math.min(block.length, at + total - sent))
    sent += piece.length
    if (each(piece) === false) break
  }
  return sent
}

async function main(): Promise<void> {
  const agent = await new FakeAgent().start()
  const servers: Array<ReturnType<typeof createServer>> = []
  process.on('message', async (m: {create?: AgentSpec & {sourceBytes?: number; sourceSeed?: number}; stats?: string} | 'stop') => {
    if (m === 'stop') {
      await agent.stop()
      for (const s of servers) s.close()
      process.exit(0)
    }
    if (m.create) {
      const {sourceBytes = 0, sourceSeed = 1, ...spec} = m.create
      if (spec.backend.kind === 'forward' && spec.backend.port === 0) {
        const block = sourceBlock(sourceSeed)
        const server = createServer((socket) => {
          let sent = 0
          const more = () => {
            while (sent < sourceBytes) {
              const at = sent % block.length
              const piece = block.subarray(at, Math.min(block.length, at + sourceBytes - sent))
              sent += piece.length
              if (!socket.write(piece)) return void socket.once('drain', more)
            }
            socket.end()
          }
          more()
        })
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
        servers.push(server)
        spec.backend = {...spec.backend, port: (server.address() as {port: number}).port}
      }
      process.send?.({session: agent.create('i-0123456789abcdef0', spec)})
    }
    if (m.stats) process.send?.({stats: {...agent.sessions.get(m.stats)?.stats}})
  })
  process.send?.('ready')
}

if (process.send) void main()
