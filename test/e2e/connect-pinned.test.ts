import {expect} from 'chai'

import {AwsFault, FakeAws} from '../support/fake-aws.js'
import {AWS_CONFIG, Sandbox} from '../support/cli.js'
import {INSTANCE, ssoIdentity} from '../support/aws-fixtures.js'

/** StartSession as it answers once ssmx admin guardrails pinned Developer to SSMX-RunAs-Developer. */
const pinnedStartSession = (input: Record<string, unknown>) => {
  if (input.DocumentName === 'SSMX-RunAs-Developer') return {SessionId: 's-1', TokenValue: 't', StreamUrl: 'wss://x'}
  throw new AwsFault('AccessDeniedException', 'User is not authorized to perform: ssm:StartSession with an explicit deny in an identity-based policy')
}

describe('ssmx connect when a guardrail pins the permission set (built CLI against a fake AWS)', () => {
  it('names the document the permission set is pinned to when another document is denied', async () => {
    const fake = await ssoIdentity(new FakeAws().on('ssm', 'StartSession', pinnedStartSession)).start()
    const box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    try {
      box.ssoToken('corp')
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--document', 'SSMX-RunAs-Admin'])
      expect(r.code).to.equal(8)
      expect(r.stderr).to.include('Your permission set Developer is pinned to the document SSMX-RunAs-Developer')
      expect(r.stderr).to.include('Connect without --document')
    } finally {
      await fake.stop()
      box.cleanup()
    }
  })
})
