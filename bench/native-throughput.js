#!/usr/bin/env node
// A native port forward as a user runs one: the client alone in its process (bench/support/native-client.js),
// the fake agent and a TCP echo server in another, this process driving bytes through the forwarded port and
// checking every echoed byte. Per client: throughput, CPU seconds per MiB (the client process's), its RSS idle,
// at peak and after the transfer (from /proc), the 1-byte round trip through the forward, and the messages resent
// each way (the agent's counters). Every byte crosses the channel twice (echo).
//
// Clients, interleaved run by run so machine noise hits each alike:
//   - native: this checkout's build;
//   - cli: the whole `ssmx forward --native` process (bin/run.js: the bundle, with the AWS SDK it keeps for
//     TerminateSession and ResumeSession), against a fake SSM here that starts its sessions on the same agent;
//   - base: another build's client (BENCH_NATIVE_BASE=/path/to/other/checkout, after its `npm run build`), same agent;
//   - plugin: session-manager-plugin when one is on PATH (it listens on the localPortNumber the handshake names).
// Usage: npm run build && node bench/native-throughput.js [MiB] [runs] [--json]   (default 64 MiB, 3 runs)
//        node bench/native-throughput.js 2048 1        the 2 GiB memory check of issue 14
import {execFileSync, fork, spawn} from 'node:child_process'
import {availableParallelism} from 'node:os'
import {randomBytes} from 'node:crypto'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect, createServer} from 'node:net'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {BIN, BenchBox, INSTANCE, fakeAws, fmtRatio, median, report, which} from './lib.js'

const numbers = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number)
const mib = numbers[0] ?? 64
const runs = numbers[1] ?? 3
const HERE = new URL('support/', import.meta.url)
const BLOCK = randomBytes(1024 * 1024 + 7) // odd length: chunk borders move through the stream

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const cores = availableParallelism()
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** RSS (bytes) and CPU seconds (user + system) of a process, from /proc. */
function usage(pid) {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return {rss, cpu: (Number(fields[11]) + Number(fields[12])) / ticks}
  } catch {
    return {rss: 0, cpu: 0}
  }
}

// ---- the agent process -------------------------------------------------------------------------------
const agentChild = fork(new URL('native-agent.js', HERE), ['forward'], {execArgv: process.env.BENCH_AGENT_NODE_OPTIONS?.split(' ') ?? []})
const {echoPort} = await new Promise((r) => agentChild.once('message', r))
const ask = (request, key) =>
  new Promise((resolve) => {
    const on = (m) => {
      if (m && key in m) {
        agentChild.off('message', on)
        resolve(m[key])
      }
    }
    agentChild.on('message', on)
    agentChild.send(request)
  })

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const {port} = s.address()
  await new Promise((r) => s.close(r))
  return port
}

async function waitForPort(port, child) {
  for (let i = 0; i < 500 && child.exitCode === null; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => (s.destroy(), resolve(true)))
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await sleep(20)
  }
  throw new Error(`nothing listens on port ${port}`)
}

// ---- the clients -------------------------------------------------------------------------------------
/** For the whole CLI: a fake SSM whose StartSession asks the agent process for a port session, and a HOME for ssmx. */
let cliWorld
async function cliSetup() {
  if (cliWorld) return cliWorld
  const {FakeAws} = await fakeAws()
  const fake = await new FakeAws().start()
  const sessions = []
  fake.on('ssm', 'StartSession', async (input) => {
    const session = await ask({create: 'forward', localPortNumber: input.Parameters.localPortNumber[0]}, 'session')
    sessions.push(session.SessionId)
    return session
  })
  fake.on('ssm', 'TerminateSession', (input) => ({SessionId: input.SessionId}))
  const box = new BenchBox(fake.url)
  const env = box.staticEnv(fake.url)
  cliWorld = {fake, box, env, sessions}
  return cliWorld
}

/** Starts a client; resolves {pid, port, sessionId, stop()}. */
async function startClient(kind) {
  if (kind === 'cli') {
    const {box, env, sessions} = await cliSetup()
    // BENCH_MEMORY_DETAIL: a probe in the process answers memory()/heapSummary() on a signal (it has no IPC)
    const probe = process.env.BENCH_MEMORY_DETAIL ? join(box.home, `memory-${Math.random().toString(36).slice(2)}.json`) : undefined
    const nodeOptions = [process.env.BENCH_CLIENT_NODE_OPTIONS, probe && `--import=${fileURLToPath(new URL('memory-probe.mjs', HERE))}`].filter(Boolean).join(' ')
    const child = spawn(process.execPath, [BIN, 'forward', INSTANCE, `0:${echoPort}`, '--native'], {
      cwd: box.home,
      env: {...env, ...(nodeOptions ? {NODE_OPTIONS: nodeOptions} : {}), ...(probe ? {BENCH_MEMORY_FILE: probe} : {})},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    for (let i = 0; i < 500 && child.exitCode === null && !/Forwarding localhost:(\d+)/.test(stderr); i++) await sleep(20)
    const port = Number(/Forwarding localhost:(\d+)/.exec(stderr)?.[1])
    if (!port) throw new Error(`ssmx forward --native did not start:\n${stderr}`)
    await waitForPort(port, child)
    const request = async (what) => {
      rmSync(probe, {force: true})
      writeFileSync(`${probe}.request`, what)
      child.kill('SIGUSR2')
      for (let i = 0; i < 500 && !existsSync(probe); i++) await sleep(20)
      return JSON.parse(readFileSync(probe, 'utf8'))
    }
    const memory = probe ? {memory: () => request('memory'), heapSummary: () => request('heapSummary')} : {}
    return {pid: child.pid, port, sessionId: sessions.at(-1), ...memory, stop: () => stopChild(child, () => child.kill('SIGINT'))}
  }
  if (kind === 'plugin') {
    const localPort = await freePort()
    const session = await ask({create: 'forward', localPortNumber: String(localPort)}, 'session')
    const parameters = {Target: 'i-0123456789abcdef0'}
    const child = spawn(which('session-manager-plugin'), [JSON.stringify(session), 'eu-west-1', 'StartSession', '', JSON.stringify(parameters), 'https://ssm.eu-west-1.amazonaws.com'], {stdio: ['ignore', 'ignore', 'ignore']})
    await waitForPort(localPort, child)
    return {pid: child.pid, port: localPort, sessionId: session.SessionId, stop: () => stopChild(child, () => child.kill('SIGTERM'))}
  }
  const session = await ask({create: 'forward'}, 'session')
  const dist = kind === 'base' ? join(process.env.BENCH_NATIVE_BASE, 'dist') : undefined
  const child = fork(new URL('native-client.js', HERE), ['forward', JSON.stringify(session), ...(dist ? [dist] : [])], {stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: process.env.BENCH_CLIENT_NODE_OPTIONS?.split(' ') ?? []})
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.listening))
    child.once('exit', (code) => reject(new Error(`the ${kind} client exited ${code}`)))
  })
  const request = (what) => new Promise((resolve) => (child.once('message', (m) => resolve(m[what])), child.send(what)))
  return {pid: child.pid, port, sessionId: session.SessionId, memory: () => request('memory'), heapSummary: () => request('heapSummary'), stop: () => stopChild(child, () => child.send('stop'))}
}

function stopChild(child, how) {
  if (child.exitCode !== null) return Promise.resolve()
  const exited = new Promise((r) => child.once('exit', r))
  how()
  const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
  return exited.finally(() => clearTimeout(kill))
}

/**
 * Sends `total` bytes through the forward and reads the echo; resolves the seconds taken once every byte is back.
 * Every echoed byte is compared with what was sent at its offset (memcmp against BLOCK, cheap enough not to take
 * CPU from the client and agent this 2-core machine shares with them).
 */
async function transfer(port, total) {
  const socket = connect(port, '127.0.0.1')
  await new Promise((r, j) => socket.once('connect', r).once('error', j))
  let received = 0
  let mismatch
  const t0 = performance.now()
  const done = new Promise((resolve, reject) => {
    socket.on('data', (d) => {
      for (let at = 0; at < d.length && mismatch === undefined; ) {
        const start = (received + at) % BLOCK.length
        const n = Math.min(d.length - at, BLOCK.length - start)
        if (BLOCK.compare(d, at, at + n, start, start + n) !== 0) mismatch = received + at
        at += n
      }
      received += d.length
      if (mismatch !== undefined) reject(new Error(`the echo differs from what was sent, from byte ${mismatch} on`))
      else if (received >= total) resolve()
    })
    socket.once('error', reject)
    socket.once('close', () => received < total && reject(new Error(`connection closed after ${received} of ${total} bytes`)))
  })
  let offset = 0
  while (offset < total) {
    const start = offset % BLOCK.length
    const piece = BLOCK.subarray(start, Math.min(BLOCK.length, start + 256 * 1024, start + total - offset))
    offset += piece.length
    if (!socket.write(piece)) await new Promise((r) => socket.once('drain', r))
  }
  await done
  const seconds = (performance.now() - t0) / 1000
  socket.destroy()
  if (received !== total) throw new Error(`received ${received} bytes, sent ${total}`)
  return seconds
}

/** 1-byte round trips through the forward: [median, p99] in ms (first 10% dropped). */
async function roundTrips(port, rounds = 500) {
  const socket = connect(port, '127.0.0.1')
  await new Promise((r) => socket.once('connect', r))
  socket.setNoDelay(true)
  let next
  socket.on('data', () => next?.())
  const times = []
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now()
    await new Promise((resolve) => {
      next = resolve
      socket.write(Buffer.from([0x61 + (i % 26)]))
    })
    times.push(performance.now() - t0)
  }
  socket.destroy()
  const kept = times.slice(rounds / 10).sort((a, b) => a - b)
  return [median(kept), kept[Math.floor(kept.length * 0.99)]]
}

/** One client, one run: idle RSS, the transfer (sampling RSS), RSS after, round trips, resends. */
async function measure(kind) {
  const c = await startClient(kind)
  const detail = process.env.BENCH_MEMORY_DETAIL && c.memory ? [] : undefined
  try {
    await sleep(300)
    const idle = usage(c.pid)
    if (detail) detail.push(['idle', await c.memory()])
    // where the machine's CPU goes during the transfer: the client, the fake agent with the echo server, this driver
    const agentCpu0 = usage(agentChild.pid).cpu
    const driverCpu0 = process.cpuUsage()
    let peak = idle.rss
    const sampler = setInterval(() => (peak = Math.max(peak, usage(c.pid).rss)), 50)
    const seconds = await transfer(c.port, mib * 1024 * 1024)
    clearInterval(sampler)
    if (detail) detail.push(['end of transfer', await c.memory()])
    const cpu = usage(c.pid).cpu - idle.cpu
    const agentCpu = usage(agentChild.pid).cpu - agentCpu0
    const driver = process.cpuUsage(driverCpu0)
    const driverCpu = (driver.user + driver.system) / 1e6
    await sleep(1000)
    const after = usage(c.pid).rss
    if (detail) detail.push(['1 s after', await c.memory()])
    const [rtt, rtt99] = await roundTrips(c.port)
    const stats = await ask({stats: c.sessionId}, 'stats')
    if (detail) printMemoryDetail(kind, detail, await c.heapSummary())
    return {mibps: mib / seconds, cpuPerMib: cpu / mib, agentCpuPerMib: agentCpu / mib, driverCpuPerMib: driverCpu / mib, idle: idle.rss, peak: Math.max(peak, after), after, rtt, rtt99, agentResent: stats?.resent ?? 0, clientResent: stats?.clientDuplicates ?? 0}
  } finally {
    await c.stop()
  }
}

/** BENCH_MEMORY_DETAIL: where the client's resident memory is at each point (MiB), and what its JavaScript heap holds. */
function printMemoryDetail(kind, points, heap) {
  const columns = ['rss', 'node', 'files', 'mallocMain', 'anonymous', 'heapTotal', 'heapUsed', 'arrayBuffers']
  const row = (cells) => cells.map((c, i) => String(c).padStart(i === 0 ? 16 : 12)).join('')
  const lines = [`${kind}: resident memory by mapping and V8's heap, MiB`, row(['', ...columns])]
  for (const [label, m] of points) {
    const mib = (b) => (b / 1048576).toFixed(1)
    lines.push(row([label, mib(m.rss), ...['node', 'files', 'mallocMain', 'anonymous'].map((k) => m.mappings[k].toFixed(1)), mib(m.heapTotal), mib(m.heapUsed), mib(m.arrayBuffers)]))
  }
  lines.push(`${kind}: the heap after the run (a heap snapshot, live objects only): ${heap.total.toFixed(1)} MiB in ${heap.count.toLocaleString('en')} objects; the largest kinds:`)
  for (const k of heap.top) lines.push(`  ${k.size.toFixed(2).padStart(7)} MiB ${String(k.count).padStart(8)} × ${k.name}`)
  const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`
  const g = heap.afterGc
  lines.push(`${kind}: just after the snapshot's full GC (the heap snapshot itself is in RSS too): heap used ${mib(g.heapUsed)}, Buffers ${mib(g.arrayBuffers)}, RSS ${mib(g.rss)}`)
  process.stderr.write(`${lines.join('\n')}\n`)
}

const tcp = []
const kinds = ['native', 'cli', ...(process.env.BENCH_NATIVE_BASE ? ['base'] : []), ...(which('session-manager-plugin') ? ['plugin'] : [])]
const samples = Object.fromEntries(kinds.map((k) => [k, []]))
for (let i = 0; i < runs; i++) {
  tcp.push(mib / (await transfer(echoPort, mib * 1024 * 1024)))
  for (const k of kinds) samples[k].push(await measure(k))
}
agentChild.send('stop')
if (cliWorld) {
  await cliWorld.fake.stop()
  cliWorld.box.cleanup()
}

const med = (k, f) => median(samples[k].map((s) => s[f]))
const max = (k, f) => Math.max(...samples[k].map((s) => s[f]))
const MiB = (b) => `${(b / 1048576).toFixed(0)} MiB`
const label = {native: 'native client (this build)', cli: 'ssmx forward --native (the whole CLI process)', base: `native client (${process.env.BENCH_NATIVE_BASE})`, plugin: 'session-manager-plugin'}
const rows = [{name: 'plain loopback TCP (the same echo server)', value: `${median(tcp).toFixed(1)} MiB/s`}]
for (const k of kinds) {
  rows.push({name: `${label[k]}: throughput`, value: `${med(k, 'mibps').toFixed(1)} MiB/s`, ratio: `${med(k, 'cpuPerMib').toFixed(3)} CPU s/MiB`, ...(k === 'native' ? {budget: '≥ 35 MiB/s, ≤ 0.03 s/MiB', ok: med(k, 'mibps') >= 35 && med(k, 'cpuPerMib') <= 0.03} : {})})
  const grew = med(k, 'after') / med(k, 'idle') - 1
  rows.push({name: `${label[k]}: RSS idle / peak / after`, value: `${MiB(med(k, 'idle'))} / ${MiB(max(k, 'peak'))} / ${MiB(med(k, 'after'))}`, ratio: `after ${grew >= 0 ? '+' : ''}${(grew * 100).toFixed(0)}%`, ...(k === 'native' ? {budget: '≤ 60 / ≤ 100 MiB, ≤ +10%', ok: med(k, 'idle') <= 60 * 1048576 && max(k, 'peak') <= 100 * 1048576 && grew <= 0.1} : {})})
  const total = med(k, 'cpuPerMib') + med(k, 'agentCpuPerMib') + med(k, 'driverCpuPerMib')
  rows.push({
    name: `${label[k]}: CPU s/MiB client + agent + driver`,
    value: `${med(k, 'cpuPerMib').toFixed(3)} + ${med(k, 'agentCpuPerMib').toFixed(3)} + ${med(k, 'driverCpuPerMib').toFixed(3)}`,
    ratio: `= ${total.toFixed(3)}: ≤ ${(cores / total).toFixed(0)} MiB/s on ${cores} cores`,
  })
  rows.push({name: `${label[k]}: 1-byte round trip median / p99`, value: `${med(k, 'rtt').toFixed(3)} / ${med(k, 'rtt99').toFixed(3)} ms`, ratio: `resent: agent ${samples[k].map((s) => s.agentResent).join(',')}, client ${samples[k].map((s) => s.clientResent).join(',')}`})
}
for (const other of kinds.filter((k) => k === 'base' || k === 'plugin')) {
  rows.push({name: `native / ${other}`, value: `throughput ${fmtRatio(med('native', 'mibps') / med(other, 'mibps'))}`, ratio: `RTT ${fmtRatio(med('native', 'rtt') / med(other, 'rtt'))}, peak RSS ${fmtRatio(max('native', 'peak') / max(other, 'peak'))}, CPU/MiB ${fmtRatio(med('native', 'cpuPerMib') / med(other, 'cpuPerMib'))}`})
}
const notes = [`${mib} MiB echoed per run, ${runs} run(s) per client, interleaved; medians (peak: max); RSS sampled every 50 ms from /proc; the client runs alone in its process`]
if (!kinds.includes('plugin')) notes.push('skipped the session-manager-plugin rows: no session-manager-plugin on PATH')
if (!kinds.includes('base')) notes.push('set BENCH_NATIVE_BASE=<another checkout, built> to compare with its client')
report({title: `Native client: port forward (${mib} MiB, client in its own process)`, rows, notes})
process.exit(0)
