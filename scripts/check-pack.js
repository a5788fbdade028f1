#!/usr/bin/env node
// The README's install route, for real (CI, after npm test; needs the registry): npm pack, then
// npm install -g ./ssmx-<version>.tgz into a temporary prefix, then the installed ssmx runs --version and
// connect --dry-run against the fake AWS, and the installation has THIRD-PARTY-NOTICES naming bundled packages.
// Prints the tarball's and the installation's sizes.
//   node scripts/check-pack.js
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const {INSTANCE, sessionSandbox} = await import(new URL('../dist/test/support/aws-fixtures.js', import.meta.url).href)

const du = (dir) => Number(execFileSync('du', ['-sk', '--apparent-size', dir], {encoding: 'utf8'}).split('\t')[0]) * 1024
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`
const dir = mkdtempSync(join(tmpdir(), 'ssmx-check-pack-'))
const {fake, box} = await sessionSandbox()
let failed = false
const check = (ok, what) => {
  console.log(`${ok ? '✓' : '✗'} ${what}`)
  if (!ok) failed = true
}
const run = (command, args) =>
  new Promise((done) => {
    const child = spawn(command, args, {cwd: box.home, env: box.env})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => done({code, stdout, stderr}))
  })
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir, '--ignore-scripts'], {cwd: ROOT, encoding: 'utf8'}))
  const prefix = join(dir, 'prefix')
  execFileSync('npm', ['install', '-g', join(dir, packed.filename), '--prefix', prefix, '--no-audit', '--no-fund'], {cwd: dir, stdio: 'inherit'})
  console.log(`${packed.filename}: ${mb(packed.size)} packed, ${mb(packed.unpackedSize)} unpacked, ${packed.entryCount} files; installed with its dependencies: ${mb(du(prefix))}`)
  // the licences of the bundled npm packages (scripts/third-party-notices.js), which the bundles themselves leave out
  const notices = join(prefix, 'lib', 'node_modules', 'ssmx', 'THIRD-PARTY-NOTICES')
  const noticesText = existsSync(notices) ? readFileSync(notices, 'utf8') : ''
  const inTarball = packed.files.some((f) => f.path === 'THIRD-PARTY-NOTICES')
  check(inTarball && noticesText !== '', `THIRD-PARTY-NOTICES in the tarball and installed (${noticesText.length} bytes)`)
  const bundled = ['@oclif/core', '@aws-sdk/client-ssm', '@smithy/core', 'zod', 'yaml']
  const lines = noticesText.split('\n')
  const missing = bundled.filter((name) => !lines.some((line, i) => line.startsWith(`${name}@`) && lines[i + 1]?.startsWith('License: ')))
  check(missing.length === 0, `THIRD-PARTY-NOTICES lists ${bundled.join(', ')}${missing.length === 0 ? '' : ` (missing: ${missing.join(', ')})`}`)
  const ssmx = join(prefix, 'bin', 'ssmx')
  const version = await run(ssmx, ['--version'])
  check(version.code === 0 && /^ssmx\/\d+\.\d+\.\d+ /.test(version.stdout), `ssmx --version: ${version.stdout.trim() || version.stderr.trim()}`)
  const dry = await run(ssmx, ['connect', INSTANCE, '--profile', 'dev', '--dry-run'])
  check(dry.code === 0 && dry.stdout.includes('SSMX-RunAs-Developer'), `ssmx connect ${INSTANCE} --dry-run (fake AWS): exit ${dry.code}${dry.code === 0 ? '' : `\n${dry.stderr}`}`)
} finally {
  await fake.stop()
  box.cleanup()
  rmSync(dir, {recursive: true, force: true})
}
process.exitCode = failed ? 1 : 0
