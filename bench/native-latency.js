// Keystroke round-trip latency: one byte out, its echo back, through the native client and the fake
// agent (stdio session to a TCP echo server), against the same byte over plain loopback TCP.
// Usage: npm run build && node bench/native-latency.js [rounds]
import {connect} from 'node:net'

import {echoServer, median, nativeSession} from './native-common.js'

const rounds = Number(process.argv[2] ?? 1000)

async function roundTrips(write, onData) {
  const times = []
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now()
    await new Promise((resolve) => {
      onData.next = resolve
      write(Buffer.from([0x61 + (i % 26)]))
    })
    times.push(performance.now() - t0)
  }
  return times.slice(Math.min(50, rounds / 10))
}

const tcp = await echoServer()
const socket = connect(tcp.port, '127.0.0.1')
await new Promise((r) => socket.once('connect', r))
socket.setNoDelay(true)
const tcpHook = {}
socket.on('data', () => tcpHook.next?.())
const plain = await roundTrips((b) => socket.write(b), tcpHook)
socket.destroy()
tcp.server.close()

const s = await nativeSession('stdio')
const hook = {}
s.stdout.on('data', () => hook.next?.())
const native = await roundTrips((b) => s.stdin.write(b), hook)
await s.close()

const fmt = (xs) => `median ${median(xs).toFixed(3)} ms, p90 ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)].toFixed(3)} ms`
console.log(`keystroke round trip (${rounds} rounds)`)
console.log(`  plain TCP:      ${fmt(plain)}`)
console.log(`  native client:  ${fmt(native)}`)
process.exit(0)
