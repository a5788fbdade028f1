#!/usr/bin/env node
// Memory of a long session: many small messages through a stdio session; the client's heap (this
// process; the fake agent runs in a child) after GC at each tenth. Flat numbers mean no growth per message.
// Usage: npm run build && node bench/native-memory.js [messages] [--json]      (default 200,000)
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

import {report} from './lib.js'
import {nativeSession} from './support/native-common.js'

// run-all starts every bench with plain `node`: expose gc() here when --expose-gc was not given
if (!global.gc) {
  setFlagsFromString('--expose-gc')
  global.gc = runInNewContext('gc')
}
const total = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 200_000)
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
const mib = (x) => `${x.toFixed(1)} MiB`
const first = samples[0]
const last = samples.at(-1)
const grow = last.heapMiB - first.heapMiB
report({
  title: `Native client: memory of a long session (${total.toLocaleString('en')} messages of ${chunk.length} bytes each way)`,
  rows: [
    ...[first, last].map((x) => ({name: `after ${x.messages.toLocaleString('en')} messages`, value: `heap ${mib(x.heapMiB)}`, ratio: `buffers ${mib(x.buffersMiB)}, rss ${mib(x.rssMiB)}`})),
    {name: 'heap growth, first to last tenth', value: `${grow.toFixed(2)} MiB`},
  ],
  notes: [`heap after GC at each tenth: ${samples.map((x) => x.heapMiB.toFixed(1)).join(', ')} MiB`],
})
process.exit(0)
