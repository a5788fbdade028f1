import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {ROOT, Sandbox} from '../support/cli.js'

// src/fast/help.ts answers --version and --help without oclif; oclif still answers them whenever an
// OCLIF_* variable is set (and `ssmx help` is oclif's help plugin): the outputs must be the same bytes.
describe('ssmx --version / --help fast path (built CLI)', () => {
  let box: Sandbox
  beforeEach(() => {
    box = new Sandbox('http://127.0.0.1:9')
  })
  afterEach(() => box.cleanup())

  it('--version prints what oclif prints', async () => {
    const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    const fast = await box.run(['--version'])
    const oclif = await box.run(['--version'], {env: {OCLIF_COLUMNS: '80'}})
    expect(fast.code).to.equal(0)
    expect(fast.stdout).to.equal(oclif.stdout)
    expect(fast.stdout).to.equal(`ssmx/${version} ${process.platform}-${process.arch === 'ia32' ? 'x86' : process.arch} node-${process.version}\n`)
  })

  it('--help and no arguments print the root help exactly as oclif and `ssmx help` do', async () => {
    const fast = await box.run(['--help'])
    const bare = await box.run([])
    const oclif = await box.run(['--help'], {env: {OCLIF_COLUMNS: '80'}})
    const plugin = await box.run(['help'])
    expect(fast.code).to.equal(0)
    expect(fast.stdout).to.include('connect').and.include(`node-${process.version}`)
    // the autocomplete topic describes itself, not its fish subcommand
    expect(fast.stdout).to.match(/^ {2}autocomplete +Shell completion for bash, zsh, fish and PowerShell\.$/m)
    expect(fast.stdout).to.equal(oclif.stdout)
    expect(bare.stdout).to.equal(oclif.stdout)
    expect(plugin.stdout).to.equal(oclif.stdout)
  })

  it('leaves command help to oclif', async () => {
    const r = await box.run(['connect', '--help'])
    expect(r.code).to.equal(0)
    expect(r.stdout).to.include('USAGE').and.include('$ ssmx connect')
  })
})
