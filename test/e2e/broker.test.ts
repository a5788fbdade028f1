import {spawn} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {type AddressInfo, createServer} from 'node:net'
import {join} from 'node:path'

import {expect} from 'chai'

import {buildArtifacts} from '../../src/admin/artifacts.js'
import {AwsContext} from '../../src/aws/clients.js'
import {BrokerClient} from '../../src/broker/client.js'
import {parseConfig} from '../../src/config/load.js'
import {ExitCode, type SsmxError} from '../../src/errors.js'
import {describeInstances} from '../support/aws-fixtures.js'
import {AWS_CONFIG, BIN, Sandbox} from '../support/cli.js'
import {type AgentSpec, FakeAgent} from '../support/fake-agent.js'
import {AwsFault, FakeAws, type Handler, toXml} from '../support/fake-aws.js'
import {FakeBrokerAws} from '../support/fake-broker-aws.js'
import {FunctionUrlEmulator, TEST_REGION, type TestCredentials, idcCredentials} from '../support/function-url.js'
import {closedPort, echoThrough} from '../support/ports.js'
import {post, signBrokerRequest} from '../support/sign.js'
import {until} from '../support/until.js'

const INSTANCE = 'i-0123456789abcdef0'
const OTHER = 'i-0fedcba9876543210'
const OU = 'ou-abcd-11111111'
const CONFIG = parseConfig({
  permissionSets: {Developer: {runAsUser: 'dev'}, Ops: {runAsUser: 'ops'}},
  admin: {
    organizationalUnits: [OU],
    overrides: {[OU]: {permissionSets: {Ops: {runAsUser: 'opsprod'}}}},
    broker: {enabled: true, organizationId: 'o-abcdefghij', users: {'ann@example.com': 'dba'}},
  },
})

/**
 * Broker mode end to end: the built CLI against the function-URL emulator, which verifies each request's SigV4
 * signature and runs the broker's code taken from the rendered template against a stateful fake AWS.
 */
describe("broker mode (built CLI → function-URL emulator → the template's broker code → fake AWS)", function () {
  this.timeout(60_000)
  let fake: FakeAws
  let world: FakeBrokerAws
  let emulator: FunctionUrlEmulator
  let box: Sandbox
  const jane = idcCredentials({permissionSet: 'Developer', user: 'jane@example.com'})
  const ann = idcCredentials({permissionSet: 'Developer', user: 'ann@example.com'})
  const bob = idcCredentials({permissionSet: 'Developer', user: 'bob@example.com'})
  const reader = idcCredentials({permissionSet: 'ReadOnly', user: 'rita@example.com'})
  const ops = idcCredentials({permissionSet: 'Ops', user: 'otto@example.com'})
  const everyone = [jane, ann, bob, reader, ops]
  let brokerUrl = ''

  before(async () => {
    fake = await new FakeAws().start()
    world = new FakeBrokerAws().install(fake)
    for (const ps of ['Developer', 'ReadOnly', 'Ops']) world.idcRole(ps, (resource) => (resource.endsWith(OTHER) ? 'implicitDeny' : 'allowed'))
    world.instance(INSTANCE, {Environment: 'dev'}).instance(OTHER, {Environment: 'prod'})
    emulator = await new FunctionUrlEmulator({templateBody: buildArtifacts(CONFIG, '9.9.9').templateBody, awsEndpoint: fake.url}).start()
    emulator.register(...everyone)
    brokerUrl = emulator.url
    // what ssmx reads with the user's credentials: the published URL, and who the caller is
    fake.on('ssm', 'GetParameter', (input) => ({Parameter: {Name: input.Name, Type: 'String', Value: brokerUrl}}))
    fake.on('sts', 'GetCallerIdentity', (_, req) => {
      const c = everyone.find((e) => String(req.headers.authorization).includes(`Credential=${e.accessKeyId}/`))
      if (!c) throw new AwsFault('InvalidClientTokenId', 'unknown key', 403)
      return toXml({Arn: c.userArn, UserId: c.userId, Account: c.accountId})
    })
    fake.on('ssm', 'DescribeInstanceInformation', () => ({InstanceInformationList: []}))
  })
  after(async () => {
    await emulator.stop()
    await fake.stop()
  })
  beforeEach(() => {
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    world.sessions.clear()
    fake.requests.length = 0
  })
  afterEach(() => box.cleanup())

  const as = (c: TestCredentials, extra: Record<string, string> = {}) => ({
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    AWS_SESSION_TOKEN: c.sessionToken!,
    ...extra,
  })
  const startedBy = (c: TestCredentials) =>
    fake.calls('ssm', 'StartSession').filter((r) => String(r.headers.authorization).includes(`Credential=${c.accessKeyId}/`))
  const sessions = () => [...world.sessions.values()]

  it("connect: the broker starts the session as the permission set's user; the plugin gets it in its environment and the relay as its endpoint; its Resume and Terminate reach the broker", async () => {
    const r = await box.run(['connect', INSTANCE, '--broker'], {env: as(jane, {FAKE_PLUGIN_CALLS: 'ResumeSession,TerminateSession'})})
    expect(r.code, r.stderr + emulator.errors.join('\n')).to.equal(0)
    const [s] = sessions()
    expect(sessions()).to.have.length(1)
    expect(s).to.include({target: INSTANCE, document: 'SSM-SessionManagerRunShell', runAs: 'dev', sourceIdentity: 'jane@example.com'})
    expect(startedBy(jane), 'the user never calls StartSession').to.deep.equal([])
    const [start, ...calls] = box.pluginRuns()
    expect(start.args!.slice(0, 5)).to.deep.equal([
      'AWS_SSM_START_SESSION_RESPONSE',
      TEST_REGION,
      'StartSession',
      '',
      JSON.stringify({Target: INSTANCE, DocumentName: 'SSM-SessionManagerRunShell'}),
    ])
    expect(start.args![5]).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
    const response = JSON.parse(start.env!.AWS_SSM_START_SESSION_RESPONSE)
    expect(response.SessionId).to.equal(s.sessionId)
    expect(response.StreamUrl).to.include(s.sessionId)
    // the relay: ResumeSession got a new token from the broker, TerminateSession ended the session
    expect(calls.map((c) => ({...c}))).to.deep.equal([
      {event: 'call', operation: 'ResumeSession', ok: true, token: world.sessions.get(s.sessionId)!.tokenValue},
      {event: 'call', operation: 'TerminateSession', ok: true},
    ])
    expect(world.sessions.get(s.sessionId)!.status).to.equal('Terminated')
    expect(r.stderr).to.include('Session broker: jane@example.com with permission set Developer: runs as dev (from the permission set).')
    expect(r.stderr + r.stdout).to.not.include(response.TokenValue)
    expect(
      emulator
        .audit()
        .slice(-3)
        .map((a) => a.action),
    ).to.deep.equal(['start', 'resume', 'terminate'])
    // the URL is cached per account × region: the next session reads no parameter
    expect(fake.calls('ssm', 'GetParameter')).to.have.length(1)
    const again = await box.run(['connect', INSTANCE, '--broker'], {env: as(jane)})
    expect(again.code).to.equal(0)
    expect(fake.calls('ssm', 'GetParameter')).to.have.length(1)
  })

  it("the plugin signs its relay calls with the credentials ssmx used (a named profile's), not with whatever else its environment holds", async () => {
    // jane's keys come from --profile jane; bob's sit in the environment, where the plugin would otherwise find them
    box.file(
      '.aws/credentials',
      `[jane]\naws_access_key_id = ${jane.accessKeyId}\naws_secret_access_key = ${jane.secretAccessKey}\naws_session_token = ${jane.sessionToken}\n`,
    )
    const r = await box.run(['connect', INSTANCE, '--broker', '--profile', 'jane'], {
      env: as(bob, {FAKE_PLUGIN_CALLS: 'ResumeSession', AWS_REGION: TEST_REGION}),
    })
    expect(r.code, r.stderr + emulator.errors.join('\n')).to.equal(0)
    const [start, resume] = box.pluginRuns()
    expect(start.args![3], 'no profile argument: the plugin takes the credentials from its environment').to.equal('')
    expect(start.env).to.include({AWS_ACCESS_KEY_ID: jane.accessKeyId, AWS_SECRET_ACCESS_KEY: jane.secretAccessKey, AWS_SESSION_TOKEN: jane.sessionToken})
    expect(start.args!.join(' ')).to.not.include(jane.secretAccessKey)
    expect(resume).to.include({operation: 'ResumeSession', ok: true})
    expect(r.stderr + r.stdout).to.not.include(jane.secretAccessKey)
  })

  it('mode: broker in the configuration, the cached URL reused; a failing plugin: the broker terminates the session', async () => {
    box.file('.ssmxrc.yaml', 'mode: broker\n')
    const first = await box.run(['connect', INSTANCE], {env: as(jane)})
    expect(first.code, first.stderr).to.equal(0)
    const failing = await box.run(['connect', INSTANCE], {env: as(jane, {FAKE_PLUGIN_EXIT: '3'})})
    expect(failing.code).to.equal(3)
    expect(fake.calls('ssm', 'GetParameter')).to.have.length(1)
    const [ok, failed] = sessions()
    expect(ok.status).to.equal('Connected')
    expect(failed.status).to.equal('Terminated')
    expect(failing.stderr).to.include(`Session ${failed.sessionId} terminated.`)
    expect(emulator.audit().at(-1)).to.include({action: 'terminate', decision: 'allowed'})
  })

  it('forward: a port-forwarding session through the broker, terminated at the end', async () => {
    const r = await box.run(['forward', INSTANCE, '0:5432', '--host', 'db.internal', '--broker'], {env: as(jane)})
    expect(r.code, r.stderr).to.equal(0)
    const [s] = sessions()
    expect(s.document).to.equal('AWS-StartPortForwardingSessionToRemoteHost')
    expect(s.parameters).to.deep.include({host: ['db.internal'], portNumber: ['5432']})
    expect(s.status).to.equal('Terminated')
    expect(r.stderr).to.match(/Forwarding localhost:\d+ → db\.internal:5432 through i-0123456789abcdef0/)
  })

  it('a per-user override: ann runs as dba whatever her permission set says (whoami --target, then connect)', async () => {
    const who = await box.run(['whoami', '--broker', '--target', INSTANCE, '--json'], {env: as(ann)})
    expect(who.code, who.stderr).to.equal(0)
    const result = JSON.parse(who.stdout)
    expect(result).to.deep.include({mode: 'broker', runAsUser: 'dba', document: 'SSM-SessionManagerRunShell', documentReason: 'broker'})
    expect(result.broker.decision).to.deep.include({
      user: 'ann@example.com',
      permissionSet: 'Developer',
      linuxUser: 'dba',
      source: 'user',
      allowed: true,
      version: '9.9.9',
    })
    expect(result.broker.target).to.deep.equal({id: INSTANCE})
    const r = await box.run(['connect', INSTANCE, '--broker'], {env: as(ann)})
    expect(r.code).to.equal(0)
    expect(sessions()[0].runAs).to.equal('dba')
    expect(world.sessions.size).to.equal(1)
  })

  it("refusals: an unmapped permission set, a target the caller's own permission set may not reach → exit 15, the reason, nothing started", async () => {
    const unmapped = await box.run(['connect', INSTANCE, '--broker'], {env: as(reader)})
    expect(unmapped.code).to.equal(ExitCode.brokerRefused)
    expect(unmapped.stderr).to.include('The session broker refused').and.include('ReadOnly').and.include('platform team')
    const denied = await box.run(['connect', OTHER, '--broker'], {env: as(jane)})
    expect(denied.code).to.equal(ExitCode.brokerRefused)
    expect(denied.stderr).to.include(OTHER)
    expect(sessions()).to.deep.equal([])
    expect(box.pluginRuns()).to.deep.equal([])
    const who = await box.run(['whoami', '--broker', '--target', OTHER], {env: as(jane)})
    expect(who.code).to.equal(ExitCode.brokerRefused)
    expect(who.stdout).to.match(/runs as\s+refused: /)
    const doctor = await box.run(['doctor', '--broker', '--target', INSTANCE, '--json'], {env: as(reader)})
    expect(doctor.code).to.equal(ExitCode.brokerRefused)
    const checks = JSON.parse(doctor.stdout).checks as Array<{id: string; status: string; fix: string[]}>
    expect(checks.find((c) => c.id === 'broker')).to.include({status: 'ok'})
    expect(checks.find((c) => c.id === 'brokerDecision')).to.include({status: 'fail'})
    expect(sessions()).to.deep.equal([])
  })

  it("a per-OU override: the broker deployed in that OU (its stack-instance parameters) answers with the OU's user", async () => {
    const ouEmulator = await new FunctionUrlEmulator({
      templateBody: buildArtifacts(CONFIG, '9.9.9').templateBody,
      awsEndpoint: fake.url,
      parameters: buildArtifacts(CONFIG, '9.9.9').ouOverrides[0].parameters,
    }).start()
    ouEmulator.register(ops)
    brokerUrl = ouEmulator.url
    try {
      const who = await box.run(['whoami', '--broker', '--target', INSTANCE], {env: as(ops)})
      expect(who.code, who.stderr).to.equal(0)
      expect(who.stdout).to.match(/runs as\s+opsprod \(from the permission set, overridden for this OU\)/)
      const r = await box.run(['connect', INSTANCE, '--broker'], {env: as(ops)})
      expect(r.code).to.equal(0)
      expect(sessions()[0].runAs).to.equal('opsprod')
    } finally {
      brokerUrl = emulator.url
      await ouEmulator.stop()
    }
  })

  it("another user's session: bob can neither terminate nor resume jane's; a body claiming to be jane changes nothing", async () => {
    const r = await box.run(['connect', INSTANCE, '--broker'], {env: as(jane)})
    expect(r.code).to.equal(0)
    const [s] = sessions()
    const ctx = await AwsContext.create({version: '0.0.0', region: TEST_REGION, env: {HOME: box.home}, credentials: async () => bob})
    const client = new BrokerClient({ctx, account: async () => undefined, getParameter: async () => emulator.url})
    for (const attempt of [() => client.terminate(s.sessionId), () => client.resume(s.sessionId)]) {
      const error = (await attempt().catch((e: unknown) => e)) as SsmxError
      expect(error.exitCode).to.equal(ExitCode.brokerRefused)
      expect(error.message).to.include('not yours')
    }
    expect(world.sessions.get(s.sessionId)!.status).to.equal('Connected')
    // identity in the body: unknown fields are bad input (400), nothing is started
    const spoof = await post(
      await signBrokerRequest(emulator.url, {action: 'start', target: INSTANCE, kind: 'shell', user: 'jane@example.com', permissionSet: 'Admin'}, bob, {
        region: TEST_REGION,
      }),
    )
    expect(spoof.status).to.equal(400)
    expect(world.sessions.size).to.equal(1)
  })

  it('the built-in client through the broker: ssh-proxy --native to the fake agent, a KMS-encrypted session whose data key comes from the broker', async () => {
    const agent = await new FakeAgent().start()
    const echo = createServer((c) => c.pipe(c))
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    const unglue = glueAgent(fake, world, agent, {
      backend: {kind: 'stdio', port: (echo.address() as AddressInfo).port},
      kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
    })
    try {
      const child = spawn(process.execPath, [BIN, 'ssh-proxy', INSTANCE, '22', '--broker', '--native'], {cwd: box.home, env: {...box.env, ...as(jane)}})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      const exited = new Promise<number | null>((r) => child.on('close', r))
      child.stdin.write('ping through the broker\n')
      await until(
        'the echo',
        () => stdout.includes('ping through the broker'),
        20_000,
        () => stderr + emulator.errors.join('\n'),
      )
      child.kill('SIGHUP')
      await exited
      const [s] = sessions()
      expect(s).to.include({document: 'AWS-StartSSHSession', runAs: 'dev'})
      expect(world.dataKeys.at(-1)).to.deep.include({
        keyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
        context: {'aws:ssm:SessionId': s.sessionId, 'aws:ssm:TargetId': INSTANCE},
      })
      expect(
        fake.calls('kms').filter((c) => String(c.headers.authorization).includes(jane.accessKeyId)),
        'the user never calls KMS',
      ).to.deep.equal([])
      expect(emulator.audit().map((a) => a.action)).to.include('datakey')
    } finally {
      unglue()
      echo.close()
      await agent.stop()
    }
  })

  it('forward --native through the broker: a port-forwarding session as the caller, bytes echoed byte-exact through the agent, Ctrl-C ends it through the broker', async () => {
    const agent = await new FakeAgent().start()
    const echo = createServer((c) => c.pipe(c))
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    const remote = (echo.address() as AddressInfo).port
    const local = await closedPort()
    // the agent forwards to the port the broker's StartSession asked for, with smux (agents after 3.0.196.0)
    const unglue = glueAgent(fake, world, agent, (input) => {
      const params = input.Parameters as Record<string, string[]>
      return {backend: {kind: 'forward', port: Number(params.portNumber[0]), mux: true, localPortNumber: params.localPortNumber[0]}}
    })
    const {child, result} = box.start(['forward', INSTANCE, `${local}:${remote}`, '--native', '--broker'], {env: as(jane), timeoutMs: 40_000})
    try {
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      await until(
        'the local listener',
        () => stderr.includes('opened for session'),
        20_000,
        () => stderr + emulator.errors.join('\n'),
      )
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
      await Promise.all(
        [100_000, 1].map(async (size) => {
          const data = randomBytes(size)
          const got = await echoThrough(local, data, () => stderr)
          expect(got.length).to.equal(size)
          expect(sha(got)).to.equal(sha(data))
        }),
      )
      child.kill('SIGINT')
      const r = await result
      expect(r.code, r.stderr + emulator.errors.join('\n')).to.equal(0)
      // the broker started it as jane, with the port-forwarding document, her ports and her permission set's user
      expect(sessions()).to.have.length(1)
      const [s] = sessions()
      expect(s).to.deep.include({
        target: INSTANCE,
        document: 'AWS-StartPortForwardingSession',
        parameters: {portNumber: [String(remote)], localPortNumber: [String(local)]},
        runAs: 'dev',
        sourceIdentity: 'jane@example.com',
        status: 'Terminated',
      })
      expect(startedBy(jane), 'the user never calls StartSession').to.deep.equal([])
      // the built-in client opened the agent's data channel with the token the broker handed over
      expect(agent.sessions.get(s.sessionId)!.opens).to.have.length.greaterThan(0)
      expect(box.pluginRuns(), 'the built-in client, not the plugin').to.deep.equal([])
      // ended through the broker: one TerminateSession, by the broker's session role acting for jane, none by her
      const terminates = fake.calls('ssm', 'TerminateSession')
      expect(terminates.map((c) => c.input)).to.deep.equal([{SessionId: s.sessionId}])
      expect(world.caller(terminates[0]!)).to.deep.include({sessionName: 'jane@example.com'})
      expect(String(terminates[0]!.headers.authorization)).to.not.include(jane.accessKeyId)
      const audit = emulator.audit().map(({action, kind, user, permissionSet, linuxUser, sessionId, decision}) => ({
        action,
        kind,
        user,
        permissionSet,
        linuxUser,
        sessionId,
        decision,
      }))
      const who = {user: 'jane@example.com', permissionSet: 'Developer', sessionId: s.sessionId, decision: 'allowed'}
      expect(audit.slice(-2)).to.deep.equal([
        {action: 'start', kind: 'port', linuxUser: 'dev', ...who},
        {action: 'terminate', kind: undefined, linuxUser: undefined, ...who},
      ])
      expect(r.stderr).to.include('Session broker: jane@example.com with permission set Developer: runs as dev (from the permission set).')
      expect(r.stderr).to.include(`Forwarding localhost:${local} → port ${remote} on ${INSTANCE}`)
      expect(r.stderr).to.include(`Session ${s.sessionId} terminated.`)
      expect(r.stderr + r.stdout).to.not.include(s.tokenValue)
    } finally {
      // a failure before Ctrl-C: nothing left running
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      unglue()
      echo.close()
      await agent.stop()
    }
  })

  it("ssh --push-key --broker: the key goes to the Linux user the broker decides (ann's per-user dba, jane's dev), ssh logs in as that user through ssh-proxy --broker; a refusal pushes nothing", async () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyFakeKeyFakeKeyFakeKeyFakeKeyFakeKey someone@laptop'
    box.file('.ssh/id_ed25519.pub', `${key}\n`)
    // a recording ssh first on PATH: its argv as JSON, and exit 7
    const sshLog = join(box.home, 'ssh.log')
    writeFileSync(
      join(box.bin, 'ssh'),
      `#!/bin/sh\n"${process.execPath}" -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))' "${sshLog}" "$@"\nexit 7\n`,
    )
    chmodSync(join(box.bin, 'ssh'), 0o755)
    fake.on('ec2', 'DescribeInstances', describeInstances([{id: INSTANCE, az: 'eu-west-1b'}]))
    fake.on('ec2-instance-connect', 'SendSSHPublicKey', () => ({RequestId: 'r-1', Success: true}))
    const cases: Array<[TestCredentials, string, string]> = [
      [ann, 'dba', 'user'],
      [jane, 'dev', 'permission-set'],
    ]
    for (const [caller, linuxUser, source] of cases) {
      fake.requests.length = 0
      rmSync(sshLog, {force: true})
      const r = await box.run(['ssh', INSTANCE, '--push-key', '--broker'], {env: as(caller)})
      expect(r.code, r.stderr + emulator.errors.join('\n')).to.equal(7)
      const pushes = fake.calls('ec2-instance-connect', 'SendSSHPublicKey')
      expect(pushes.map((c) => c.input)).to.deep.equal([{InstanceId: INSTANCE, InstanceOSUser: linuxUser, SSHPublicKey: key, AvailabilityZone: 'eu-west-1b'}])
      expect(String(pushes[0]!.headers.authorization), "pushed with the caller's own credentials").to.include(`Credential=${caller.accessKeyId}/`)
      // the broker decided (and started nothing): kind ssh, this caller, this user
      expect(emulator.audit().at(-1)).to.deep.include({
        action: 'decide',
        kind: 'ssh',
        target: INSTANCE,
        user: caller === ann ? 'ann@example.com' : 'jane@example.com',
        permissionSet: 'Developer',
        linuxUser,
        source,
        decision: 'allowed',
      })
      const argv = JSON.parse(readFileSync(sshLog, 'utf8')) as string[]
      expect(argv).to.have.length(3)
      expect(argv[0]).to.equal('-o')
      expect(argv[1]).to.match(/^ProxyCommand=\S+ \S+bin\/run\.js ssh-proxy %h %p --broker$/)
      expect(argv[2]).to.equal(`${linuxUser}@${INSTANCE}`)
      expect(r.stderr).to.include(`Pushing the key for ${linuxUser} (from the session broker's decision for Developer).`)
      expect(r.stderr).to.include(`for ${linuxUser}@${INSTANCE} (valid 60 s)`)
    }
    expect(sessions(), 'ssh-proxy (not run by the recording ssh) starts the session; ssh itself starts none').to.deep.equal([])
    expect(fake.calls('ssm', 'StartSession')).to.deep.equal([])
    // a target jane's permission set may not reach: refused before any key is pushed or ssh runs
    fake.requests.length = 0
    rmSync(sshLog, {force: true})
    const refused = await box.run(['ssh', OTHER, '--push-key', '--broker'], {env: as(jane)})
    expect(refused.code).to.equal(ExitCode.brokerRefused)
    expect(refused.stderr).to.include(OTHER)
    expect(fake.calls('ec2-instance-connect')).to.deep.equal([])
    expect(existsSync(sshLog), 'ssh never ran').to.equal(false)
  })

  it('no broker here (exit 13), a signature the function URL rejects (exit 8): each with its fix', async () => {
    const stranger = idcCredentials({permissionSet: 'Developer', user: 'eve@example.com'})
    const rejected = await box.run(['connect', INSTANCE, '--broker'], {env: as(stranger)})
    expect(rejected.code).to.equal(ExitCode.accessDenied)
    expect(rejected.stderr).to.include('lambda:InvokeFunctionUrl')
    expect(emulator.requests.at(-1)!.rejected).to.include('unknown access key')
    fake.on('ssm', 'GetParameter', () => {
      throw new AwsFault('ParameterNotFound', 'not found')
    })
    try {
      const doctor = await box.run(['doctor', '--broker', '--json'], {env: as(bob)})
      expect(doctor.code).to.equal(ExitCode.prerequisite)
      const check = (JSON.parse(doctor.stdout).checks as Array<{id: string; status: string; detail: string}>).find((c) => c.id === 'broker')!
      expect(check).to.include({status: 'fail'})
      expect(check.detail).to.include('No session broker is deployed in eu-west-1')
    } finally {
      fake.on('ssm', 'GetParameter', (input) => ({Parameter: {Name: input.Name, Type: 'String', Value: brokerUrl}}))
    }
  })
})

/**
 * Points the broker's sessions at a fake agent: each StartSession the broker makes (recorded by FakeBrokerAws)
 * also opens an agent session under the same id and token (its spec from the StartSession input, or fixed), and
 * the fake KMS's data keys are the agent's too. Returns what puts the world's own handlers back.
 */
function glueAgent(fake: FakeAws, world: FakeBrokerAws, agent: FakeAgent, spec: AgentSpec | ((input: Record<string, unknown>) => AgentSpec)): () => void {
  const handlers = (fake as unknown as {handlers: Map<string, Handler>}).handlers
  const start = handlers.get('ssm.StartSession')!
  const dataKey = handlers.get('kms.GenerateDataKey')!
  const streamUrl = world.streamUrl
  world.streamUrl = (id) => `${agent.url}/v1/data-channel/${id}?role=publish_subscribe`
  fake.on('ssm', 'StartSession', async (input, req) => {
    const out = (await start(input, req)) as {SessionId: string; TokenValue: string}
    const created = agent.create(String(input.Target), typeof spec === 'function' ? spec(input) : spec)
    const session = agent.sessions.get(created.SessionId)!
    agent.sessions.delete(created.SessionId)
    agent.sessions.set(out.SessionId, session)
    session.tokens.add(out.TokenValue)
    return out
  })
  fake.on('kms', 'GenerateDataKey', async (input, req) => {
    const out = (await dataKey(input, req)) as {CiphertextBlob: string; Plaintext: string; KeyId: string}
    agent.keys.set(out.CiphertextBlob, {
      plaintext: Buffer.from(out.Plaintext, 'base64'),
      context: input.EncryptionContext as Record<string, string>,
      keyId: String(input.KeyId),
    })
    return out
  })
  return () => {
    world.streamUrl = streamUrl
    fake.on('ssm', 'StartSession', start)
    fake.on('kms', 'GenerateDataKey', dataKey)
  }
}
