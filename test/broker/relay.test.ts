import {ResumeSessionCommand, SSMClient, TerminateSessionCommand} from '@aws-sdk/client-ssm'
import {expect} from 'chai'

import {type Relay, startRelay} from '../../src/broker/relay.js'
import {SsmxError} from '../../src/errors.js'
import {sigV4Signature} from '../support/function-url.js'

const SESSION = 'alice-0123456789abcdef0'
// what ssmx handed the plugin (its environment): the only credentials the relay accepts
const CREDS = {accessKeyId: 'AKIDPLUGIN', secretAccessKey: 'plugin-secret-SECRET', sessionToken: 'alice-session-token'}
const amzDate = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')

/** A ResumeSession signed as the plugin's Go SDK v1 signs it (content-length signed, no payload-hash header), by the tests' own SigV4. */
async function goSigned(url: string, o: {secret?: string; token?: string; body?: string; sentBody?: string; date?: Date} = {}): Promise<Response> {
  const body = o.body ?? JSON.stringify({SessionId: SESSION})
  const date = o.date ?? new Date()
  const headers: Record<string, string> = {
    'content-length': String(Buffer.byteLength(o.sentBody ?? body)),
    'content-type': 'application/x-amz-json-1.1',
    host: new URL(url).host,
    'x-amz-date': amzDate(date),
    'x-amz-security-token': o.token ?? CREDS.sessionToken,
    'x-amz-target': 'AmazonSSM.ResumeSession',
  }
  const signedHeaders = Object.keys(headers).sort()
  const scope = `${amzDate(date).slice(0, 8)}/eu-west-1/ssm/aws4_request`
  const signature = sigV4Signature({
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: {...headers, 'content-length': String(Buffer.byteLength(body))},
    signedHeaders,
    body: Buffer.from(body),
    amzDate: amzDate(date),
    scope,
    secret: o.secret ?? CREDS.secretAccessKey,
  })
  const authorization = `AWS4-HMAC-SHA256 Credential=${CREDS.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`
  const {host: _host, 'content-length': _length, ...sent} = headers
  return fetch(url, {method: 'POST', headers: {...sent, authorization, 'user-agent': 'aws-sdk-go/1.55'}, body: o.sentBody ?? body})
}

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
  const ssm = (credentials: {accessKeyId: string; secretAccessKey: string; sessionToken?: string} = CREDS) =>
    new SSMClient({region: 'eu-west-1', endpoint: relay.url, credentials, maxAttempts: 1})

  beforeEach(async () => {
    calls = []
    fail = undefined
    relay = await startRelay(broker)
    relay.sessionId = SESSION
    relay.credentials = CREDS
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

  it("accepts the Go SDK's signature (the plugin's), made with the credentials ssmx handed the plugin", async () => {
    const res = await goSigned(relay.url)
    expect(res.status, await res.clone().text()).to.equal(200)
    expect(((await res.json()) as {TokenValue: string}).TokenValue).to.equal('NEW-TOKEN-SECRET')
    expect(calls).to.deep.equal([`resume ${SESSION}`])
  })

  it('another local user who knows the session id but not these credentials is refused, and the broker is never asked', async () => {
    const refusals: Array<[string, Promise<unknown>]> = [
      // their own credentials, through the SDK (another access key)
      [
        'other key',
        ssm({accessKeyId: 'AKIDMALLORY', secretAccessKey: 'mallory-secret', sessionToken: 'mallory-token'}).send(
          new ResumeSessionCommand({SessionId: SESSION}),
        ),
      ],
      // this user's access key id (printed nowhere, but guessable) with a wrong secret
      ['wrong secret', ssm({...CREDS, secretAccessKey: 'guess'}).send(new ResumeSessionCommand({SessionId: SESSION}))],
      // the right key and secret but another session token
      ['wrong token', ssm({...CREDS, sessionToken: 'stale-token'}).send(new TerminateSessionCommand({SessionId: SESSION}))],
    ]
    for (const [what, call] of refusals) {
      const error = (await call.catch((e: Error) => e)) as Error
      expect(error, what).to.be.instanceOf(Error)
      expect(error.name, what).to.equal('InvalidSignatureException')
      expect(error.message, what).to.not.include(CREDS.secretAccessKey)
    }
    // a signed request whose body was changed afterwards, and one signed 20 minutes ago
    const tampered = await goSigned(relay.url, {sentBody: JSON.stringify({SessionId: SESSION, x: 1})})
    expect(tampered.status).to.equal(403)
    expect(((await tampered.json()) as {message: string}).message).to.equal('The signature does not match.')
    const old = await goSigned(relay.url, {date: new Date(Date.now() - 20 * 60_000)})
    expect(((await old.json()) as {message: string}).message).to.equal('Signature expired.')
    expect(calls).to.deep.equal([])
    expect(relay.relayed).to.deep.equal([])
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
