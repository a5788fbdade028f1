import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'

import {ROOT} from '../support/cli.js'

interface Metafile {
  inputs: Record<string, unknown>
}
interface BundledPackage {
  name: string
  version: string
  license: string
  files: {name: string; text: string}[]
}
interface NoticesModule {
  bundledPackages(metafiles: Metafile[], options: {workingDir: string}): BundledPackage[]
  renderNotices(packages: BundledPackage[], options?: {product?: string}): string
  writeThirdPartyNotices(metafiles: Metafile[], options: {workingDir: string; out: string; product?: string}): {packages: BundledPackage[]; bytes: number}
}

const load = async (): Promise<NoticesModule> => (await import(pathToFileURL(join(ROOT, 'scripts', 'third-party-notices.js')).href)) as NoticesModule

/** Writes files (path → text) under dir. */
function tree(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
}

const pkg = (name: string, version: string, license?: unknown): string => JSON.stringify({name, version, ...(license === undefined ? {} : {license})})

describe('scripts/third-party-notices.js (THIRD-PARTY-NOTICES from esbuild metafiles)', () => {
  let dir: string
  let notices: NoticesModule

  before(async () => {
    notices = await load()
    dir = mkdtempSync(join(tmpdir(), 'ssmx-notices-'))
    tree(dir, {
      'src/main.js': '',
      'node_modules/@scope/widget/package.json': pkg('@scope/widget', '3.1.0', 'Apache-2.0'),
      'node_modules/@scope/widget/LICENSE': 'Apache License\r\nVersion 2.0   \r\n\r\n',
      'node_modules/@scope/widget/NOTICE': 'Widget notice',
      'node_modules/@scope/widget/lib/index.js': '',
      'node_modules/@scope/widget/lib/util.js': '',
      'node_modules/@scope/widget/dist-es/package.json': '{"type":"module"}',
      'node_modules/@scope/widget/dist-es/index.js': '',
      'node_modules/alpha/package.json': pkg('alpha', '1.2.3', 'MIT'),
      'node_modules/alpha/LICENCE.md': 'MIT licence of alpha',
      'node_modules/alpha/index.js': '',
      // the same alpha again, installed twice
      'node_modules/@scope/widget/node_modules/alpha/package.json': pkg('alpha', '1.2.3', 'MIT'),
      'node_modules/@scope/widget/node_modules/alpha/LICENCE.md': 'MIT licence of alpha',
      'node_modules/@scope/widget/node_modules/alpha/index.js': '',
      'node_modules/alpha/node_modules/beta/package.json': pkg('beta', '10.0.0', 'BSD-3-Clause'),
      'node_modules/alpha/node_modules/beta/COPYING': 'beta 10 copying',
      'node_modules/alpha/node_modules/beta/index.js': '',
      'node_modules/beta/package.json': pkg('beta', '2.0.0', 'ISC'),
      'node_modules/beta/LICENSE-ISC': 'beta 2 licence',
      'node_modules/beta/index.js': '',
      'node_modules/zeta/package.json': pkg('zeta', '0.1.0', 'ISC'),
      'node_modules/zeta/README.md': 'no licence here',
      'node_modules/zeta/index.js': '',
      'node_modules/legacy/package.json': JSON.stringify({name: 'legacy', version: '1.0.0', licenses: [{type: 'MIT'}, {type: 'Apache-2.0'}]}),
      'node_modules/legacy/index.js': '',
      'node_modules/unused/package.json': pkg('unused', '9.9.9', 'MIT'),
      'node_modules/unused/LICENSE': 'never bundled',
    })
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  // two builds' metafiles, as esbuild writes them: paths relative to the working directory, a plugin's namespace
  const metafiles = (): Metafile[] => [
    {
      inputs: {
        'node_modules/zeta/index.js': {},
        'node_modules/@scope/widget/lib/index.js': {},
        'node_modules/@scope/widget/lib/util.js': {},
        'src/main.js': {},
        'builtin:http': {},
        'node_modules/alpha/node_modules/beta/index.js': {},
      },
    },
    {
      inputs: {
        'node_modules/@scope/widget/dist-es/index.js': {},
        'node_modules/@scope/widget/node_modules/alpha/index.js': {},
        'some-plugin:node_modules/legacy/index.js': {},
        'node_modules/beta/index.js': {},
        'node_modules/alpha/index.js': {},
      },
    },
  ]

  it('lists each bundled package once (scoped and nested ones too), sorted by name and version, and never an unbundled one', () => {
    const packages = notices.bundledPackages(metafiles(), {workingDir: dir})
    expect(packages.map((p) => `${p.name}@${p.version} ${p.license}`)).to.deep.equal([
      '@scope/widget@3.1.0 Apache-2.0',
      'alpha@1.2.3 MIT',
      'beta@2.0.0 ISC',
      'beta@10.0.0 BSD-3-Clause',
      'legacy@1.0.0 (MIT OR Apache-2.0)',
      'zeta@0.1.0 ISC',
    ])
    expect(packages[0].files).to.deep.equal([
      {name: 'LICENSE', text: 'Apache License\nVersion 2.0'},
      {name: 'NOTICE', text: 'Widget notice'},
    ])
    expect(packages[1].files).to.deep.equal([{name: 'LICENCE.md', text: 'MIT licence of alpha'}])
    expect(packages[2].files).to.deep.equal([{name: 'LICENSE-ISC', text: 'beta 2 licence'}])
    expect(packages[3].files).to.deep.equal([{name: 'COPYING', text: 'beta 10 copying'}])
  })

  it('writes one section per package with its licence texts, and says so when a package has no licence file', () => {
    const out = join(dir, 'THIRD-PARTY-NOTICES')
    const {packages, bytes} = notices.writeThirdPartyNotices(metafiles(), {workingDir: dir, out})
    const text = readFileSync(out, 'utf8')
    expect(packages).to.have.length(6)
    expect(bytes).to.equal(Buffer.byteLength(text))
    expect(text).to.include('ssmx bundles code from the following 6 npm packages.')
    const sections = text.split(`\n${'='.repeat(80)}\n`).slice(1)
    const headers = sections.filter((_, i) => i % 2 === 0)
    expect(headers).to.deep.equal([
      '@scope/widget@3.1.0\nLicense: Apache-2.0',
      'alpha@1.2.3\nLicense: MIT',
      'beta@2.0.0\nLicense: ISC',
      'beta@10.0.0\nLicense: BSD-3-Clause',
      'legacy@1.0.0\nLicense: (MIT OR Apache-2.0)',
      'zeta@0.1.0\nLicense: ISC',
    ])
    const body = (name: string) => sections[sections.indexOf(name) + 1]
    expect(body('@scope/widget@3.1.0\nLicense: Apache-2.0'))
      .to.include('LICENSE:')
      .and.include('Apache License\nVersion 2.0')
      .and.include('NOTICE:')
      .and.include('Widget notice')
    expect(body('alpha@1.2.3\nLicense: MIT')).to.include('MIT licence of alpha')
    expect(body('beta@10.0.0\nLicense: BSD-3-Clause')).to.include('beta 10 copying').and.not.include('beta 2 licence')
    expect(body('zeta@0.1.0\nLicense: ISC').trim()).to.equal('No licence file in the package; its package.json license field is: ISC')
    expect(body('legacy@1.0.0\nLicense: (MIT OR Apache-2.0)')).to.include(
      'No licence file in the package; its package.json license field is: (MIT OR Apache-2.0)',
    )
    expect(text.split('\nalpha@1.2.3\n')).to.have.length(2)
    expect(text.split('MIT licence of alpha')).to.have.length(2)
    expect(text).not.to.include('unused').and.not.include('never bundled').and.not.include('\r')
    expect(text.endsWith('\n') && !text.endsWith('\n\n')).to.equal(true)
  })

  it('is deterministic: the same inputs, in any order and over any split into metafiles, give byte-identical text', () => {
    const first = notices.renderNotices(notices.bundledPackages(metafiles(), {workingDir: dir}))
    const reversed = metafiles()
      .reverse()
      .map((m) => ({inputs: Object.fromEntries(Object.entries(m.inputs).reverse())}))
    const merged = [{inputs: Object.assign({}, ...metafiles().map((m) => m.inputs)) as Record<string, unknown>}]
    expect(notices.renderNotices(notices.bundledPackages(reversed, {workingDir: dir}))).to.equal(first)
    expect(notices.renderNotices(notices.bundledPackages(merged, {workingDir: dir}))).to.equal(first)
  })
})
