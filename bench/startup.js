#!/usr/bin/env node
// Start-up and time to hand-off, measured side by side in one run:
//   - `ssmx connect i-…`, `aws ssm start-session --target i-…` and a minimal Node script (the floor):
//     from spawning the process until the (fake) session-manager-plugin starts, against a local fake SSM
//     endpoint with static credentials;
//   - `ssmx --version`, `ssmx --help`, `ssmx whoami --json` and `node -e 0`: wall time;
//   - `ssmx connect` also through oclif (SSMX_NO_FAST=1), on a first run after install (no code caches yet: only the
//     one the package ships) and on a new machine (no caches at all), to show what the fast start (src/fast/) and
//     its caches each take off;
//   - peak RSS of `ssmx connect`.
// Usage: npm run build && node bench/startup.js [--json]      (BENCH_RUNS=N, default 15)
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {BIN, BenchBox, INSTANCE, ROOT, fakeSsm, fmtMiB, fmtMs, fmtRatio, interleave, median, report, runs, timed, which} from './lib.js'

const FLOOR = join(ROOT, 'bench', 'support', 'floor-connect.mjs')

/** Debian's awscli package installs /usr/bin/aws; AWS_CLI overrides, else `aws` on PATH. */
function findAwsCli() {
  if (process.env.AWS_CLI) return process.env.AWS_CLI
  return which('aws', `/usr/bin:${process.env.PATH ?? ''}`)
}

export async function startup() {
  const {fake, toXml} = await fakeSsm()
  fake.on('sts', 'GetCallerIdentity', () => toXml({Arn: 'arn:aws:iam::111122223333:user/bench', UserId: 'AIDAFAKE', Account: '111122223333'}))
  const box = new BenchBox(fake.url)
  // every other service (STS for whoami) goes to the fake too; --endpoint-url covers SSM for all three
  const env = box.staticEnv(fake.url)
  const n = runs()
  const notes = []
  const aws = findAwsCli()
  let awsVersion
  if (aws) {
    const v = await timed(aws, ['--version'], {env}).catch((e) => ({stdout: '', stderr: String(e)}))
    awsVersion = (v.stdout || v.stderr).trim().split(/\s+/)[0]
  } else {
    notes.push('the AWS CLI is not installed (apt-get install -y awscli): its column is skipped')
  }
  const handoff = async (cmd, args, extraEnv = {}) => {
    const r = await timed(cmd, args, {env: {...env, ...extraEnv}, cwd: box.home, box})
    if (r.handoff === undefined) throw new Error(`${cmd} ${args.join(' ')} never started the plugin:\n${r.stderr}`)
    return r.handoff
  }
  const wall = async (cmd, args) => (await timed(cmd, args, {env, cwd: box.home})).wall
  const node = process.execPath
  const connectArgs = [BIN, 'connect', INSTANCE, '--endpoint-url', fake.url]
  try {
    const variants = {
      'node -e 0': () => wall(node, ['-e', '0']),
      'ssmx --version': () => wall(node, [BIN, '--version']),
      'ssmx --help': () => wall(node, [BIN, '--help']),
      'ssmx whoami --json': () => wall(node, [BIN, 'whoami', '--json']),
      'floor (SDK StartSession + spawn)': () => handoff(node, [FLOOR, INSTANCE, fake.url]),
      'ssmx connect': () => handoff(node, connectArgs),
      'ssmx connect, oclif': () => handoff(node, connectArgs, {SSMX_NO_FAST: '1'}),
      'ssmx connect, first run': () => {
        // the V8 code cache and Node's compile cache (XDG_CACHE_HOME/ssmx/code, /node) gone, as after an install or
        // upgrade: only what the package ships (its build-time code cache) helps; this run writes them again
        for (const d of ['code', 'node']) rmSync(join(env.XDG_CACHE_HOME, 'ssmx', d), {recursive: true, force: true})
        return handoff(node, connectArgs)
      },
      'ssmx connect, new machine': () => {
        // no cache at all: static credentials also need STS GetCallerIdentity once (cached per access key); an SSO
        // profile names its permission set itself and never calls STS
        rmSync(join(env.XDG_CACHE_HOME, 'ssmx'), {recursive: true, force: true})
        return handoff(node, connectArgs)
      },
      ...(aws ? {'aws ssm start-session': () => handoff(aws, ['ssm', 'start-session', '--target', INSTANCE, '--endpoint-url', fake.url])} : {}),
    }
    const samples = await interleave(variants, n)
    const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
    const rss = []
    for (let i = 0; i < 3; i++) rss.push((await timed(node, connectArgs, {env, cwd: box.home, box, rss: true})).rssBytes)
    const peak = Math.max(...rss)
    const base = med['node -e 0']
    const ratio = (a, b) => med[a] / med[b]
    const rows = [
      {name: 'node -e 0', value: fmtMs(base)},
      {name: 'ssmx --version', value: fmtMs(med['ssmx --version']), ratio: `${fmtRatio(ratio('ssmx --version', 'node -e 0'))} node -e 0`, budget: '≤ 2.00×', ok: ratio('ssmx --version', 'node -e 0') <= 2},
      {name: 'ssmx --help', value: fmtMs(med['ssmx --help']), ratio: `${fmtRatio(ratio('ssmx --help', 'node -e 0'))} node -e 0`, budget: '≤ 2.00×', ok: ratio('ssmx --help', 'node -e 0') <= 2},
      {name: 'ssmx whoami --json (wall)', value: fmtMs(med['ssmx whoami --json'])},
      {name: 'hand-off: floor (SDK StartSession + spawn)', value: fmtMs(med['floor (SDK StartSession + spawn)'])},
      ...(aws ? [{name: `hand-off: aws ssm start-session (${awsVersion})`, value: fmtMs(med['aws ssm start-session'])}] : []),
      {name: 'hand-off: ssmx connect through oclif (SSMX_NO_FAST=1)', value: fmtMs(med['ssmx connect, oclif']), ratio: `${fmtRatio(ratio('ssmx connect, oclif', 'ssmx connect'))} fast`},
      {name: 'hand-off: ssmx connect, first run after install (no code caches)', value: fmtMs(med['ssmx connect, first run']), ratio: `${fmtRatio(ratio('ssmx connect, first run', 'ssmx connect'))} fast`},
      {name: 'hand-off: ssmx connect, new machine (no caches, + STS once)', value: fmtMs(med['ssmx connect, new machine']), ratio: `${fmtRatio(ratio('ssmx connect, new machine', 'ssmx connect'))} fast`},
      {name: 'hand-off: ssmx connect', value: fmtMs(med['ssmx connect']), ratio: `${fmtRatio(ratio('ssmx connect', 'floor (SDK StartSession + spawn)'))} floor`, budget: '≤ 1.10×', ok: ratio('ssmx connect', 'floor (SDK StartSession + spawn)') <= 1.1},
      ...(aws
        ? [{name: 'hand-off: ssmx connect vs aws', value: fmtMs(med['ssmx connect']), ratio: `${fmtRatio(ratio('ssmx connect', 'aws ssm start-session'))} aws`, budget: '≤ 0.25×', ok: ratio('ssmx connect', 'aws ssm start-session') <= 0.25},
            {name: 'hand-off: ssmx connect first run vs aws', value: fmtMs(med['ssmx connect, first run']), ratio: `${fmtRatio(ratio('ssmx connect, first run', 'aws ssm start-session'))} aws`, budget: '≤ 0.20×', ok: ratio('ssmx connect, first run', 'aws ssm start-session') <= 0.2}]
        : []),
      {name: 'ssmx connect peak RSS (max of 3)', value: fmtMiB(peak), budget: '≤ 100 MiB', ok: peak <= 100 * 1024 * 1024},
    ]
    notes.push(`medians of ${n} interleaved runs after 2 warm-up rounds; hand-off = spawn → fake plugin start; static credentials, fake SSM on ${fake.url}`)
    return {title: 'Start-up and time to hand-off', rows, notes, samples}
  } finally {
    await fake.stop()
    box.cleanup()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) report(await startup())
