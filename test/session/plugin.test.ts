import {EventEmitter} from 'node:events'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {SsmxError} from '../../src/errors.js'
import {type Spawn} from '../../src/platform/process.js'
import {compareVersions} from '../../src/platform/version.js'
import {
  ENV_HANDOFF_AFTER,
  type PluginLaunch,
  checkPlugin,
  displayCommand,
  findPlugin,
  installSteps,
  parsePluginVersion,
  pluginCommand,
  runPlugin,
  standardPluginLocations,
  supportsEnvHandoff,
} from '../../src/session/plugin.js'

const RESPONSE = {SessionId: 's-1', TokenValue: 'TOKEN-SECRET', StreamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/s-1'}
const launch = (envHandoff: boolean): PluginLaunch => ({
  plugin: {path: '/usr/local/bin/session-manager-plugin', version: envHandoff ? '1.2.707.0' : '1.2.0.0', envHandoff},
  response: RESPONSE,
  region: 'eu-west-1',
  profile: 'dev',
  parameters: {Target: 'i-0123456789abcdef0', DocumentName: 'SSMX-RunAs-Developer'},
  endpoint: 'https://ssm.eu-west-1.amazonaws.com',
})

describe('session/plugin', () => {
  describe('versions', () => {
    it('parses trimmed versions of one to four numeric parts, padding with zeros', () => {
      expect(parsePluginVersion('1.2.707.0\n')).to.deep.equal([1, 2, 707, 0])
      expect(parsePluginVersion(' 1.2 ')).to.deep.equal([1, 2, 0, 0])
      expect(parsePluginVersion('2')).to.deep.equal([2, 0, 0, 0])
      for (const bad of ['', 'v1.2.3', '1.2.3.4.5', '1..2', '1.2.3-beta', 'abc']) expect(parsePluginVersion(bad), bad).to.equal(undefined)
    })
    it('compares numerically, not as strings', () => {
      expect(compareVersions([1, 2, 10, 0], [1, 2, 9, 0])).to.be.greaterThan(0)
      expect(compareVersions([1, 2, 0, 0], [1, 2, 0, 0])).to.equal(0)
      expect(compareVersions([1, 1, 999, 0], [1, 2, 0, 0])).to.be.lessThan(0)
    })
    it('hands the response through the environment only to plugins strictly newer than 1.2.497.0', () => {
      expect(ENV_HANDOFF_AFTER).to.equal('1.2.497.0')
      expect(supportsEnvHandoff('1.2.497.0')).to.equal(false)
      expect(supportsEnvHandoff('1.2.497')).to.equal(false)
      expect(supportsEnvHandoff('1.2.497.1')).to.equal(true)
      expect(supportsEnvHandoff('1.2.707.0')).to.equal(true)
      expect(supportsEnvHandoff('1.3')).to.equal(true)
      expect(supportsEnvHandoff('1.2.0.0')).to.equal(false)
      expect(supportsEnvHandoff('garbage')).to.equal(false)
    })
  })

  describe('the argv/env contract', () => {
    it('new plugin: the variable name as argv[1], the JSON in AWS_SSM_START_SESSION_RESPONSE, all seven arguments', () => {
      const {args, env} = pluginCommand(launch(true))
      expect(args).to.deep.equal([
        'AWS_SSM_START_SESSION_RESPONSE',
        'eu-west-1',
        'StartSession',
        'dev',
        '{"Target":"i-0123456789abcdef0","DocumentName":"SSMX-RunAs-Developer"}',
        'https://ssm.eu-west-1.amazonaws.com',
      ])
      expect(JSON.parse(env.AWS_SSM_START_SESSION_RESPONSE)).to.deep.equal(RESPONSE)
      expect(args.join(' ')).not.to.include('TOKEN-SECRET')
    })
    it('old plugin: the JSON itself as argv[1], nothing in the environment', () => {
      const {args, env} = pluginCommand(launch(false))
      expect(JSON.parse(args[0])).to.deep.equal(RESPONSE)
      expect(args.slice(1, 3)).to.deep.equal(['eu-west-1', 'StartSession'])
      expect(env).to.deep.equal({})
    })
    it('an implicit profile is passed as ""', () => {
      expect(pluginCommand({...launch(true), profile: ''}).args[3]).to.equal('')
    })
    it('broker mode: ssmx\'s credentials go in the environment and the profile argument is "", so the plugin signs with them', () => {
      const credentials = {accessKeyId: 'AKIDUSER', secretAccessKey: 'SECRET-KEY', sessionToken: 'SESSION-TOKEN'}
      const {args, env} = pluginCommand({...launch(true), credentials})
      expect(args[3]).to.equal('')
      expect(env).to.include({AWS_ACCESS_KEY_ID: 'AKIDUSER', AWS_SECRET_ACCESS_KEY: 'SECRET-KEY', AWS_SESSION_TOKEN: 'SESSION-TOKEN'})
      expect(args.join(' ')).not.to.include('SECRET-KEY').and.not.to.include('SESSION-TOKEN')
      expect(displayCommand({...launch(true), credentials})).not.to.include('SECRET-KEY')
      // long-term keys: an inherited AWS_SESSION_TOKEN must not pair with them
      expect(pluginCommand({...launch(true), credentials: {accessKeyId: 'AKIDUSER', secretAccessKey: 'SECRET-KEY'}}).env.AWS_SESSION_TOKEN).to.equal('')
    })
    it('the displayed command never shows the token, and is shell-quoted', () => {
      for (const l of [launch(true), launch(false)]) {
        const shown = displayCommand(l)
        expect(shown).not.to.include('TOKEN-SECRET')
        expect(shown).to.match(/^\/usr\/local\/bin\/session-manager-plugin /)
      }
      expect(displayCommand(launch(true))).to.equal(
        `/usr/local/bin/session-manager-plugin AWS_SSM_START_SESSION_RESPONSE eu-west-1 StartSession dev '{"Target":"i-0123456789abcdef0","DocumentName":"SSMX-RunAs-Developer"}' https://ssm.eu-west-1.amazonaws.com`,
      )
      expect(displayCommand(launch(false))).to.include('<redacted>')
    })
  })

  describe('lookup', () => {
    let dir: string
    const exe = (name: string, script: string): string => {
      const path = join(dir, name)
      writeFileSync(path, `#!/bin/sh\n${script}\n`)
      chmodSync(path, 0o755)
      return path
    }
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'ssmx-plugin-'))
    })
    afterEach(() => rmSync(dir, {recursive: true, force: true}))

    it('SSMX_PLUGIN_PATH wins over the configuration and PATH', async () => {
      const explicit = exe('smp', 'echo 1.2.707.0')
      mkdirSync(join(dir, 'bin'))
      const onPath = exe('bin/session-manager-plugin', 'echo 1.2.707.0')
      expect(await findPlugin({env: {SSMX_PLUGIN_PATH: explicit, PATH: join(dir, 'bin')}, explicit: onPath})).to.equal(explicit)
      expect(await findPlugin({env: {PATH: join(dir, 'bin')}, explicit})).to.equal(explicit)
      expect(await findPlugin({env: {PATH: `/nonexistent:${join(dir, 'bin')}`}, locations: []})).to.equal(onPath)
    })

    it("then the installers' locations", async () => {
      const installed = exe('installed-plugin', 'echo 1.2.707.0')
      expect(await findPlugin({env: {PATH: ''}, locations: [join(dir, 'nope'), installed]})).to.equal(installed)
      expect(standardPluginLocations('linux')).to.include('/usr/local/sessionmanagerplugin/bin/session-manager-plugin')
      expect(standardPluginLocations('darwin')).to.include('/opt/homebrew/bin/session-manager-plugin')
      expect(standardPluginLocations('win32')[0]).to.match(/SessionManagerPlugin\\bin\\session-manager-plugin\.exe$/)
    })

    it('missing: a plugin error with the install steps for the OS', async () => {
      const error = (await findPlugin({env: {PATH: dir}, locations: [], platform: 'linux', arch: 'arm64'}).catch((e: unknown) => e)) as SsmxError
      expect(error).to.be.instanceOf(SsmxError)
      expect(error.code).to.equal('plugin')
      expect(error.suggestions.join('\n')).to.include('ubuntu_arm64').and.to.include('linux_arm64')
      const explicit = (await findPlugin({env: {SSMX_PLUGIN_PATH: join(dir, 'gone')}}).catch((e: unknown) => e)) as SsmxError
      expect(explicit.message).to.match(/does not exist at .*gone \(from SSMX_PLUGIN_PATH\)/)
      writeFileSync(join(dir, 'not-exec'), '')
      const notExec = (await findPlugin({explicit: join(dir, 'not-exec'), env: {}}).catch((e: unknown) => e)) as SsmxError
      expect(notExec.message).to.match(/is not executable at .*not-exec \(from the configuration's pluginPath\)/)
    })

    it('install steps per OS', () => {
      expect(installSteps('darwin', 'arm64').join(' ')).to.include('brew install --cask session-manager-plugin').and.to.include('mac_arm64')
      expect(installSteps('win32', 'x64').join(' ')).to.include('SessionManagerPluginSetup.exe')
      expect(installSteps('linux', 'x64').join(' ')).to.include('ubuntu_64bit').and.to.include('linux_64bit')
    })

    it('checkPlugin reads the version and decides the hand-off', async () => {
      expect(await checkPlugin({explicit: exe('new', 'echo " 1.2.707.0 "'), env: {}})).to.deep.include({version: '1.2.707.0', envHandoff: true})
      expect(await checkPlugin({explicit: exe('old', 'echo 1.2.0.0'), env: {}})).to.deep.include({envHandoff: false})
      const weird = (await checkPlugin({explicit: exe('weird', 'echo hello'), env: {}}).catch((e: unknown) => e)) as SsmxError
      expect(weird.code).to.equal('plugin')
      const broken = (await checkPlugin({explicit: exe('broken', 'exit 2'), env: {}}).catch((e: unknown) => e)) as SsmxError
      expect(broken.code).to.equal('plugin')
    })
  })

  describe('runPlugin', () => {
    class FakeChild extends EventEmitter {
      signals: string[] = []
      kill(signal: string) {
        this.signals.push(signal)
        return true
      }
    }
    const fakeSpawn = (child: FakeChild, seen: {file?: string; args?: string[]; options?: {env?: NodeJS.ProcessEnv; stdio?: unknown}}) =>
      ((file: string, args: string[], options: {env?: NodeJS.ProcessEnv}) => {
        Object.assign(seen, {file, args, options})
        return child
      }) as unknown as Spawn

    it("spawns the plugin with the contract's argv and env, inherited stdio, and resolves with its exit code", async () => {
      const child = new FakeChild()
      const seen: {file?: string; args?: string[]; options?: {env?: NodeJS.ProcessEnv; stdio?: unknown}} = {}
      const running = runPlugin(launch(true), {spawn: fakeSpawn(child, seen), env: {PATH: '/bin'}})
      expect(seen.file).to.equal('/usr/local/bin/session-manager-plugin')
      expect(seen.args).to.deep.equal(pluginCommand(launch(true)).args)
      expect(seen.options!.stdio).to.equal('inherit')
      expect(seen.options!.env).to.deep.include({PATH: '/bin'})
      expect(JSON.parse(seen.options!.env!.AWS_SSM_START_SESSION_RESPONSE!)).to.deep.equal(RESPONSE)
      child.emit('exit', 7, null)
      expect(await running).to.deep.equal({code: 7, signal: undefined})
    })

    it('ignores SIGINT/SIGQUIT/SIGTSTP and forwards SIGTERM/SIGHUP while the plugin runs, and stops afterwards', async () => {
      const child = new FakeChild()
      const before = {int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM'), tstp: process.listenerCount('SIGTSTP')}
      const running = runPlugin(launch(true), {spawn: fakeSpawn(child, {})})
      expect(process.listenerCount('SIGINT')).to.equal(before.int + 1)
      expect(process.listenerCount('SIGTSTP')).to.equal(before.tstp + 1)
      process.emit('SIGTERM', 'SIGTERM')
      process.emit('SIGHUP', 'SIGHUP')
      process.emit('SIGINT', 'SIGINT')
      expect(child.signals).to.deep.equal(['SIGTERM', 'SIGHUP'])
      child.emit('exit', null, 'SIGTERM')
      expect(await running).to.deep.equal({code: 143, signal: 'SIGTERM'})
      expect(process.listenerCount('SIGINT')).to.equal(before.int)
      expect(process.listenerCount('SIGTERM')).to.equal(before.term)
    })

    it('a plugin that cannot start is a plugin error', async () => {
      const child = new FakeChild()
      const running = runPlugin(launch(true), {spawn: fakeSpawn(child, {})})
      child.emit('error', new Error('EACCES'))
      const error = (await running.catch((e: unknown) => e)) as SsmxError
      expect(error.code).to.equal('plugin')
      expect(error.message).not.to.include('TOKEN-SECRET')
    })
  })
})
