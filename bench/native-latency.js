#!/usr/bin/env node
// Keystroke round-trip latency: one byte out, its echo back, through the native client and the fake
// agent (stdio session to a TCP echo server), against the same byte over plain loopback TCP.
// Usage: npm run build && node bench/native-latency.js [rounds] [--json]      (default 1000 rounds)
import {connect} from 'node:net'

import {fmtMs, fmtRatio, median, report} from './lib.js'
import {echoServer, nativeSession} from './support/native-common.js'

const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000)

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

const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]
const fmt = (ms) => `${ms.toFixed(3)} ms`
report({
  title: `Native client: keystroke round trip (${rounds} rounds, first ${Math.min(50, rounds / 10)} dropped)`,
  rows: [
    {name: 'plain loopback TCP', value: fmt(median(plain)), ratio: `p90 ${fmt(p90(plain))}`},
    {name: 'native client (fake agent, stdio session)', value: fmt(median(native)), ratio: `p90 ${fmt(p90(native))}`},
    {name: 'native vs plain TCP (medians)', value: fmtMs(median(native) - median(plain)), ratio: `${fmtRatio(median(native) / median(plain))} TCP`},
  ],
  notes: ['the fake agent and echo server run in a child process; the client has this process to itself'],
})
process.exit(0)
