import {expect} from 'chai'

import {buildArtifacts} from '../../src/admin/artifacts.js'
import {BROKER_URL_PARAMETER, BROKER_VERSION_PARAMETER} from '../../src/broker/protocol.js'
import {parseConfig} from '../../src/config/load.js'
import {FakeAws} from '../support/fake-aws.js'
import {FakeBrokerAws} from '../support/fake-broker-aws.js'
import {FunctionUrlEmulator, TEST_REGION, idcCredentials} from '../support/function-url.js'
import {post, signBrokerRequest} from '../support/sign.js'

const INSTANCE = 'i-0123456789abcdef0'
const CONFIG = parseConfig({
  permissionSets: {Developer: {runAsUser: 'dev'}},
  admin: {broker: {enabled: true, organizationId: 'o-abcdefghij'}},
})

describe("function-URL emulator (SigV4 like AWS, the template's broker code behind it)", function () {
  this.timeout(30_000)
  let fake: FakeAws
  let world: FakeBrokerAws
  let emulator: FunctionUrlEmulator
  const jane = idcCredentials({permissionSet: 'Developer', user: 'jane@example.com'})

  before(async () => {
    fake = await new FakeAws().start()
    world = new FakeBrokerAws().install(fake)
    world.idcRole('Developer', () => 'allowed').instance(INSTANCE, {Environment: 'dev'})
    emulator = await new FunctionUrlEmulator({templateBody: buildArtifacts(CONFIG, '9.9.9').templateBody, awsEndpoint: fake.url}).start()
    emulator.register(jane)
    world.publish(fake, emulator.url, '9.9.9')
  })
  after(async () => {
    await emulator.stop()
    await fake.stop()
  })

  const decide = {action: 'decide', target: INSTANCE, kind: 'shell'}

  it("the fake AWS publishes the emulator's URL where clients look for it", async () => {
    const {SSMClient, GetParameterCommand} = await import('@aws-sdk/client-ssm')
    const ssm = new SSMClient({region: TEST_REGION, endpoint: fake.url, credentials: {accessKeyId: 'AKIDTEST', secretAccessKey: 'x'}})
    expect((await ssm.send(new GetParameterCommand({Name: BROKER_URL_PARAMETER}))).Parameter?.Value).to.equal(emulator.url)
    expect((await ssm.send(new GetParameterCommand({Name: BROKER_VERSION_PARAMETER}))).Parameter?.Value).to.equal('9.9.9')
  })

  it('a signed request reaches the handler, which sees the caller from the signature', async () => {
    const res = await post(await signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION}))
    expect(res.status, res.text + emulator.errors.join('\n')).to.equal(200)
    expect(res.body).to.deep.equal({
      user: 'jane@example.com',
      permissionSet: 'Developer',
      linuxUser: 'dev',
      source: 'permission-set',
      allowed: true,
      version: '9.9.9',
    })
    const event = emulator.requests.at(-1)!.event as {requestContext: {authorizer: {iam: Record<string, unknown>}}; version: string}
    expect(event.version).to.equal('2.0')
    expect(event.requestContext.authorizer.iam).to.include({userArn: jane.userArn, accountId: jane.accountId, accessKey: jane.accessKeyId, userId: jane.userId})
    expect(emulator.audit().at(-1)).to.include({
      action: 'decide',
      user: 'jane@example.com',
      permissionSet: 'Developer',
      linuxUser: 'dev',
      decision: 'allowed',
      status: 200,
    })
    // the handler ran with the broker role's credentials against the fake AWS
    expect(fake.calls('iam', 'SimulatePrincipalPolicy')).to.have.length(1)
  })

  for (const [name, tamper, why] of [
    ['unsigned', async () => ({url: emulator.url, headers: {'content-type': 'application/json'}, body: JSON.stringify(decide)}), /unsigned/],
    [
      'a tampered body',
      async () => ({
        ...(await signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION})),
        body: JSON.stringify({...decide, target: 'i-0fedcba9876543210'}),
      }),
      /body does not match/,
    ],
    [
      'a tampered signature',
      async () => {
        const r = await signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION})
        return {
          ...r,
          headers: {...r.headers, authorization: r.headers.authorization!.replace(/Signature=(.)/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`)},
        }
      },
      /signature does not match/,
    ],
    ['another region', async () => signBrokerRequest(emulator.url, decide, jane, {region: 'us-east-1'}), /region us-east-1/],
    ['another service', async () => signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION, service: 'execute-api'}), /service execute-api/],
    [
      'an expired signature',
      async () => signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION, date: new Date(Date.now() - 20 * 60_000)}),
      /expired/,
    ],
    ['an unknown key', async () => signBrokerRequest(emulator.url, decide, {...jane, accessKeyId: 'ASIAUNKNOWN'}, {region: TEST_REGION}), /unknown access key/],
    ['a wrong session token', async () => signBrokerRequest(emulator.url, decide, {...jane, sessionToken: 'other'}, {region: TEST_REGION}), /session token/],
  ] as const) {
    it(`${name} → 403 {"Message":"Forbidden"}, the handler never runs`, async () => {
      const audits = emulator.audit().length
      const calls = fake.requests.length
      const res = await post(await tamper())
      expect(res.status).to.equal(403)
      expect(res.text).to.equal('{"Message":"Forbidden"}')
      expect(emulator.requests.at(-1)!.rejected).to.match(why)
      expect(emulator.audit()).to.have.length(audits)
      expect(fake.requests).to.have.length(calls)
    })
  }
})

describe('the broker through the emulator against a stateful fake AWS', function () {
  this.timeout(30_000)
  let fake: FakeAws
  let world: FakeBrokerAws
  const ou = 'ou-ab12-zzzzzz99'
  const config = parseConfig({
    permissionSets: {Developer: {runAsUser: 'dev'}},
    admin: {
      organizationalUnits: [ou],
      overrides: {[ou]: {permissionSets: {Developer: {runAsUser: 'devops'}}}},
      broker: {enabled: true, organizationId: 'o-abcdefghij', users: {'jane@example.com': 'dba'}},
    },
  })
  const artifacts = buildArtifacts(config, '9.9.9')
  const alice = idcCredentials({permissionSet: 'Developer', user: 'alice@example.com'})
  const bob = idcCredentials({permissionSet: 'Developer', user: 'bob@example.com'})
  const jane = idcCredentials({permissionSet: 'Developer', user: 'jane@example.com'})
  const reader = idcCredentials({permissionSet: 'ReadOnly', user: 'alice@example.com'})
  const emulators: FunctionUrlEmulator[] = []

  beforeEach(async () => {
    fake = await new FakeAws().start()
    world = new FakeBrokerAws().install(fake)
    world.idcRole('Developer', (resource) => (resource.endsWith(INSTANCE) ? 'allowed' : 'implicitDeny')).idcRole('ReadOnly', () => 'allowed')
    world.instance(INSTANCE, {}).instance('i-0fedcba9876543210', {})
  })
  afterEach(async () => {
    for (const e of emulators.splice(0)) await e.stop()
    await fake.stop()
  })
  const emulate = async (parameters?: Array<{ParameterKey: string; ParameterValue: string}>) => {
    const e = await new FunctionUrlEmulator({templateBody: artifacts.templateBody, awsEndpoint: fake.url, ...(parameters ? {parameters} : {})}).start()
    emulators.push(e.register(alice, bob, jane, reader))
    return e
  }
  const call = async (e: FunctionUrlEmulator, body: unknown, who = alice) => post(await signBrokerRequest(e.url, body, who, {region: TEST_REGION}))

  it('start: the session runs as the mapped user, started by the session role as the human; only its owner may terminate it', async () => {
    const e = await emulate()
    const started = await call(e, {action: 'start', target: INSTANCE, kind: 'shell'})
    expect(started.status, started.text + e.errors.join('\n')).to.equal(200)
    const session = world.sessions.get(started.body.sessionId)!
    expect(session).to.deep.include({
      target: INSTANCE,
      document: 'SSM-SessionManagerRunShell',
      runAs: 'dev',
      sourceIdentity: 'alice@example.com',
      reason: 'ssmx broker: Developer alice@example.com',
    })
    expect(session.owner).to.equal(`arn:aws:sts::111122223333:assumed-role/ssmx-broker-session-${TEST_REGION}/alice@example.com`)
    expect(started.body.sessionId).to.match(/^alice@example\.com-/)
    expect(started.body.tokenValue).to.equal(session.tokenValue)
    // the role the broker assumed is the template's session role
    expect([...world.assumed.values()][0]).to.deep.include({
      roleArn: `arn:aws:iam::111122223333:role/ssmx-broker-session-${TEST_REGION}`,
      tags: {SSMSessionRunAs: 'dev'},
    })
    // the audit trail never holds the token
    expect(e.logs.join('\n')).to.not.include(session.tokenValue)

    const stolen = await call(e, {action: 'terminate', sessionId: session.sessionId}, bob)
    expect(stolen.status).to.equal(403)
    expect(session.status).to.equal('Connected')
    const resumed = await call(e, {action: 'resume', sessionId: session.sessionId})
    expect(resumed.status).to.equal(200)
    expect(resumed.body.tokenValue).to.equal(session.tokenValue)
    const ended = await call(e, {action: 'terminate', sessionId: session.sessionId})
    expect(ended.status).to.equal(200)
    expect(session.status).to.equal('Terminated')
  })

  it('a caller spoofing identity in the body, an unmapped permission set, a target the permission set may not reach: refused, nothing started', async () => {
    const e = await emulate()
    const spoof = await call(e, {action: 'start', target: INSTANCE, kind: 'shell', user: 'jane@example.com'})
    expect(spoof.status).to.equal(400)
    const unmapped = await call(e, {action: 'start', target: INSTANCE, kind: 'shell'}, reader)
    expect(unmapped.status).to.equal(403)
    expect(unmapped.body.error.message).to.match(/ReadOnly is not mapped/)
    const elsewhere = await call(e, {action: 'start', target: 'i-0fedcba9876543210', kind: 'shell'})
    expect(elsewhere.status).to.equal(403)
    expect(world.sessions.size).to.equal(0)
    expect(fake.calls('sts', 'AssumeRole')).to.have.length(0)
    expect(e.audit().map((a) => a.decision)).to.deep.equal(['bad-request', 'refused', 'refused'])
  })

  it("a per-user override and a per-OU override (the OU's stack parameters)", async () => {
    const e = await emulate()
    expect((await call(e, {action: 'start', target: INSTANCE, kind: 'shell'}, jane)).body).to.include({linuxUser: 'dba', source: 'user'})
    const ouParameters = artifacts.ouOverrides.find((o) => o.organizationalUnitId === ou)!.parameters
    const inOu = await emulate(ouParameters)
    const started = await call(inOu, {action: 'start', target: INSTANCE, kind: 'shell'})
    expect(started.body).to.include({linuxUser: 'devops', source: 'ou-permission-set'})
    expect(world.sessions.get(started.body.sessionId)!.runAs).to.equal('devops')
  })
})
