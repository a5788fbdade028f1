#!/usr/bin/env node
// Port-forward throughput: N MiB through a forwarded port (smux over the data channel, fake agent, TCP
// echo server) against the same bytes over plain loopback TCP. Counts bytes echoed back, so every byte
// crosses the channel twice. Usage: npm run build && node bench/native-throughput.js [MiB] [runs] [--json]
// (default 16 MiB, 5 runs)
import {randomBytes} from 'node:crypto'
import {connect} from 'node:net'

import {fmtRatio, median, report} from './lib.js'
import {echoServer, nativeSession} from './support/native-common.js'

const numbers = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number)
const mib = numbers[0] ?? 16
const runs = numbers[1] ?? 5
const data = randomBytes(mib * 1024 * 1024)

async function transfer(port) {
  const socket = connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  const t0 = performance.now()
  let got = 0
  const done = new Promise((resolve) =>
    socket.on('data', (d) => {
      got += d.length
      if (got >= data.length) resolve()
    }),
  )
  socket.write(data)
  await done
  const seconds = (performance.now() - t0) / 1000
  socket.destroy()
  return mib / seconds
}

const tcp = await echoServer()
const plain = []
for (let i = 0; i < runs; i++) plain.push(await transfer(tcp.port))
tcp.server.close()

const s = await nativeSession('forward')
const port = await s.listening
const native = []
for (let i = 0; i < runs; i++) native.push(await transfer(port))
await s.close()

const fmt = (x) => `${x.toFixed(1)} MiB/s`
report({
  title: `Native client: port-forward throughput (${mib} MiB echoed, median of ${runs})`,
  rows: [
    {name: 'plain loopback TCP', value: fmt(median(plain))},
    {name: 'native client (smux, fake agent)', value: fmt(median(native)), ratio: `${fmtRatio(median(native) / median(plain))} TCP`},
  ],
  notes: ['every byte crosses the channel twice (echo); the fake agent runs in a child process'],
})
process.exit(0)
