import {EventEmitter} from 'node:events'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {SSMClient} from '@aws-sdk/client-ssm'
import {STSClient} from '@aws-sdk/client-sts'
import {type AwsClientStub, mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import {AwsContext} from '../../src/aws/clients.js'
import {type BrokerClient, refusalError} from '../../src/broker/client.js'
import type {StartRequest, StartResponse} from '../../src/broker/protocol.js'
import {parseConfig} from '../../src/config/load.js'
import {SsmxError} from '../../src/errors.js'
import {brokerMode} from '../../src/session/commands.js'
import {type SessionDeps, runSession} from '../../src/session/connect.js'
import {forwardPort} from '../../src/session/forward.js'
import type {Spawn} from '../../src/platform/process.js'
import type {PluginInfo} from '../../src/session/plugin.js'
import {proxyCommand} from '../../src/session/ssh-config.js'
import {defaultPushUser} from '../../src/session/ssh.js'

const INSTANCE = 'i-0123456789abcdef0'
const NEW_PLUGIN: PluginInfo = {path: '/bin/session-manager-plugin', version: '1.2.707.0', envHandoff: true}
const STARTED: StartResponse = {
  user: 'alice',
  permissionSet: 'Developer',
  linuxUser: 'dev',
  source: 'permission-set',
  allowed: true,
  sessionId: 'alice-0123456789abcdef0',
  tokenValue: 'TOKEN-SECRET',
  streamUrl: 'wss://stream',
  document: 'SSM-SessionManagerRunShell',
  version: '0.1.0',
}

class FakeChild extends EventEmitter {
  kill() {
    return true
  }
}

describe('session/broker (broker mode of the session runner)', () => {
  let ssm: AwsClientStub<SSMClient>
  let sts: AwsClientStub<STSClient>
  let home: string
  let warnings: string[]
  let out: string[]
  let spawned: Array<{args: string[]; env: NodeJS.ProcessEnv}>
  let exitWith: number
  let calls: string[]
  let starts: Array<Omit<StartRequest, 'action'>>
  let startGate: Promise<unknown> | undefined
  let refuse: boolean

  before(() => {
    ssm = mockClient(SSMClient)
    sts = mockClient(STSClient)
    home = mkdtempSync(join(tmpdir(), 'ssmx-broker-session-'))
  })
  after(() => {
    ssm.restore()
    sts.restore()
    rmSync(home, {recursive: true, force: true})
  })
  beforeEach(() => {
    ssm.reset()
    sts.reset()
    warnings = []
    out = []
    spawned = []
    exitWith = 0
    calls = []
    starts = []
    startGate = undefined
    refuse = false
  })

  const broker = {
    url: async () => ({url: 'https://b.lambda-url.eu-west-1.on.aws/', source: 'ssm' as const}),
    decide: async (r: {target: string}) => {
      calls.push(`decide ${r.target}`)
      return refuse
        ? {user: 'alice', permissionSet: 'ReadOnly', allowed: false, reason: 'ReadOnly has no Linux user', version: '0.1.0'}
        : {user: 'alice', permissionSet: 'Developer', linuxUser: 'dev', source: 'user' as const, allowed: true, version: '0.1.0'}
    },
    start: async (r: Omit<StartRequest, 'action'>) => {
      calls.push('start')
      starts.push(r)
      await startGate
      if (refuse) throw refusalError({user: 'alice', permissionSet: 'ReadOnly', allowed: false, reason: 'ReadOnly has no Linux user'}, 'refused')
      return STARTED
    },
    terminate: async (id: string) => {
      calls.push(`terminate ${id}`)
      return {sessionId: id}
    },
    resume: async (id: string) => {
      calls.push(`resume ${id}`)
      return {sessionId: id, tokenValue: 'T2', streamUrl: 'wss://2'}
    },
    datakey: async () => ({ciphertextBlob: '', plaintext: ''}),
  }

  const spawn = ((_file: string, args: string[], options: {env: NodeJS.ProcessEnv}) => {
    spawned.push({args, env: options.env})
    const child = new FakeChild()
    setImmediate(() => child.emit('exit', exitWith, null))
    return child
  }) as unknown as Spawn

  async function deps(extra: Partial<SessionDeps> = {}): Promise<SessionDeps> {
    const ctx = await AwsContext.create({
      version: '1.0.0',
      region: 'eu-west-1',
      env: {HOME: home},
      credentials: async () => ({accessKeyId: 'AKID', secretAccessKey: 'SECRET'}),
    })
    return {
      ctx,
      config: parseConfig({mode: 'broker'}),
      warn: (l) => warnings.push(l),
      out: (l) => out.push(l),
      spawn,
      plugin: async () => NEW_PLUGIN,
      broker: broker as unknown as BrokerClient,
      ...extra,
    }
  }

  it('mode: --broker, else the configuration', () => {
    expect(brokerMode(true, {mode: 'documents'})).to.equal(true)
    expect(brokerMode(undefined, {mode: 'broker'})).to.equal(true)
    expect(brokerMode(false, parseConfig({}))).to.equal(false)
  })

  it("the broker starts the session; the plugin gets it in its environment, the broker's document, and the relay as its SSM endpoint; SSM and STS are never called", async () => {
    expect(await runSession({target: INSTANCE, reason: 'JIRA-1', broker: true}, await deps())).to.equal(0)
    expect(starts).to.deep.equal([{target: INSTANCE, kind: 'shell', reason: 'JIRA-1'}])
    const [response, region, op, profile, parameters, endpoint] = spawned[0].args
    expect([response, region, op, profile]).to.deep.equal(['AWS_SSM_START_SESSION_RESPONSE', 'eu-west-1', 'StartSession', ''])
    expect(JSON.parse(parameters)).to.deep.equal({Target: INSTANCE, DocumentName: 'SSM-SessionManagerRunShell'})
    expect(endpoint).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(JSON.parse(spawned[0].env.AWS_SSM_START_SESSION_RESPONSE!)).to.deep.equal({
      SessionId: STARTED.sessionId,
      TokenValue: 'TOKEN-SECRET',
      StreamUrl: 'wss://stream',
    })
    expect(spawned[0].args.join(' ')).to.not.include('TOKEN-SECRET')
    // the plugin signs its relay calls with ssmx's own credentials, from its environment (never its argv)
    expect(spawned[0].env).to.include({AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'SECRET', AWS_SESSION_TOKEN: ''})
    expect(spawned[0].args.join(' ')).to.not.include('SECRET')
    expect(warnings).to.include('Session broker: alice with permission set Developer: runs as dev (from the permission set).')
    expect(ssm.calls()).to.have.length(0)
    expect(sts.calls()).to.have.length(0)
    expect(calls).to.deep.equal(['start'])
    // the relay is gone with the session
    expect(
      await fetch(endpoint, {method: 'POST'}).then(
        () => 'open',
        () => 'closed',
      ),
    ).to.equal('closed')
  })

  it('the plugin fails: the broker terminates the session (not SSM)', async () => {
    exitWith = 1
    expect(await runSession({target: INSTANCE, broker: true}, await deps())).to.equal(1)
    expect(calls).to.deep.equal(['start', `terminate ${STARTED.sessionId}`])
    expect(ssm.calls()).to.have.length(0)
  })

  it('a refusal: exit 15 with the reason, no plugin, nothing to terminate', async () => {
    refuse = true
    const error = (await runSession({target: INSTANCE, broker: true}, await deps()).catch((e: unknown) => e)) as SsmxError
    expect(error.exitCode).to.equal(15)
    expect(error.message).to.include('ReadOnly has no Linux user')
    expect(spawned).to.have.length(0)
    expect(calls).to.deep.equal(['start'])
  })

  it('SIGTERM while the broker starts the session: the plugin never runs, the broker terminates it, exit 143', async () => {
    const source = new EventEmitter()
    let release!: () => void
    startGate = new Promise<void>((r) => (release = r))
    const running = runSession({target: INSTANCE, broker: true}, await deps({signals: source}))
    while (!calls.includes('start')) await new Promise((r) => setImmediate(r))
    source.emit('SIGTERM')
    release()
    expect(await running).to.equal(143)
    expect(spawned).to.have.length(0)
    expect(calls).to.deep.equal(['start', `terminate ${STARTED.sessionId}`])
    expect(['SIGTERM', 'SIGHUP', 'SIGINT'].map((s) => source.listenerCount(s))).to.deep.equal([0, 0, 0])
  })

  it('forward: kind port with its parameters, and the broker always terminates at the end', async () => {
    const code = await forwardPort(INSTANCE, {local: 0, remote: 5432, host: 'db.internal'}, {...(await deps()), claim: async () => 15432}, {broker: true})
    expect(code).to.equal(0)
    expect(starts).to.deep.equal([
      {target: INSTANCE, kind: 'remote-port', parameters: {host: ['db.internal'], portNumber: ['5432'], localPortNumber: ['15432']}},
    ])
    expect(calls).to.deep.equal(['start', `terminate ${STARTED.sessionId}`])
  })

  it('ssh --broker passes --broker on to ssh-proxy', () => {
    expect(proxyCommand({command: ['ssmx'], broker: true})).to.equal('ssmx ssh-proxy %h %p --broker')
  })

  it('--document has no place in broker mode', async () => {
    const error = (await runSession({target: INSTANCE, document: 'X-Doc', broker: true}, await deps()).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('usage')
    expect(calls).to.deep.equal([])
  })

  it('--dry-run asks the broker what it decides, and starts nothing', async () => {
    expect(await runSession({target: INSTANCE, dryRun: true, broker: true}, await deps())).to.equal(0)
    expect(calls).to.deep.equal([`decide ${INSTANCE}`])
    expect(out).to.include('decision:  alice with permission set Developer: runs as dev (from a per-user override)')
    expect(out.find((l) => l.startsWith('request:'))).to.equal(`request:   broker start ${JSON.stringify({target: INSTANCE, kind: 'shell'})}`)
    expect(spawned).to.have.length(0)
  })

  it("ssh --push-key without a user: the broker's Linux user in broker mode, the permission set's in documents mode", async () => {
    expect(await defaultPushUser({broker, permissionSet: async () => 'Developer', config: parseConfig({})}, INSTANCE)).to.deep.include({user: 'dev'})
    expect(calls).to.deep.equal([`decide ${INSTANCE}`])
    const config = parseConfig({permissionSets: {Developer: {runAsUser: 'devuser'}}})
    expect(await defaultPushUser({permissionSet: async () => 'Developer', config}, INSTANCE)).to.deep.include({user: 'devuser'})
    const unknown = (await defaultPushUser({permissionSet: async () => 'Other', config}, INSTANCE).catch((e: unknown) => e)) as SsmxError
    expect(unknown.code).to.equal('usage')
    refuse = true
    const refused = (await defaultPushUser({broker, permissionSet: async () => undefined, config}, INSTANCE).catch((e: unknown) => e)) as SsmxError
    expect(refused.exitCode).to.equal(15)
  })
})
