import {readFileSync} from 'node:fs'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'

import {BIN, Sandbox} from '../support/cli.js'

/**
 * bin/run.js on a Node older than ssmx needs: a clear message and a non-zero exit, not the module linker's
 * SyntaxError. The old Node is simulated (a preload sets process.versions.node before bin/run.js runs), so the test
 * runs anywhere; by hand: /usr/bin/node bin/run.js --version on a machine with Node 20.
 */
describe('ssmx on a Node.js that is too old', () => {
  let box: Sandbox
  beforeEach(() => {
    box = new Sandbox('http://127.0.0.1:9')
  })
  afterEach(() => box.cleanup())

  const asNode = (version: string) => {
    const preload = box.file(
      `node-${version}.mjs`,
      `Object.defineProperty(process, 'versions', {value: {...process.versions, node: ${JSON.stringify(version)}}})\n`,
    )
    return {NODE_OPTIONS: `--import ${pathToFileURL(preload).href}`}
  }

  for (const [version, needs] of [
    ['20.11.1', '22'],
    ['18.19.0', '22'],
    ['22.0.0', '22.1'],
  ] as const) {
    for (const args of [['--version'], ['connect', 'web-1'], ['admin', 'status']]) {
      it(`Node ${version}: ssmx ${args.join(' ')} says which Node it needs and exits 13, without a stack trace`, async () => {
        const r = await box.run(args, {env: asNode(version)})
        expect(r.code, r.stderr).to.equal(13)
        expect(r.stdout).to.equal('')
        expect(r.stderr).to.equal(
          `✗ ssmx needs Node.js ${needs} or newer (you have ${version}).\n  → Install Node.js 22 LTS or newer (https://nodejs.org/, or a version manager such as nvm or fnm), then run ssmx again.\n`,
        )
      })
    }
  }

  it('bin/run.js links on any Node: its static imports are node:fs and node:url only (the rest loads after the check)', () => {
    const source = readFileSync(BIN, 'utf8')
    const imports = [...source.matchAll(/^import\s.*\sfrom\s+'([^']+)'/gm)].map((m) => m[1])
    expect(imports).to.deep.equal(['node:fs', 'node:url'])
    expect(source.indexOf('needs Node.js')).to.be.within(0, source.indexOf('await import('))
  })

  it('Node 22.1 and newer run', async () => {
    const r = await box.run(['--version'], {env: asNode('22.1.0')})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^ssmx\/\d+\.\d+\.\d+ /)
  })
})
