import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {type AwsClientStub, mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import type {AwsContext} from '../../src/aws/clients.js'
import type {AwsProfile} from '../../src/aws/profile.js'
import {identityFromProfile, identityFromSts, resolveIdentity} from '../../src/identity/identity.js'

type Ctx = Pick<AwsContext, 'profileData' | 'client'>

describe('identity/identity', () => {
  let sts: AwsClientStub<STSClient>
  // created in before(), not at load time, so the prototype stubs never leak into other files' tests
  before(() => {
    sts = mockClient(STSClient)
  })
  const clients: string[] = []
  const ctx = (profileData?: Partial<AwsProfile>): Ctx => ({
    profileData: profileData ? ({name: 'p', raw: {}, ...profileData} as AwsProfile) : undefined,
    client: ((Ctor: new (c: object) => unknown, service: string) => {
      clients.push(service)
      return new Ctor({region: 'eu-west-1'})
    }) as AwsContext['client'],
  })

  beforeEach(() => {
    sts.reset()
    clients.length = 0
  })
  after(() => sts.restore())

  it('an SSO profile names the permission set with no network call', async () => {
    const id = await resolveIdentity(ctx({ssoRoleName: 'Ops+Admin@eu', ssoAccountId: '111122223333'}))
    expect(id).to.deep.equal({account: '111122223333', permissionSet: 'Ops+Admin@eu', source: 'profile'})
    expect(sts.calls()).to.have.length(0)
    expect(clients).to.deep.equal([])
    expect(identityFromProfile(ctx({ssoRoleName: 'X'})), 'both sso_role_name and sso_account_id are needed').to.equal(undefined)
  })

  it('otherwise asks STS GetCallerIdentity and parses the SSO role', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({Account: '444455556666', Arn: 'arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_Data.Eng_0123456789abcdef/bob'})
    const id = await resolveIdentity(ctx({region: 'eu-west-1'}))
    expect(id).to.deep.include({account: '444455556666', permissionSet: 'Data.Eng', source: 'sts'})
    expect(id.principal?.kind).to.equal('assumed-role')
    expect(sts.commandCalls(GetCallerIdentityCommand)).to.have.length(1)
    expect(sts.commandCalls(GetCallerIdentityCommand)[0].args[0].input).to.deep.equal({})
    expect(clients).to.deep.equal(['STS'])
  })

  it('an IAM user or plain role: no permission set, source none', async () => {
    sts.on(GetCallerIdentityCommand).resolves({Account: '444455556666', Arn: 'arn:aws:iam::444455556666:user/ci'})
    const id = await identityFromSts(ctx())
    expect(id).to.deep.include({account: '444455556666', source: 'none'})
    expect(id.permissionSet).to.equal(undefined)
  })

  it('STS errors propagate to the caller (which maps them)', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('expired'), {name: 'ExpiredTokenException'}))
    const error = (await identityFromSts(ctx()).catch((e: unknown) => e)) as Error
    expect(error.name).to.equal('ExpiredTokenException')
  })
})
