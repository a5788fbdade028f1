// Build step: ship a post-run V8 code cache with each fast entry, so the first run after an install finds its
// code compiled (src/fast/code-cache.ts reads dist/fast/<id>.cjs.<node>-<arch>.v8cache when the user's own cache
// has nothing yet). Each entry runs once, as a user would run it, against a local fake SSM (dist/test/support)
// with a stand-in session-manager-plugin in a temporary HOME; the cache it leaves is copied next to the bundle.
// The cache is only good for this Node version and architecture: V8 rejects it elsewhere and ssmx falls back
// to writing the user's own. Skipped (with a note) when the test support was not built.
import {spawn} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const FAKE = join(ROOT, 'dist', 'test', 'support', 'fake-aws.js')
const INSTANCE = 'i-0123456789abcdef0'
const RUNS = {connect: [INSTANCE], forward: [INSTANCE, '0:80'], 'ssh-proxy': [INSTANCE]}

function run(cmd, args, options) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, {...options, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (status) => (clearTimeout(timer), resolvePromise({status, stderr})))
  })
}

if (!existsSync(FAKE)) {
  console.log('code cache: dist/test/support/fake-aws.js missing; no shipped code cache')
  process.exit(0)
}
const {FakeAws, toXml} = await import(FAKE)
const fake = await new FakeAws().start()
fake.on('ssm', 'StartSession', () => ({SessionId: 'build-0abc123', TokenValue: 'TOKEN', StreamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/build-0abc123'}))
fake.on('ssm', 'TerminateSession', (input) => ({SessionId: input.SessionId}))
fake.on('sts', 'GetCallerIdentity', () => toXml({Arn: 'arn:aws:iam::111122223333:user/build', UserId: 'AIDAFAKE', Account: '111122223333'}))
const home = mkdtempSync(join(tmpdir(), 'ssmx-code-cache-'))
try {
  mkdirSync(join(home, 'bin'))
  mkdirSync(join(home, '.aws'))
  writeFileSync(join(home, '.aws', 'config'), '[default]\nregion = eu-west-1\n')
  const plugin = join(home, 'bin', 'session-manager-plugin')
  writeFileSync(plugin, '#!/bin/sh\n[ "$1" = "--version" ] && echo 1.2.707.0\nexit 0\n')
  chmodSync(plugin, 0o755)
  const env = {
    HOME: home,
    PATH: [join(home, 'bin'), dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)].join(delimiter),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    AWS_ACCESS_KEY_ID: 'AKIAFAKEBUILD',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-build',
    AWS_REGION: 'eu-west-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: fake.url,
    NO_COLOR: '1',
  }
  const codeDir = join(home, '.cache', 'ssmx', 'code')
  const shipped = []
  for (const [id, args] of Object.entries(RUNS)) {
    if (!existsSync(join(ROOT, 'dist', 'fast', `${id}.cjs`))) continue
    // an older shipped cache would be read instead of writing a new one
    for (const old of readdirSync(join(ROOT, 'dist', 'fast'))) if (old.startsWith(`${id}.cjs.`) && old.endsWith('.v8cache')) rmSync(join(ROOT, 'dist', 'fast', old))
    // not spawnSync: the fake SSM answers from this process's event loop
    const r = await run(process.execPath, [join(ROOT, 'bin', 'run.js'), id, ...args, '--endpoint-url', fake.url], {env, cwd: home})
    const made = existsSync(codeDir) ? readdirSync(codeDir).find((f) => f.startsWith(`${id}.cjs-`) && !f.includes('.partial')) : undefined
    if (r.status !== 0 || !made) throw new Error(`code cache: \`ssmx ${id}\` exited ${r.status} without a cache:\n${r.stderr}`)
    const target = join(ROOT, 'dist', 'fast', `${id}.cjs.${process.version}-${process.arch}.v8cache`)
    copyFileSync(join(codeDir, made), target)
    // read by every user of an install; written by nobody but the build
    chmodSync(target, 0o644)
    shipped.push(id)
  }
  console.log(`code cache: shipped for ${shipped.join(', ')} (node ${process.version}, ${process.arch})`)
} finally {
  await fake.stop()
  rmSync(home, {recursive: true, force: true})
}
