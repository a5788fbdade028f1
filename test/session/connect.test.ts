import {EventEmitter} from 'node:events'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {DescribeInstancesCommand, EC2Client} from '@aws-sdk/client-ec2'
import {SSMClient, StartSessionCommand, TerminateSessionCommand} from '@aws-sdk/client-ssm'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {type AwsClientStub, mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import {ssmPort} from '../../src/aws/ssm.js'
import {AwsContext} from '../../src/aws/clients.js'
import {parseConfig} from '../../src/config/load.js'
import type {ConfigInput} from '../../src/config/schema.js'
import {SsmxError} from '../../src/errors.js'
import {type SessionDeps, planSession, runSession, ssmEndpoint} from '../../src/session/connect.js'
import type {Spawn} from '../../src/platform/process.js'
import type {PluginInfo} from '../../src/session/plugin.js'

const INSTANCE = 'i-0123456789abcdef0'
const SESSION = {SessionId: 's-1', TokenValue: 'TOKEN-SECRET', StreamUrl: 'wss://x'}
const NEW_PLUGIN: PluginInfo = {path: '/bin/session-manager-plugin', version: '1.2.707.0', envHandoff: true}
const awsError = (name: string) => Object.assign(new Error(name), {name, $metadata: {}})

class FakeChild extends EventEmitter {
  kill() {
    return true
  }
}

describe('session/connect', () => {
  let ssm: AwsClientStub<SSMClient>
  let sts: AwsClientStub<STSClient>
  let ec2: AwsClientStub<EC2Client>
  // created in before(), not at load time, so the prototype stubs never leak into other files' tests
  before(() => {
    ssm = mockClient(SSMClient)
    sts = mockClient(STSClient)
    ec2 = mockClient(EC2Client)
  })
  let home: string
  let warnings: string[]
  let out: string[]
  let spawned: Array<{args: string[]; env: NodeJS.ProcessEnv}>
  let exitWith: number | Error

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'ssmx-connect-'))
    mkdirSync(join(home, '.aws'))
    writeFileSync(
      join(home, '.aws', 'config'),
      '[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Developer\nregion = eu-west-1\n[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n[profile plain]\nregion = eu-west-1\n',
    )
  })
  after(() => {
    rmSync(home, {recursive: true, force: true})
    for (const m of [ssm, sts, ec2]) m.restore()
  })
  beforeEach(() => {
    for (const m of [ssm, sts, ec2]) m.reset()
    ssm.on(StartSessionCommand).resolves(SESSION).on(TerminateSessionCommand).resolves({SessionId: 's-1'})
    warnings = []
    out = []
    spawned = []
    exitWith = 0
  })

  const spawn = ((_file: string, args: string[], options: {env: NodeJS.ProcessEnv}) => {
    spawned.push({args, env: options.env})
    const child = new FakeChild()
    setImmediate(() => (exitWith instanceof Error ? child.emit('error', exitWith) : child.emit('exit', exitWith, null)))
    return child
  }) as unknown as Spawn

  async function deps(profile: string, config: ConfigInput = {}, extra: Partial<SessionDeps> = {}): Promise<SessionDeps> {
    const ctx = await AwsContext.create({
      version: '1.0.0',
      profile,
      env: {HOME: home},
      credentials: async () => ({accessKeyId: 'AKID', secretAccessKey: 'SECRET'}),
    })
    return {ctx, config: parseConfig(config), warn: (l) => warnings.push(l), out: (l) => out.push(l), spawn, plugin: async () => NEW_PLUGIN, ...extra}
  }
  const starts = () => ssm.commandCalls(StartSessionCommand).map((c) => c.args[0].input)
  const terminations = () => ssm.commandCalls(TerminateSessionCommand).map((c) => c.args[0].input)

  it('SSO profile: the per-role document, no STS call, the plugin gets the response in its environment', async () => {
    const code = await runSession({target: INSTANCE}, await deps('dev'))
    expect(code).to.equal(0)
    expect(starts()).to.deep.equal([{Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'}])
    expect(sts.calls()).to.have.length(0)
    expect(ec2.calls()).to.have.length(0)
    expect(spawned[0].args).to.deep.equal([
      'AWS_SSM_START_SESSION_RESPONSE',
      'eu-west-1',
      'StartSession',
      'dev',
      JSON.stringify({Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'}),
      'https://ssm.eu-west-1.amazonaws.com',
    ])
    expect(JSON.parse(spawned[0].env.AWS_SSM_START_SESSION_RESPONSE!)).to.deep.equal(SESSION)
    expect(terminations()).to.deep.equal([])
  })

  it('non-SSO profile: permission set from STS; Parameters and Reason pass through', async () => {
    sts.on(GetCallerIdentityCommand).resolves({Account: '1', Arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Ops+Admin@eu_0123456789abcdef/a'})
    await runSession({target: INSTANCE, reason: 'why', parameters: {portNumber: ['22']}}, await deps('plain'))
    expect(sts.commandCalls(GetCallerIdentityCommand)[0].args[0].input).to.deep.equal({})
    expect(starts()).to.deep.equal([{Target: INSTANCE, DocumentName: 'SSMX-RunAs-Ops_Admin_eu', Parameters: {portNumber: ['22']}, Reason: 'why'}])
  })

  it('no permission set: the account default, so no DocumentName', async () => {
    sts.on(GetCallerIdentityCommand).resolves({Account: '1', Arn: 'arn:aws:iam::111122223333:user/ci'})
    await runSession({target: INSTANCE}, await deps('plain'))
    expect(starts()).to.deep.equal([{Target: INSTANCE}])
  })

  it('a fixed document (port forwarding, ssh) skips identity', async () => {
    await runSession({target: INSTANCE, fixedDocument: 'AWS-StartSSHSession', parameters: {portNumber: ['22']}}, await deps('plain'))
    expect(sts.calls()).to.have.length(0)
    expect(starts()).to.deep.equal([{Target: INSTANCE, DocumentName: 'AWS-StartSSHSession', Parameters: {portNumber: ['22']}}])
  })

  it('resolves a Name tag through EC2 before StartSession', async () => {
    ec2.on(DescribeInstancesCommand).resolves({Reservations: [{Instances: [{InstanceId: INSTANCE, State: {Name: 'running'}}]}]})
    await runSession({target: 'web-1'}, await deps('dev'))
    expect(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters![0]).to.deep.equal({Name: 'tag:Name', Values: ['web-1']})
    expect(starts()[0].Target).to.equal(INSTANCE)
  })

  it('InvalidDocument: falls back once to the default with one warning; strict refuses', async () => {
    ssm.on(StartSessionCommand, {DocumentName: 'SSMX-RunAs-Developer'}).rejects(awsError('InvalidDocument'))
    expect(await runSession({target: INSTANCE}, await deps('dev'))).to.equal(0)
    expect(starts()).to.deep.equal([{Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'}, {Target: INSTANCE}])
    expect(warnings).to.have.length(1)
    expect(warnings[0]).to.match(/SSMX-RunAs-Developer does not exist in eu-west-1; using SSM-SessionManagerRunShell/)
    expect(JSON.parse(spawned[0].args[4])).to.deep.equal({Target: INSTANCE})

    ssm.resetHistory()
    const error = (await runSession({target: INSTANCE}, await deps('dev', {strict: true})).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('document')
    expect(error.message).to.include('SSMX-RunAs-Developer')
    expect(starts()).to.have.length(1)
  })

  it('--document that does not exist is an error, not a fallback', async () => {
    ssm.on(StartSessionCommand, {DocumentName: 'Mine'}).rejects(awsError('InvalidDocument'))
    const error = (await runSession({target: INSTANCE, document: 'Mine'}, await deps('dev')).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('document')
    expect(starts()).to.have.length(1)
  })

  it('the plugin is checked before StartSession: a missing plugin starts nothing', async () => {
    const d = await deps('dev', {}, {plugin: async () => Promise.reject(new SsmxError('plugin', 'missing'))})
    const error = (await runSession({target: INSTANCE}, d).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('plugin')
    expect(ssm.calls()).to.have.length(0)
  })

  it('an old plugin is warned about before the session starts', async () => {
    await runSession({target: INSTANCE}, await deps('dev', {}, {plugin: async () => ({...NEW_PLUGIN, version: '1.2.0.0', envHandoff: false})}))
    expect(warnings[0]).to.match(/1\.2\.0\.0 is not newer than 1\.2\.497\.0/)
    expect(JSON.parse(spawned[0].args[0])).to.deep.equal(SESSION)
  })

  it('a plugin of exactly 1.2.497.0 is told it is not newer than 1.2.497.0, never "older than"', async () => {
    await runSession({target: INSTANCE}, await deps('dev', {}, {plugin: async () => ({...NEW_PLUGIN, version: '1.2.497.0', envHandoff: false})}))
    expect(warnings[0]).to.include('session-manager-plugin 1.2.497.0 is not newer than 1.2.497.0')
    expect(warnings[0]).not.to.include('older')
    expect(JSON.parse(spawned[0].args[0])).to.deep.equal(SESSION)
  })

  it('a failing plugin: its exit code, and TerminateSession', async () => {
    exitWith = 3
    expect(await runSession({target: INSTANCE}, await deps('dev'))).to.equal(3)
    expect(terminations()).to.deep.equal([{SessionId: 's-1'}])
  })

  it('a plugin that cannot start: TerminateSession, and the token in no message', async () => {
    exitWith = new Error('spawn EACCES')
    const error = (await runSession({target: INSTANCE}, await deps('dev')).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('plugin')
    expect(terminations()).to.deep.equal([{SessionId: 's-1'}])
    expect([error.message, ...error.suggestions, ...warnings].join('\n')).not.to.include('TOKEN-SECRET')
  })

  it('a failing TerminateSession is a warning, not a crash', async () => {
    exitWith = 1
    ssm.on(TerminateSessionCommand).rejects(awsError('InternalServerError'))
    expect(await runSession({target: INSTANCE}, await deps('dev'))).to.equal(1)
    expect(warnings.join('\n')).to.match(/could not terminate session s-1: InternalServerError/)
  })

  it('--dry-run: the plan and the plugin command, no StartSession, no plugin, no token', async () => {
    expect(await runSession({target: INSTANCE, dryRun: true, reason: 'r'}, await deps('dev'))).to.equal(0)
    expect(ssm.calls()).to.have.length(0)
    expect(spawned).to.have.length(0)
    expect(out.join('\n')).to.include('permission set Developer (from profile), account 111122223333')
    expect(out.join('\n')).to.include(`request:   SSM StartSession {"Target":"${INSTANCE}","DocumentName":"SSMX-RunAs-Developer","Reason":"r"}`)
    expect(out.join('\n')).to.include('falls back to SSM-SessionManagerRunShell')
    expect(out.join('\n')).to.match(/plugin: +\/bin\/session-manager-plugin AWS_SSM_START_SESSION_RESPONSE eu-west-1 StartSession dev /)
  })

  it('planSession maps STS failures with the profile in the next step', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('ExpiredTokenException'))
    const error = (await planSession({target: INSTANCE}, await deps('plain')).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('ssoExpired')
    expect(error.suggestions[0]).to.include('--profile plain')
  })

  describe("ssmEndpoint (the plugin's last argument)", () => {
    it('the regional default without an override, no trailing slash', async () => {
      const {ctx} = await deps('dev')
      expect(await ssmEndpoint(ctx, ssmPort(ctx.client(SSMClient, 'SSM')))).to.equal('https://ssm.eu-west-1.amazonaws.com')
    })
    it('the override, without its trailing slash', async () => {
      const ctx = await AwsContext.create({
        version: '1',
        profile: 'dev',
        endpointUrl: 'http://127.0.0.1:4566/',
        env: {HOME: home},
        credentials: async () => ({accessKeyId: 'a', secretAccessKey: 'b'}),
      })
      expect(await ssmEndpoint(ctx, ssmPort(ctx.client(SSMClient, 'SSM')))).to.equal('http://127.0.0.1:4566')
    })
    it('FIPS when the SDK is configured for it', async () => {
      const {ctx} = await deps('dev')
      const client = new SSMClient({region: 'us-east-1', useFipsEndpoint: true})
      const fips = await ssmEndpoint({...ctx, region: 'us-east-1', endpointOverride: () => undefined} as unknown as AwsContext, ssmPort(client))
      expect(fips).to.equal('https://ssm-fips.us-east-1.amazonaws.com')
    })
  })

  describe('a signal after StartSession is sent, before the plugin takes over', () => {
    let source: EventEmitter
    let startSent: Promise<void>
    let releaseStart: () => void
    const listeners = () => ['SIGTERM', 'SIGHUP', 'SIGINT'].map((s) => source.listenerCount(s))
    /** StartSession waits for releaseStart(); startSent settles once it has been called */
    const gateStart = (outcome: () => unknown) => {
      let sent!: () => void
      startSent = new Promise((r) => (sent = r))
      const gate = new Promise<void>((r) => (releaseStart = r))
      ssm.on(StartSessionCommand).callsFake(async () => {
        sent()
        await gate
        return outcome()
      })
    }
    beforeEach(() => {
      source = new EventEmitter()
      gateStart(() => SESSION)
    })

    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
      ['SIGHUP', 129],
    ] as const) {
      it(`${signal} while StartSession is in flight: the plugin never runs, TerminateSession ends the started session, exit ${code}`, async () => {
        const running = runSession({target: INSTANCE}, await deps('dev', {}, {signals: source}))
        await startSent
        expect(listeners(), 'deferred while StartSession is in flight').to.deep.equal([1, 1, 1])
        source.emit(signal)
        releaseStart()
        expect(await running).to.equal(code)
        expect(spawned).to.have.length(0)
        expect(terminations()).to.deep.equal([{SessionId: 's-1'}])
        expect(warnings).to.include('Session s-1 terminated.')
        expect(warnings.some((w) => w.startsWith(`Stopping on ${signal}`))).to.equal(true)
        expect(listeners()).to.deep.equal([0, 0, 0])
      })
    }

    it('the built-in client is not started either', async () => {
      const running = runSession({target: INSTANCE, native: true}, await deps('dev', {}, {signals: source}))
      await startSent
      source.emit('SIGTERM')
      releaseStart()
      expect(await running).to.equal(143)
      expect(warnings.join('\n')).not.to.include('Starting session')
      expect(terminations()).to.deep.equal([{SessionId: 's-1'}])
      expect(listeners()).to.deep.equal([0, 0, 0])
    })

    it('port forwarding: no "Forwarding" line, the session terminated', async () => {
      const running = runSession(
        {target: INSTANCE, fixedDocument: 'AWS-StartPortForwardingSession', terminate: 'always', interrupt: 'stop'},
        await deps('dev', {}, {signals: source, onStarted: () => warnings.push('Forwarding')}),
      )
      await startSent
      source.emit('SIGINT')
      releaseStart()
      expect(await running).to.equal(130)
      expect(warnings).not.to.include('Forwarding')
      expect(terminations()).to.deep.equal([{SessionId: 's-1'}])
    })

    it("a second signal while TerminateSession is in flight: still deferred, TerminateSession finishes, the first signal's code", async () => {
      let terminateSent!: () => void
      const terminating = new Promise<void>((r) => (terminateSent = r))
      let releaseTerminate!: () => void
      const gate = new Promise<void>((r) => (releaseTerminate = r))
      ssm.on(TerminateSessionCommand).callsFake(async () => {
        terminateSent()
        await gate
        return {SessionId: 's-1'}
      })
      const running = runSession({target: INSTANCE}, await deps('dev', {}, {signals: source}))
      await startSent
      source.emit('SIGTERM')
      releaseStart()
      await terminating
      expect(listeners()).to.deep.equal([1, 1, 1])
      source.emit('SIGINT')
      releaseTerminate()
      expect(await running).to.equal(143)
      expect(warnings).to.include('Session s-1 terminated.')
      expect(listeners()).to.deep.equal([0, 0, 0])
    })

    it('StartSession fails after the signal: its error, as without one, and nothing to terminate', async () => {
      gateStart(() => Promise.reject(awsError('AccessDeniedException')))
      const running = runSession({target: INSTANCE}, await deps('dev', {}, {signals: source})).catch((e: unknown) => e)
      await startSent
      source.emit('SIGTERM')
      releaseStart()
      const error = (await running) as SsmxError
      expect(error).to.be.instanceOf(SsmxError)
      expect(error.code).to.equal('accessDenied')
      expect(terminations()).to.deep.equal([])
      expect(spawned).to.have.length(0)
      expect(listeners()).to.deep.equal([0, 0, 0])
    })

    it("no signal: the plugin runs and the deferral is gone once it has been spawned; a later signal is the plugin's business", async () => {
      const running = runSession(
        {target: INSTANCE},
        await deps(
          'dev',
          {},
          {
            signals: source,
            spawn: ((...a: Parameters<Spawn>) => {
              const child = spawn(...a)
              setImmediate(() => source.emit('SIGTERM'))
              return child
            }) as Spawn,
          },
        ),
      )
      await startSent
      releaseStart()
      expect(await running).to.equal(0)
      expect(spawned).to.have.length(1)
      expect(terminations()).to.deep.equal([])
      expect(listeners()).to.deep.equal([0, 0, 0])
    })

    it('the process itself by default: no listener left behind on a normal run', async () => {
      const before = ['SIGTERM', 'SIGHUP', 'SIGINT'].map((s) => process.listenerCount(s))
      const running = runSession({target: INSTANCE}, await deps('dev'))
      await startSent
      releaseStart()
      expect(await running).to.equal(0)
      expect(['SIGTERM', 'SIGHUP', 'SIGINT'].map((s) => process.listenerCount(s))).to.deep.equal(before)
    })
  })
})
