import {expect} from 'chai'

import {buildArtifacts} from '../../src/admin/artifacts.js'
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

describe('function-URL emulator (SigV4 like AWS, the template\'s broker code behind it)', function () {
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
  })
  after(async () => {
    await emulator.stop()
    await fake.stop()
  })

  const decide = {action: 'decide', target: INSTANCE, kind: 'shell'}

  it('a signed request reaches the handler, which sees the caller from the signature', async () => {
    const res = await post(await signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION}))
    expect(res.status, res.text + emulator.errors.join('\n')).to.equal(200)
    expect(res.body).to.deep.equal({user: 'jane@example.com', permissionSet: 'Developer', linuxUser: 'dev', source: 'permission-set', allowed: true, version: '9.9.9'})
    const event = emulator.requests.at(-1)!.event as {requestContext: {authorizer: {iam: Record<string, unknown>}}; version: string}
    expect(event.version).to.equal('2.0')
    expect(event.requestContext.authorizer.iam).to.include({userArn: jane.userArn, accountId: jane.accountId, accessKey: jane.accessKeyId, userId: jane.userId})
    expect(emulator.audit().at(-1)).to.include({action: 'decide', user: 'jane@example.com', permissionSet: 'Developer', linuxUser: 'dev', decision: 'allowed', status: 200})
    // the handler ran with the broker role's credentials against the fake AWS
    expect(fake.calls('iam', 'SimulatePrincipalPolicy')).to.have.length(1)
  })

  for (const [name, tamper, why] of [
    ['unsigned', async () => ({url: emulator.url, headers: {'content-type': 'application/json'}, body: JSON.stringify(decide)}), /unsigned/],
    ['a tampered body', async () => ({...(await signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION})), body: JSON.stringify({...decide, target: 'i-0fedcba9876543210'})}), /body does not match/],
    ['a tampered signature', async () => {
      const r = await signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION})
      return {...r, headers: {...r.headers, authorization: r.headers.authorization!.replace(/Signature=(.)/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`)}}
    }, /signature does not match/],
    ['another region', async () => signBrokerRequest(emulator.url, decide, jane, {region: 'us-east-1'}), /region us-east-1/],
    ['another service', async () => signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION, service: 'execute-api'}), /service execute-api/],
    ['an expired signature', async () => signBrokerRequest(emulator.url, decide, jane, {region: TEST_REGION, date: new Date(Date.now() - 20 * 60_000)}), /expired/],
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
