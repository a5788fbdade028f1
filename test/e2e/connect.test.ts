import {expect} from 'chai'

import {AwsFault, FakeAws} from '../support/fake-aws.js'
import {AWS_CONFIG, Sandbox} from '../support/cli.js'
import {INSTANCE, SESSION, describeInstances, ssoIdentity} from '../support/aws-fixtures.js'

describe('ssmx connect (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox

  beforeEach(async () => {
    fake = await new FakeAws().start()
    ssoIdentity(fake)
    fake.on('ssm', 'StartSession', () => SESSION).on('ssm', 'TerminateSession', (i) => ({SessionId: i.SessionId}))
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    box.ssoToken('corp')
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('starts the per-role document of the SSO profile and hands the plugin all seven arguments, token in the environment only', async () => {
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
    expect(r.code, r.stderr).to.equal(0)
    const starts = fake.calls('ssm', 'StartSession')
    expect(starts).to.have.length(1)
    expect(starts[0].input).to.deep.equal({Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'})
    expect(fake.calls('sts')).to.have.length(0)
    const [run] = box.pluginRuns()
    expect(run.args).to.deep.equal([
      'AWS_SSM_START_SESSION_RESPONSE',
      'eu-west-1',
      'StartSession',
      'dev',
      JSON.stringify({Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'}),
      fake.url,
    ])
    expect(JSON.parse(run.env!.AWS_SSM_START_SESSION_RESPONSE)).to.deep.equal(SESSION)
    expect(run.args!.join(' ')).not.to.include(SESSION.TokenValue)
    expect(r.stdout + r.stderr).not.to.include(SESSION.TokenValue)
  })
})
