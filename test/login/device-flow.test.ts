import {SSOOIDCClient} from '@aws-sdk/client-sso-oidc'
import {expect} from 'chai'

import {ssoOidcPort} from '../../src/aws/sso-oidc.js'
import {AwsContext} from '../../src/aws/clients.js'
import {deviceAuthorization} from '../../src/login/device-flow.js'
import {ssoSignIn} from '../../src/login/sso-cache.js'
import {SsmxError} from '../../src/errors.js'
import {AWS_CONFIG, Sandbox} from '../support/cli.js'
import {FakeAws} from '../support/fake-aws.js'
import {DEVICE, deviceFlow} from '../support/sso-oidc.js'

describe('deviceAuthorization (SDK client against a fake SSO OIDC)', () => {
  let fake: FakeAws
  let box: Sandbox
  let clock: number
  let waits: number[]
  let notes: string[]

  const run = async (profile = 'dev') => {
    const ctx = await AwsContext.create({profile, version: 'test', env: box.env})
    const signIn = ssoSignIn(ctx.profileData)!
    return deviceAuthorization(signIn, {
      oidc: ssoOidcPort(ctx.anonymousClient(SSOOIDCClient, 'SSO_OIDC', signIn.region)),
      openBrowser: async () => false,
      notify: (l) => notes.push(l),
      profile,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms)
        clock += ms
      },
    })
  }

  beforeEach(async () => {
    fake = await new FakeAws().start()
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    clock = Date.parse('2026-11-22T00:00:00Z')
    waits = []
    notes = []
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('waits `interval` between polls, keeps polling on authorization_pending, and adds 5 s on every slow_down', async () => {
    deviceFlow(fake, {interval: 2, pending: ['AuthorizationPendingException', 'SlowDownException', 'AuthorizationPendingException', 'SlowDownException']})
    const token = await run()
    expect(waits).to.deep.equal([2000, 2000, 7000, 7000, 12_000])
    expect(fake.calls('sso-oauth', 'CreateToken')).to.have.length(5)
    expect(token).to.deep.equal({
      startUrl: 'https://example.awsapps.com/start',
      region: 'us-east-1',
      accessToken: DEVICE.accessToken,
      expiresAt: '2026-11-22T08:00:30Z',
      clientId: DEVICE.clientId,
      clientSecret: DEVICE.clientSecret,
      registrationExpiresAt: '2030-01-01T00:00:00Z',
      refreshToken: DEVICE.refreshToken,
    })
    expect(notes.join('\n')).to.include(DEVICE.verificationUriComplete).and.to.include(DEVICE.userCode).and.not.to.include('SECRET')
  })

  it('gives up when the code expires (expiresIn) and says to run it again', async () => {
    deviceFlow(fake, {interval: 5, expiresIn: 20, pending: Array.from({length: 100}, () => 'AuthorizationPendingException')})
    const error = await run().then(
      () => undefined,
      (e) => e,
    )
    expect(error).to.be.instanceOf(SsmxError)
    expect(error.code).to.equal('ssoExpired')
    expect(error.message).to.include('not approved before the code expired')
    expect(error.suggestions).to.deep.equal(['Run it again: ssmx login --profile dev'])
    expect(waits).to.deep.equal([5000, 5000, 5000, 5000])
  })

  it('a denied sign-in is an access-denied error, not a retry', async () => {
    deviceFlow(fake, {interval: 0, pending: ['AccessDeniedException']})
    const error = await run().then(
      () => undefined,
      (e) => e,
    )
    expect(error.code).to.equal('accessDenied')
    expect(error.message).to.equal('The sign-in was denied in the browser.')
    expect(fake.calls('sso-oauth', 'CreateToken')).to.have.length(1)
  })
})
