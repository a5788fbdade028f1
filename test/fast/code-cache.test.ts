import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'

import {codeCacheDir} from '../../src/fast/code-cache.js'
import {ROOT} from '../support/cli.js'

const LOADER = pathToFileURL(join(ROOT, 'dist', 'src', 'fast', 'code-cache.js')).href

/** A CommonJS bundle with enough functions that the ones a run calls make the cache visibly larger. */
function bundleSource(functions: number, tag = ''): string {
  const fns = Array.from(
    {length: functions},
    (_, i) => `function f${i}(x) { const o = {a${i}: x, b: [x, x * ${i}], s: 'v${i}' + x}; return o.b.reduce((p, q) => p + q, 0) + o.s.length }`,
  )
  return `${fns.join('\n')}\nexports.callAll = () => { let t = 0; ${Array.from({length: functions}, (_, i) => `t += f${i}(${i});`).join(' ')} return t }\nexports.tag = ${JSON.stringify(tag)}\nexports.load = (url) => __ssmxImport(url)\nexports.here = __filename\n`
}

/**
 * Loads the bundle in a new Node process (V8 keeps compiled scripts in memory: a second load in one process
 * would never read the cache) and reports the cache status and what the bundle returned.
 */
function load(
  file: string,
  dir: string,
  options: {call?: boolean; save?: boolean; importUrl?: string} = {},
): {status: string; total?: number; tag?: string; here?: string; imported?: number} {
  const script = `
    const {loadCachedBundle} = await import(${JSON.stringify(LOADER)})
    const b = loadCachedBundle(${JSON.stringify(file)}, ${JSON.stringify(dir)})
    const total = ${options.call ? 'b.exports.callAll()' : 'undefined'}
    const imported = ${options.importUrl ? `(await b.exports.load(${JSON.stringify(options.importUrl)})).answer` : 'undefined'}
    ${options.save === undefined ? '' : `b.save(${options.save})`}
    process.stdout.write(JSON.stringify({status: b.status, total, tag: b.exports.tag, here: b.exports.here, imported}))`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout)
}

describe('fast entries: the post-run V8 code cache', () => {
  let root: string
  let file: string
  let dir: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ssmx-code-cache-'))
    file = join(root, 'entry.cjs')
    dir = join(root, 'cache', 'ssmx', 'code')
    writeFileSync(file, bundleSource(300))
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  const files = (d = dir) => readdirSync(d).sort()

  it('lives in $XDG_CACHE_HOME/ssmx/code (when absolute), else ~/.cache/ssmx/code', () => {
    expect(codeCacheDir({XDG_CACHE_HOME: '/x/cache', HOME: '/home/u'})).to.equal('/x/cache/ssmx/code')
    expect(codeCacheDir({HOME: '/home/u'})).to.equal('/home/u/.cache/ssmx/code')
    expect(codeCacheDir({XDG_CACHE_HOME: 'relative/cache', HOME: '/home/u'}), 'a relative XDG_CACHE_HOME is ignored').to.equal('/home/u/.cache/ssmx/code')
  })

  it('runs the bundle as require() would; the first run writes the cache (0600 in a 0700 directory) and the next one uses it', () => {
    const first = load(file, dir, {call: true, save: true})
    expect(first.status).to.equal('miss')
    expect(first.here).to.equal(file)
    expect(files()).to.have.length(1)
    expect(statSync(dir).mode & 0o777).to.equal(0o700)
    expect(statSync(join(dir, files()[0])).mode & 0o777).to.equal(0o600)
    const second = load(file, dir, {call: true})
    expect(second.status).to.equal('hit')
    expect(second.total).to.equal(first.total)
  })

  it('holds what the run compiled, not only the top level: a run that called every function writes a larger cache', () => {
    load(file, join(root, 'idle'), {save: true})
    load(file, join(root, 'busy'), {call: true, save: true})
    const size = (d: string) => statSync(join(d, files(d)[0])).size
    expect(size(join(root, 'busy'))).to.be.greaterThan(size(join(root, 'idle')) * 2)
  })

  it('a failed run writes a partial cache that only a successful run replaces', () => {
    load(file, dir, {save: false})
    expect(files()).to.have.length(1)
    expect(files()[0]).to.match(/\.partial\.bin$/)
    expect(load(file, dir, {save: false}).status).to.equal('partial')
    expect(files()[0]).to.match(/\.partial\.bin$/)
    load(file, dir, {call: true, save: true})
    expect(files()).to.have.length(1)
    expect(files()[0]).to.not.match(/partial/)
    expect(load(file, dir).status).to.equal('hit')
  })

  it('a damaged cache is rejected by V8, the bundle still runs, and the cache is written anew', () => {
    load(file, dir, {call: true, save: true})
    writeFileSync(join(dir, files()[0]), Buffer.alloc(4096, 7))
    const damaged = load(file, dir, {call: true, save: true})
    expect(damaged.status).to.equal('rejected')
    expect(damaged.total).to.be.greaterThan(0)
    expect(load(file, dir).status).to.equal('hit')
  })

  it('a new build of the bundle gets a new cache, and the old one is removed', () => {
    load(file, dir, {save: true})
    const old = files()
    writeFileSync(file, bundleSource(301, 'v2'))
    utimesSync(file, new Date(), new Date(Date.now() + 5000))
    const rebuilt = load(file, dir, {save: true})
    expect(rebuilt.status).to.equal('miss')
    expect(rebuilt.tag).to.equal('v2')
    expect(files()).to.have.length(1)
    expect(files()).to.not.deep.equal(old)
  })

  it('never trusts a directory others can write to: no cache is read or written there', () => {
    mkdirSync(dir, {recursive: true})
    chmodSync(dir, 0o777)
    expect(load(file, dir, {save: true}).status).to.equal('miss')
    expect(files()).to.deep.equal([])
    chmodSync(dir, 0o700)
    load(file, dir, {save: true})
    expect(files()).to.have.length(1)
    chmodSync(dir, 0o770)
    expect(load(file, dir).status, 'a cache in a group-writable directory is not read').to.equal('miss')
  })

  it('until the user has a cache, reads the one the build shipped beside the bundle (this Node and architecture), never one others can write', () => {
    const build = join(root, 'build')
    load(file, build, {call: true, save: true})
    const shipped = `${file}.${process.version}-${process.arch}.v8cache`
    copyFileSync(join(build, files(build)[0]), shipped)
    chmodSync(shipped, 0o644)
    const first = load(file, dir, {call: true, save: true})
    expect(first.status).to.equal('shipped')
    expect(first.total).to.be.greaterThan(0)
    expect(files(), "the user's own is written too").to.have.length(1)
    rmSync(dir, {recursive: true})
    chmodSync(shipped, 0o664)
    expect(load(file, dir).status, 'a group-writable shipped cache is not read').to.equal('miss')
    chmodSync(shipped, 0o644)
    chmodSync(root, 0o777)
    expect(load(file, dir).status, 'nor one in a directory others can write to').to.equal('miss')
    chmodSync(root, 0o700)
    rmSync(shipped)
    load(file, dir, {call: true, save: true})
    copyFileSync(join(build, files(build)[0]), shipped)
    expect(load(file, dir).status, "the user's own cache comes first").to.equal('hit')
  })

  it("hands the bundle Node's import() as __ssmxImport, for the ES modules it loads lazily", () => {
    const esm = join(root, 'lazy.mjs')
    writeFileSync(esm, 'export const answer = 42\n')
    expect(load(file, dir, {importUrl: pathToFileURL(esm).href}).imported).to.equal(42)
  })
})
