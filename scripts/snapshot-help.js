#!/usr/bin/env node
// Build step after `oclif manifest`: renders the root help with oclif itself (non-terminal output, 80 columns)
// and stores it for src/fast/help.ts, with the user agent it contains (replaced at run time by the running
// Node's). No snapshot, so no fast path, when any plugin has an init hook (oclif would run it first).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const OUT = join(ROOT, 'dist', 'bundle', 'root-help.json')
rmSync(OUT, {force: true})

const config = await Config.load(ROOT)
const initHooks = [...config.plugins.values()].filter((p) => (p.hooks?.init ?? []).length > 0).map((p) => p.name)
if (initHooks.length > 0) {
  console.log(`no help snapshot: ${initHooks.join(', ')} ha${initHooks.length > 1 ? 've' : 's'} init hooks`)
  process.exit(0)
}
const dataHome = mkdtempSync(join(tmpdir(), 'ssmx-snapshot-'))
const env = {...process.env, OCLIF_COLUMNS: '80', XDG_DATA_HOME: dataHome}
delete env.FORCE_COLOR
delete env.DEBUG
const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), '--help'], {env, encoding: 'utf8'})
rmSync(dataHome, {recursive: true, force: true})
if (run.status !== 0 || !run.stdout.includes(config.userAgent)) {
  console.error(`ssmx --help failed (${run.status}):\n${run.stderr}`)
  process.exit(1)
}
const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
writeFileSync(OUT, `${JSON.stringify({version, userAgent: config.userAgent, help: run.stdout})}\n`)
console.log(`wrote ${OUT}`)
