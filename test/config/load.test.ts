import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {expect} from 'chai'

import {loadConfig, parseConfig, userConfigDir} from '../../src/config/load.js'
import {configSchema} from '../../src/config/schema.js'
import {SsmxError} from '../../src/errors.js'
import {thrownSsmxError} from '../support/errors.js'

const configError = (fn: () => unknown): SsmxError => thrownSsmxError(fn, 'config')

describe('config', () => {
  describe('parseConfig', () => {
    it('fills every default from an empty file', () => {
      const config = parseConfig(undefined)
      expect(config).to.deep.include({documentPrefix: 'SSMX-RunAs-', defaultRunAsUser: 'ssm-user', permissionSets: {}, strict: false})
      expect(config.pluginPath).to.equal(undefined)
      expect(config.admin).to.deep.include({stackSetName: 'ssmx-runas', callAs: 'SELF', onDelete: 'leave', overrides: {}})
      expect(config.admin.scp).to.deep.include({enabled: true, name: 'ssmx-protect-session-documents', exemptPrincipals: []})
      expect(config.admin.guardrails.allowDocuments).to.include('AWS-StartSSHSession')
    })

    it('accepts a full developer configuration', () => {
      const config = parseConfig({
        documentPrefix: 'Corp-',
        defaultRunAsUser: 'guest',
        strict: true,
        pluginPath: '/opt/smp',
        permissionSets: {'Ops+Admin@eu': {runAsUser: 'ops', document: 'Ops-Shell'}, Developer: {runAsUser: 'dev'}},
      })
      expect(config.permissionSets['Ops+Admin@eu']).to.deep.equal({runAsUser: 'ops', document: 'Ops-Shell'})
      expect(config.strict).to.equal(true)
    })

    it('names the file and each offending key', () => {
      const e = configError(() => parseConfig({permissionSets: {Developer: {runAsUser: 'not a user!'}}, strict: 'yes', bogus: 1}, '/home/a/.ssmxrc.yaml'))
      expect(e.message).to.match(/^Invalid ssmx configuration in \/home\/a\/\.ssmxrc\.yaml:/)
      expect(e.message).to.include('  permissionSets.Developer.runAsUser: must be a Linux user name')
      expect(e.message).to.include('  strict: ')
      expect(e.message).to.include('  (top level): unknown key "bogus"')
      expect(e.suggestions[0]).to.match(/README/)
    })

    it('rejects bad document names, prefixes and permission-set names', () => {
      expect(configError(() => parseConfig({permissionSets: {Dev: {runAsUser: 'dev', document: 'AWS-Mine'}}})).message).to.include(
        'permissionSets.Dev.document',
      )
      expect(configError(() => parseConfig({permissionSets: {Dev: {runAsUser: 'dev', document: 'a b'}}})).message).to.include('permissionSets.Dev.document')
      expect(configError(() => parseConfig({documentPrefix: 'amazon-'})).message).to.include('documentPrefix')
      expect(configError(() => parseConfig({documentPrefix: 'has space'})).message).to.include('documentPrefix')
      expect(configError(() => parseConfig({permissionSets: {'bad name': {runAsUser: 'x'}}})).message).to.include('permissionSets')
      expect(configError(() => parseConfig({permissionSets: {Dev: {runAsUser: 'dev', extra: 1}}})).message).to.include('unknown key "extra"')
      expect(configError(() => parseConfig({admin: {regions: ['Europe']}})).message).to.include('admin.regions.0')
    })

    it('the schema is the one source of the input type', () => {
      expect(configSchema.safeParse({strict: true}).success).to.equal(true)
    })
  })

  describe('loadConfig', () => {
    let root: string
    let savedXdg: string | undefined
    const put = (relative: string, text: string): string => {
      const path = join(root, relative)
      mkdirSync(dirname(path), {recursive: true})
      writeFileSync(path, text)
      return path
    }

    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'ssmx-config-'))
      savedXdg = process.env.XDG_CONFIG_HOME
      process.env.XDG_CONFIG_HOME = join(root, 'xdg')
    })
    afterEach(() => {
      if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME
      else process.env.XDG_CONFIG_HOME = savedXdg
      rmSync(root, {recursive: true, force: true})
    })

    const env = () => ({XDG_CONFIG_HOME: join(root, 'xdg'), HOME: root})

    it('built-in defaults when nothing is found', async () => {
      put('project/sub/.keep', '')
      const loaded = await loadConfig({cwd: join(root, 'project', 'sub'), env: env()})
      expect(loaded.filepath).to.equal(undefined)
      expect(loaded.config.documentPrefix).to.equal('SSMX-RunAs-')
    })

    it('finds .ssmxrc.yaml in a parent directory', async () => {
      const path = put('project/.ssmxrc.yaml', 'strict: true\n')
      put('project/sub/.keep', '')
      const loaded = await loadConfig({cwd: join(root, 'project', 'sub'), env: env()})
      expect(loaded).to.deep.include({filepath: path})
      expect(loaded.config.strict).to.equal(true)
    })

    it('finds ssmx.config.json and package.json#ssmx', async () => {
      const json = put('a/ssmx.config.json', '{"defaultRunAsUser": "guest"}')
      expect(await loadConfig({cwd: join(root, 'a'), env: env()})).to.deep.include({filepath: json})
      const pkg = put('b/package.json', JSON.stringify({name: 'x', ssmx: {documentPrefix: 'Team-'}}))
      const loaded = await loadConfig({cwd: join(root, 'b'), env: env()})
      expect(loaded.filepath).to.equal(pkg)
      expect(loaded.config.documentPrefix).to.equal('Team-')
    })

    it('falls back to the user-level file under $XDG_CONFIG_HOME/ssmx/', async () => {
      const path = put('xdg/ssmx/config.yaml', 'defaultRunAsUser: me\n')
      put('project/.keep', '')
      expect(userConfigDir(env())).to.equal(join(root, 'xdg', 'ssmx'))
      const loaded = await loadConfig({cwd: join(root, 'project'), env: env()})
      expect(loaded.filepath).to.equal(path)
      expect(loaded.config.defaultRunAsUser).to.equal('me')
    })

    it('the user-level directory defaults to ~/.config/ssmx', () => {
      expect(userConfigDir({HOME: '/home/a'})).to.equal(join('/home/a', '.config', 'ssmx'))
    })

    it('a project file wins over the user-level file', async () => {
      put('xdg/ssmx/config.yaml', 'defaultRunAsUser: me\n')
      const path = put('project/.ssmxrc.json', '{"defaultRunAsUser": "proj"}')
      const loaded = await loadConfig({cwd: join(root, 'project'), env: env()})
      expect(loaded.filepath).to.equal(path)
    })

    it('an explicit file (--config / SSMX_CONFIG) is loaded without searching', async () => {
      put('project/.ssmxrc.yaml', 'strict: true\n')
      const path = put('elsewhere/my.yaml', 'strict: false\n')
      const loaded = await loadConfig({file: path, cwd: join(root, 'project'), env: env()})
      expect(loaded).to.deep.include({filepath: path})
      expect(loaded.config.strict).to.equal(false)
    })

    it('an invalid file is reported with its path and the offending key', async () => {
      const path = put('project/.ssmxrc.yaml', 'permissionSets:\n  Developer:\n    runAs: dev\n')
      const error = (await loadConfig({cwd: join(root, 'project'), env: env()}).catch((e: unknown) => e)) as SsmxError
      expect(error.code).to.equal('config')
      expect(error.message).to.include(path)
      expect(error.message).to.include('permissionSets.Developer')
    })

    it('unparsable YAML and a missing explicit file are config errors naming the file', async () => {
      const bad = put('project/.ssmxrc.yaml', 'strict: [true\n')
      const e1 = (await loadConfig({cwd: join(root, 'project'), env: env()}).catch((e: unknown) => e)) as SsmxError
      expect(e1.code).to.equal('config')
      expect(e1.message).to.include(bad)
      const e2 = (await loadConfig({file: join(root, 'missing.yaml'), env: env()}).catch((e: unknown) => e)) as SsmxError
      expect(e2.code).to.equal('config')
      expect(e2.message).to.include(join(root, 'missing.yaml'))
    })
  })
})
