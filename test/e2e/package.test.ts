import {spawn} from 'node:child_process'
import {readFileSync, rmSync} from 'node:fs'
import {builtinModules} from 'node:module'
import {join} from 'node:path'

import {expect} from 'chai'

import {INSTANCE, sessionSandbox} from '../support/aws-fixtures.js'
import {ROOT, type Sandbox} from '../support/cli.js'
import type {FakeAws} from '../support/fake-aws.js'
import {type InstalledPackage, packAndInstall} from '../support/package.js'

const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string; dependencies: Record<string, string>}

/** npm pack → the layout npm install -g gives it (production dependencies only), then the installed `ssmx` run. */
describe('the npm package: npm pack, installed with its production dependencies only', function () {
  this.timeout(120_000)
  let pkg: InstalledPackage
  let fake: FakeAws
  let box: Sandbox

  before(() => {
    pkg = packAndInstall()
  })
  after(() => rmSync(pkg.dir, {recursive: true, force: true}))
  beforeEach(async () => {
    ;({fake, box} = await sessionSandbox())
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  /** the installed ssmx, asynchronously: the fake AWS answers from this process */
  const ssmx = (args: string[]) =>
    new Promise<{code: number | null; stdout: string; stderr: string}>((resolve, reject) => {
      const child = spawn(pkg.bin, args, {cwd: box.home, env: box.env, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({code, stdout, stderr})
      })
    })

  it('ships what runs: no source maps, no tests, no compiled sources but the files the bundle reads (both Lambda handlers, config defaults)', () => {
    const paths = pkg.files.map((f) => f.path)
    expect(paths.filter((p) => p.endsWith('.map'))).to.deep.equal([])
    expect(paths.filter((p) => p.startsWith('dist/src/'))).to.have.members([
      'dist/src/admin/handler/index.cjs',
      'dist/src/admin/handler/broker.cjs',
      'dist/src/config/defaults.json',
    ])
    expect(
      paths.filter(
        (p) => !/^(dist\/(bundle|fast)\/|dist\/src\/|bin\/run\.js$|oclif\.manifest\.json$|package\.json$|README\.md$|LICENSE$|THIRD-PARTY-NOTICES$)/.test(p),
      ),
    ).to.deep.equal([])
    // the licences of what the bundle carries
    expect(paths).to.include('THIRD-PARTY-NOTICES')
    expect(paths).to.include.members([
      'bin/run.js',
      'dist/bundle/main.js',
      'dist/fast/start.js',
      'dist/fast/connect.cjs',
      'dist/bundle/root-help.json',
      'oclif.manifest.json',
    ])
  })

  it('the bundle and the fast entries import only Node built-ins, the declared dependencies and optional add-ons', () => {
    const optional = new Set(['bufferutil', 'utf-8-validate', 'react-devtools-core', 'typescript', '@aws-sdk/signature-v4-crt'])
    const allowed = (name: string) =>
      builtinModules.includes(name.replace(/^node:/, '')) || name.startsWith('node:') || optional.has(name) || name in pjson.dependencies
    const bare = new Set<string>()
    // (not the Lambda handler: it runs in Lambda's Node.js runtime, with the AWS SDK the runtime provides)
    for (const f of pkg.files.filter((p) => /\.(c?js)$/.test(p.path) && !p.path.startsWith('dist/src/admin/handler/'))) {
      const text = readFileSync(join(pkg.root, f.path), 'utf8')
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(|\brequire\(|^import\s*)"([@a-z][\w.@/-]*)"/gm)) {
        const name = m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0]
        if (!allowed(name)) bare.add(`${name} (${f.path})`)
      }
    }
    expect([...bare]).to.deep.equal([])
  })

  it('ssmx --version and --help', async () => {
    const version = await ssmx(['--version'])
    expect(version.code, version.stderr).to.equal(0)
    expect(version.stdout).to.equal(`ssmx/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
    const help = await ssmx(['help', 'connect'])
    expect(help.code, help.stderr).to.equal(0)
    expect(help.stdout).to.include('USAGE').and.include('$ ssmx connect')
  })

  it('ssmx connect --dry-run against the fake AWS (the fast entry)', async () => {
    const r = await ssmx(['connect', INSTANCE, '--profile', 'dev', '--dry-run'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.include('permission set Developer (from profile)').and.include('SSMX-RunAs-Developer').and.include(INSTANCE)
    expect(fake.calls('ssm', 'StartSession')).to.have.length(0)
  })

  it('commands that load oclif, lazy chunks and the admin handler: whoami --json, doctor --json, admin render, autocomplete', async () => {
    const whoami = await ssmx(['whoami', '--profile', 'dev', '--json'])
    expect(whoami.code, whoami.stderr).to.equal(0)
    expect(JSON.parse(whoami.stdout)).to.deep.include({permissionSet: 'Developer'})
    const doctor = await ssmx(['doctor', '--profile', 'dev', '--json'])
    expect(JSON.parse(doctor.stdout).checks.find((c: {id: string}) => c.id === 'credentials')).to.deep.include({status: 'ok'})
    const render = await ssmx(['admin', 'render', '--out', 'rendered'])
    expect(render.code, render.stderr).to.equal(0)
    expect(readFileSync(join(box.home, 'rendered', 'ssmx-runas.template.yaml'), 'utf8')).to.include('ZipFile')
    const brokerConfig = box.file(
      'broker.json',
      JSON.stringify({permissionSets: {Developer: {runAsUser: 'dev'}}, admin: {broker: {enabled: true, organizationId: 'o-abcdefghij'}}}),
    )
    const withBroker = await ssmx(['admin', 'render', '--config', brokerConfig, '--out', 'rendered-broker'])
    expect(withBroker.code, withBroker.stderr).to.equal(0)
    expect(readFileSync(join(box.home, 'rendered-broker', 'ssmx-runas.template.yaml'), 'utf8')).to.include('FunctionName: ssmx-broker')
    const complete = await ssmx(['autocomplete', 'script', 'bash'])
    expect(complete.code, complete.stderr).to.equal(0)
    expect(complete.stdout).to.include('ssmx')
  })
})
