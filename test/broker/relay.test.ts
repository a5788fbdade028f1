import {ResumeSessionCommand, SSMClient, TerminateSessionCommand} from '@aws-sdk/client-ssm'
import {expect} from 'chai'

import {type Relay, startRelay} from '../../src/broker/relay.js'
import {SsmxError} from '../../src/errors.js'

const SESSION = 'alice-0123456789abcdef0'
const CREDS = {accessKeyId: 'AKIDPLUGIN', secretAccessKey: 'plugin-secret-SECRET'}

describe('broker/relay', () => {
  let relay: Relay
  let calls: string[]
  let fail: Error | undefined
  const broker = {
    resume: async (id: string) => {
      calls.push(`resume ${id}`)
      if (fail) throw fail
      return {sessionId: id, tokenValue: 'NEW-TOKEN-SECRET', streamUrl: 'wss://resumed'}
    },
    terminate: async (id: string) => {
      calls.push(`terminate ${id}`)
      if (fail) throw fail
      return {sessionId: id}
    },
  }
  // the SDK's SSM client, as the plugin's Go SDK does it: SigV4-signed JSON 1.1 with X-Amz-Target
  const ssm = () => new SSMClient({region: 'eu-west-1', endpoint: relay.url, credentials: CREDS, maxAttempts: 1})

  beforeEach(async () => {
    calls = []
    fail = undefined
    relay = await startRelay(broker)
    relay.sessionId = SESSION
  })
  afterEach(() => relay.close())

  it('listens on loopback only', () => {
    expect(relay.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it("relays ResumeSession and TerminateSession for its session to the broker, in SSM's own protocol", async () => {
    const resumed = await ssm().send(new ResumeSessionCommand({SessionId: SESSION}))
    expect(resumed).to.include({SessionId: SESSION, TokenValue: 'NEW-TOKEN-SECRET', StreamUrl: 'wss://resumed'})
    const ended = await ssm().send(new TerminateSessionCommand({SessionId: SESSION}))
    expect(ended.SessionId).to.equal(SESSION)
    expect(calls).to.deep.equal([`resume ${SESSION}`, `terminate ${SESSION}`])
    expect(relay.relayed).to.deep.equal(['ResumeSession', 'TerminateSession'])
  })

  it('another session id, an unsigned request, another operation: refused, and the broker is never asked', async () => {
    const other = await ssm()
      .send(new ResumeSessionCommand({SessionId: 'bob-0123456789abcdef0'}))
      .catch((e: Error) => e)
    expect((other as Error).name).to.equal('DoesNotExistException')
    const unsigned = await fetch(relay.url, {
      method: 'POST',
      headers: {'x-amz-target': 'AmazonSSM.ResumeSession', 'content-type': 'application/x-amz-json-1.1'},
      body: JSON.stringify({SessionId: SESSION}),
    })
    expect(unsigned.status).to.equal(403)
    const start = await fetch(relay.url, {method: 'POST', headers: {'x-amz-target': 'AmazonSSM.StartSession'}, body: '{}'})
    expect(start.status).to.equal(400)
    expect(((await start.json()) as {__type: string}).__type).to.equal('UnknownOperationException')
    expect(calls).to.deep.equal([])
  })

  it('before the session is started nothing is relayed', async () => {
    relay.sessionId = undefined
    const error = await ssm()
      .send(new TerminateSessionCommand({SessionId: SESSION}))
      .catch((e: Error) => e)
    expect((error as Error).name).to.equal('DoesNotExistException')
    expect(calls).to.deep.equal([])
  })

  it("the broker's refusal reaches the plugin as AccessDeniedException", async () => {
    fail = new SsmxError('brokerRefused', 'The session broker refused: not your session')
    const error = await ssm()
      .send(new ResumeSessionCommand({SessionId: SESSION}))
      .catch((e: Error) => e)
    expect((error as Error).name).to.equal('AccessDeniedException')
    expect((error as Error).message).to.include('not your session')
  })

  it('stops listening when closed', async () => {
    const {url} = relay
    await relay.close()
    const error = await fetch(url, {method: 'POST'}).catch((e: Error) => e)
    expect(error).to.be.instanceOf(Error)
  })
})
