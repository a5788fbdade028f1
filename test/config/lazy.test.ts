import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {DEFAULTS_FILE, loadConfigLazily} from '../../src/config/lazy.js'
import {loadConfig, parseConfig} from '../../src/config/load.js'
import {isSsmxError} from '../../src/errors.js'

describe('loadConfigLazily (config without zod when there is no file)', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ssmx-config-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('the built defaults.json is the schema applied to {}', () => {
    expect(JSON.parse(readFileSync(DEFAULTS_FILE, 'utf8'))).to.deep.equal(parseConfig({}))
  })

  it('gives what loadConfig gives: defaults without a file, the validated file with its path', async () => {
    const file = join(dir, 'ssmx.json')
    expect(await loadConfigLazily({file: join(dir, 'absent', 'x.json')}).catch((e) => e)).to.satisfy(isSsmxError)
    writeFileSync(file, JSON.stringify({permissionSets: {Developer: {runAsUser: 'dev'}}}))
    expect(await loadConfigLazily({file})).to.deep.equal(await loadConfig({file}))
    expect((await loadConfigLazily({file})).filepath).to.equal(file)
    writeFileSync(file, JSON.stringify({nope: 1}))
    const error = await loadConfigLazily({file}).catch((e) => e)
    expect(error.exitCode).to.equal(3)
    expect(error.message).to.include('unknown key "nope"')
  })

  it('searches like loadConfig and falls back to the defaults', async () => {
    const none = await loadConfigLazily({cwd: dir})
    expect(none.filepath).to.equal(undefined)
    expect(none.config).to.deep.equal(parseConfig({}))
  })
})
