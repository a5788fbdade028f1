import {expect} from 'chai'

import {AwsFault, FakeAws} from '../support/fake-aws.js'
import {AWS_CONFIG, Sandbox} from '../support/cli.js'
import {INSTANCE, ssoIdentity} from '../support/aws-fixtures.js'

describe('ssmx connect when a guardrail pins the permission set (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox

  beforeEach(async () => {
    fake = await new FakeAws().start()
    ssoIdentity(fake)
    fake.on('ssm', 'StartSession', (i) => {
      if (i.DocumentName === 'SSMX-RunAs-Developer') return {SessionId: 's-1', TokenValue: 't', StreamUrl: 'wss://x'}
      throw new AwsFault('AccessDeniedException', 'User is not authorized to perform: ssm:StartSession with an explicit deny in an identity-based policy')
    })
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    box.ssoToken('corp')
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('names the document the permission set is pinned to when another document is denied', async () => {
    const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--document', 'SSMX-RunAs-Admin'])
    expect(r.code).to.equal(8)
    expect(r.stderr).to.include('Your permission set Developer is pinned to the document SSMX-RunAs-Developer')
    expect(r.stderr).to.include('Connect without --document')
  })
})
