#!/usr/bin/env node
// The per-message work of the built-in client, without sockets: what it costs to decode an agent's 1 KiB
// output_stream_data message (header, SHA-256 check) and build its acknowledgement, and to frame one 1 KiB input
// message. Each message crosses these paths once per direction, 1,024 times per MiB.
// Usage: npm run build && node bench/native-framing.js [--json]   (BENCH_NATIVE_BASE=<another checkout, built> compares)
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {ROOT, fmtRatio, median, report, runs} from './lib.js'

const MESSAGES = 100_000
const builds = {this: ROOT, ...(process.env.BENCH_NATIVE_BASE ? {base: process.env.BENCH_NATIVE_BASE} : {})}
const modules = Object.fromEntries(
  await Promise.all(Object.entries(builds).map(async ([k, dir]) => [k, await import(pathToFileURL(join(dir, 'dist', 'src', 'native', 'message.js')).href)])),
)

function measure(m) {
  const payload = Buffer.alloc(1024, 0x61)
  const frames = Array.from({length: 1000}, (_, i) => m.encodeMessage({messageType: 'output_stream_data', sequenceNumber: i, payloadType: 1, payload}))
  const out = Buffer.allocUnsafe(2048)
  let sink = 0
  const decodeAck = () => {
    for (let i = 0; i < MESSAGES; i++) sink += m.encodeAck(m.decodeMessage(frames[i % frames.length])).length
  }
  const encode = () => {
    for (let i = 0; i < MESSAGES; i++) sink += m.encodeMessage({messageType: 'input_stream_data', sequenceNumber: i, payloadType: 1, payload}, out).length
  }
  const time = (f) => {
    const t0 = performance.now()
    f()
    return ((performance.now() - t0) * 1000) / MESSAGES
  }
  return {decodeAck: time(decodeAck), encode: time(encode), sink}
}

const samples = Object.fromEntries(Object.keys(builds).map((k) => [k, []]))
for (let i = 0; i < runs(7) + 1; i++) for (const k of Object.keys(builds)) samples[k].push(measure(modules[k]))
const med = (k, f) => median(samples[k].slice(1).map((s) => s[f]))
const rows = []
for (const k of Object.keys(builds)) {
  const label = k === 'this' ? 'this build' : builds[k]
  rows.push({name: `${label}: decode a 1 KiB message and build its acknowledgement`, value: `${med(k, 'decodeAck').toFixed(2)} µs`})
  rows.push({name: `${label}: frame a 1 KiB input message`, value: `${med(k, 'encode').toFixed(2)} µs`})
}
if (builds.base) rows.push({name: 'this / base', value: `decode+ack ${fmtRatio(med('this', 'decodeAck') / med('base', 'decodeAck'))}`, ratio: `frame ${fmtRatio(med('this', 'encode') / med('base', 'encode'))}`})
report({
  title: 'Native client: per-message framing work (no sockets)',
  rows,
  notes: [`${MESSAGES.toLocaleString('en')} messages per run; medians of ${runs(7)} interleaved runs after a warm-up round`],
})
