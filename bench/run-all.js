#!/usr/bin/env node
// `npm run bench`: runs every bench/*.js script (after `npm run build`) one after the other, each in its own
// process, and prints one table. Helpers live in bench/support/ (and bench/lib.js), never here. A script that reports through report() in lib.js is run with --json and joins
// the table; any other script runs without arguments and its output is printed after the table as it is. A failing script is reported and the others still run.
// BENCH_RUNS=N sets the timed runs per variant (default 15).
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {ROOT, formatTable} from './lib.js'

const ORDER = ['startup.js', 'round-trips.js', 'admin-scale.js', 'picker.js', 'native-latency.js', 'native-framing.js', 'native-throughput.js', 'native-memory.js', 'broker.js']
const HERE = join(ROOT, 'bench')

if (!existsSync(join(ROOT, 'dist', 'bundle', 'main.js'))) {
  console.error('bench: run `npm run build` first.')
  process.exit(2)
}

const scripts = readdirSync(HERE)
  .filter((f) => f.endsWith('.js') && f !== 'run-all.js' && f !== 'lib.js')
  .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b))

function run(script) {
  // --json only for scripts that print through report() (lib.js); others run with their own defaults
  const json = /\breport\(/.test(readFileSync(join(HERE, script), 'utf8'))
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(HERE, script), ...(json ? ['--json'] : [])], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('close', (code) => resolve({code, out}))
  })
}

const results = []
const raw = []
const started = Date.now()
for (const script of scripts) {
  process.stderr.write(`bench: ${script}…\n`)
  const {code, out} = await run(script)
  let parsed
  try {
    parsed = JSON.parse(out.trim().split('\n').pop() ?? '')
  } catch {}
  if (code === 0 && parsed && Array.isArray(parsed.rows)) results.push({...parsed, title: `${parsed.title}  [bench/${script}]`})
  else if (code === 0) raw.push(`## bench/${script}\n${out.trimEnd()}`)
  else results.push({title: `bench/${script}`, rows: [{name: 'failed', value: `exit ${code}`, ok: false}], notes: [out.trim().slice(0, 500)]})
}
process.stdout.write(`${formatTable(results)}\n`)
for (const block of raw) process.stdout.write(`\n${block}\n`)
process.stdout.write(`\n(${scripts.length} benches in ${Math.round((Date.now() - started) / 1000)} s; node ${process.version}; ${process.env.BENCH_RUNS ?? 15} runs per variant)\n`)
