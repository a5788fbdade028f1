// Memory of a long session: many small messages through a stdio session; the client's heap (this
// process; the fake agent runs in a child) after GC at each tenth. Flat numbers mean no growth per message.
// Usage: npm run build && node --expose-gc bench/native-memory.js [messages]
import {nativeSession} from './native-common.js'

if (!global.gc) {
  console.error('run with node --expose-gc')
  process.exit(2)
}
const total = Number(process.argv[2] ?? 200_000)
const s = await nativeSession('stdio')
let received = 0
s.stdout.on('data', (d) => (received += d.length))
const chunk = Buffer.alloc(64, 0x78)
const samples = []
const step = total / 10
for (let sent = 0; sent < total; ) {
  for (let i = 0; i < 500; i++, sent++) s.stdin.write(chunk)
  const target = sent * chunk.length
  while (received < target) await new Promise((r) => setTimeout(r, 1))
  if (sent % step === 0) {
    global.gc()
    const m = process.memoryUsage()
    samples.push({messages: sent, heapMiB: m.heapUsed / 1048576, buffersMiB: m.arrayBuffers / 1048576, rssMiB: m.rss / 1048576})
  }
}
await s.close()
console.log(`long session: ${total} messages of ${chunk.length} bytes each way`)
for (const x of samples) console.log(`  after ${String(x.messages).padStart(7)}: heap ${x.heapMiB.toFixed(1)} MiB, buffers ${x.buffersMiB.toFixed(1)} MiB, rss ${x.rssMiB.toFixed(1)} MiB`)
const grow = samples.at(-1).heapMiB - samples[0].heapMiB
console.log(`  heap growth from first to last sample: ${grow.toFixed(2)} MiB`)
process.exit(0)
