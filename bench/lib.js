// Shared helpers for the benchmarks: a sandbox HOME, a fake session-manager-plugin that records when it
// starts, timed child processes, peak RSS, medians and the table every bench prints.
// Plain JS, run after `npm run build` (it reuses the compiled FakeAws from dist/test/support).
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const BIN = join(ROOT, 'bin', 'run.js')
export const INSTANCE = 'i-0123456789abcdef0'
export const SESSION = {SessionId: 'bench-0abc123', TokenValue: 'TOKEN-VALUE', StreamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/bench-0abc123'}
const RSS_HOOK = join(ROOT, 'bench', 'support', 'rss-hook.mjs')

/** Number of timed runs per variant: BENCH_RUNS, default 15 (odd, so the median is one run). */
export const runs = (fallback = 15) => Math.max(1, Number(process.env.BENCH_RUNS ?? fallback))

/** The compiled FakeAws; tells the user to build first when it is missing. */
export async function fakeAws() {
  const path = join(ROOT, 'dist', 'test', 'support', 'fake-aws.js')
  if (!existsSync(path)) {
    console.error('bench: dist/ is missing; run `npm run build` first.')
    process.exit(2)
  }
  return import(path)
}

/** A started FakeAws answering SSM StartSession/TerminateSession, plus the module (toXml, AwsFault, …). */
export async function fakeSsm() {
  const mod = await fakeAws()
  const fake = await new mod.FakeAws().start()
  fake.on('ssm', 'StartSession', () => SESSION).on('ssm', 'TerminateSession', (i) => ({SessionId: i.SessionId}))
  return {fake, ...mod}
}

/**
 * A temporary HOME with ~/.aws/config, and a session-manager-plugin (bash: $EPOCHREALTIME needs no fork)
 * that answers --version and otherwise appends the wall-clock time it started to $BENCH_PLUGIN_LOG, then exits 0.
 */
export class BenchBox {
  constructor(endpoint) {
    this.home = mkdtempSync(join(tmpdir(), 'ssmx-bench-'))
    this.bin = join(this.home, 'bin')
    this.pluginLog = join(this.home, 'plugin.log')
    mkdirSync(join(this.home, '.aws', 'sso', 'cache'), {recursive: true})
    mkdirSync(this.bin)
    const plugin = join(this.bin, 'session-manager-plugin')
    writeFileSync(plugin, '#!/bin/bash\nif [ "$1" = "--version" ]; then echo 1.2.707.0; exit 0; fi\necho "$EPOCHREALTIME" >> "$BENCH_PLUGIN_LOG"\n')
    chmodSync(plugin, 0o755)
    this.env = {
      HOME: this.home,
      PATH: [this.bin, dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)].join(delimiter),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      BENCH_PLUGIN_LOG: this.pluginLog,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      XDG_CACHE_HOME: join(this.home, '.cache'),
      NO_COLOR: '1',
      TERM: 'dumb',
      ...(endpoint ? {BENCH_ENDPOINT: endpoint} : {}),
    }
  }

  /** A default profile in eu-west-1, static keys in the environment, every AWS call to `endpoint`: the env to run ssmx with. */
  staticEnv(endpoint) {
    this.file('.aws/config', '[default]\nregion = eu-west-1\n')
    return {...this.env, AWS_ACCESS_KEY_ID: 'AKIAFAKEBENCH', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-bench', AWS_ENDPOINT_URL: endpoint}
  }

  file(relative, text) {
    const path = join(this.home, relative)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, text)
    return path
  }

  /** Wall-clock start times (ms since the epoch) the plugin recorded, oldest first. */
  pluginStarts() {
    if (!existsSync(this.pluginLog)) return []
    return readFileSync(this.pluginLog, 'utf8').trim().split('\n').filter(Boolean).map((s) => Number(s.replace(',', '.')) * 1000)
  }

  cleanup() {
    rmSync(this.home, {recursive: true, force: true})
  }
}

const nowMs = () => performance.timeOrigin + performance.now()

/**
 * Runs a command once; resolves with its wall time and, when the plugin ran, the time from spawn to the
 * plugin's start (the hand-off). Rejects on a non-zero exit so a broken variant never yields a number.
 */
export function timed(cmd, args, {env, cwd, box, rss = false} = {}) {
  return new Promise((resolvePromise, reject) => {
    const before = box ? box.pluginStarts().length : 0
    const rssFile = rss ? join(tmpdir(), `ssmx-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`) : undefined
    const childEnv = {...env, ...(rssFile ? {NODE_OPTIONS: `--import=${RSS_HOOK}`, BENCH_RSS_FILE: rssFile} : {})}
    const t0 = nowMs()
    const child = spawn(cmd, args, {env: childEnv, cwd, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const wall = nowMs() - t0
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${err.slice(0, 2000)}${out.slice(0, 500)}`))
        return
      }
      const starts = box ? box.pluginStarts().slice(before) : []
      let rssBytes
      if (rssFile && existsSync(rssFile)) {
        rssBytes = Number(readFileSync(rssFile, 'utf8'))
        rmSync(rssFile, {force: true})
      }
      resolvePromise({wall, handoff: starts.length > 0 ? starts[0] - t0 : undefined, rssBytes, stdout: out, stderr: err})
    })
  })
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Runs each variant `n` times, interleaved (a, b, c, a, b, c, …) after `warmup` untimed rounds, so that
 * machine noise hits every variant alike. `variants` maps a name to an async function returning a number (ms).
 */
export async function interleave(variants, n, warmup = 2) {
  // BENCH_FILTER=regex keeps only the matching variants (for quick iterations; ratios need both sides)
  const filter = process.env.BENCH_FILTER ? new RegExp(process.env.BENCH_FILTER) : undefined
  if (filter) variants = Object.fromEntries(Object.entries(variants).filter(([k]) => filter.test(k)))
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
  for (let i = 0; i < warmup + n; i++) {
    for (const [name, fn] of Object.entries(variants)) {
      const v = await fn()
      if (i >= warmup) samples[name].push(v)
    }
  }
  return samples
}

/** The first executable named `name` on PATH, or undefined. */
export function which(name, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const p = join(dir, name)
    if (spawnSync('test', ['-x', p]).status === 0) return p
  }
  return undefined
}

export const fmtMs = (ms) => (ms === undefined || Number.isNaN(ms) ? '-' : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`)
export const fmtMiB = (bytes) => (bytes === undefined ? '-' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`)
export const fmtRatio = (r) => (r === undefined || Number.isNaN(r) ? '-' : `${r.toFixed(2)}×`)

/**
 * A bench's result: `rows` of {name, value, ratio?, budget?, ok?} plus free-text `notes`.
 * With --json (as bench/run-all.js runs it) the result is printed as one JSON object; otherwise as a table.
 */
export function report(result) {
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return
  }
  process.stdout.write(`${formatTable([result])}\n`)
}

export function formatTable(results) {
  const rows = []
  for (const r of results) {
    rows.push([`## ${r.title}`])
    for (const row of r.rows) rows.push([row.name, row.value ?? '-', row.ratio ?? '', row.budget ?? '', row.ok === undefined ? '' : row.ok ? 'ok' : 'OVER'])
    for (const note of r.notes ?? []) rows.push([`   note: ${note}`])
  }
  const widths = [0, 0, 0, 0, 0]
  for (const row of rows) if (row.length > 1) row.forEach((c, i) => (widths[i] = Math.max(widths[i], String(c).length)))
  return rows.map((row) => (row.length === 1 ? row[0] : row.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd())).join('\n')
}
