import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {type IncomingMessage, type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {AwsContext} from '../../src/aws/clients.js'
import {type SignedPost, type SignedResponse, UnreachableError, functionUrlRegion, signedPost} from '../../src/aws/signed-http.js'
import {BrokerClient, type UrlCache, fileUrlCache} from '../../src/broker/client.js'
import {BROKER_URL_PARAMETER, type BrokerRequest} from '../../src/broker/protocol.js'
import {SsmxError} from '../../src/errors.js'
import {expectedSignature, parseAuthorization} from '../support/sigv4.js'

const CREDS = {accessKeyId: 'AKIDBROKERTEST', secretAccessKey: 'broker-secret-SECRET', sessionToken: 'session-token-SECRET'}
const URL_A = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/'
const URL_B = 'https://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.lambda-url.eu-west-1.on.aws/'
const DECISION = {user: 'alice', permissionSet: 'Developer', linuxUser: 'dev', source: 'permission-set' as const, allowed: true, version: '0.1.0'}

const memoryCache = (initial: Record<string, string> = {}): UrlCache & {all: Record<string, string>} => {
  const all = {...initial}
  return {
    all,
    get: async (k) => all[k],
    set: async (k, v) => void (all[k] = v),
    delete: async (k) => void delete all[k],
  }
}

describe('broker/client', () => {
  let home: string
  let ctx: AwsContext
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'ssmx-broker-'))
    ctx = await AwsContext.create({version: '1.0.0', region: 'eu-west-1', env: {HOME: home}, credentials: async () => CREDS})
  })
  after(() => rmSync(home, {recursive: true, force: true}))

  describe('signing', () => {
    let server: Server
    let seen: Array<{req: IncomingMessage; body: string}>
    let url: string
    before(async () => {
      seen = []
      server = createServer(async (req, res) => {
        let body = ''
        for await (const c of req) body += c
        seen.push({req, body})
        res.writeHead(200, {'content-type': 'application/json'})
        res.end('{"ok":true}')
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    })
    after(() => server.close())

    it('a POST signed for lambda in the given region, with the body hashed in and the session token sent; the signature checks out', async () => {
      const body = JSON.stringify({action: 'decide', target: 'i-0123456789abcdef0', kind: 'shell'})
      const r = await signedPost({url, body, service: 'lambda', region: 'eu-central-1', credentials: async () => CREDS, userAgent: 'ssmx/1.0.0'})
      expect(r).to.deep.equal({status: 200, body: '{"ok":true}'})
      const {req, body: received} = seen[0]
      expect(req.method).to.equal('POST')
      expect(received).to.equal(body)
      expect(req.headers['content-type']).to.equal('application/json')
      expect(req.headers['x-amz-security-token']).to.equal(CREDS.sessionToken)
      const auth = parseAuthorization(req.headers.authorization)!
      expect(auth).to.include({accessKeyId: CREDS.accessKeyId, region: 'eu-central-1', service: 'lambda'})
      expect(auth.signedHeaders).to.include.members(['host', 'x-amz-date', 'content-type'])
      expect(auth.signature).to.equal(
        expectedSignature({method: 'POST', path: '/', headers: req.headers, body: received, secretAccessKey: CREDS.secretAccessKey, auth}),
      )
      // a tampered body no longer matches: the payload is part of the signature
      expect(auth.signature).to.not.equal(
        expectedSignature({
          method: 'POST',
          path: '/',
          headers: req.headers,
          body: received.replace('i-0', 'i-1'),
          secretAccessKey: CREDS.secretAccessKey,
          auth,
        }),
      )
    })

    it('no answer at all is an UnreachableError', async () => {
      const closed = createServer()
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
      const port = (closed.address() as AddressInfo).port
      await new Promise<void>((r) => closed.close(() => r()))
      const error = await signedPost({
        url: `http://127.0.0.1:${port}/`,
        body: '{}',
        service: 'lambda',
        region: 'eu-west-1',
        credentials: async () => CREDS,
      }).catch((e: unknown) => e)
      expect(error).to.be.instanceOf(UnreachableError)
      expect((error as UnreachableError).code).to.equal('ECONNREFUSED')
    })

    it('the region of a function URL comes from its host name', () => {
      expect(functionUrlRegion(URL_A)).to.equal('eu-west-1')
      expect(functionUrlRegion('https://x.lambda-url.ap-southeast-2.on.aws/')).to.equal('ap-southeast-2')
      expect(functionUrlRegion('http://127.0.0.1:9000/')).to.equal(undefined)
    })
  })

  describe('discovery and requests', () => {
    let posts: Array<{url: string; request: BrokerRequest; region: string; service: string}>
    let answers: Array<SignedResponse | Error>
    let parameterReads: number
    let parameter: string | Error
    const client = (cache: UrlCache, account: string | null = '111122223333') =>
      new BrokerClient({
        ctx,
        account: async () => account ?? undefined,
        cache,
        getParameter: async (name) => {
          expect(name).to.equal(BROKER_URL_PARAMETER)
          parameterReads++
          if (parameter instanceof Error) throw parameter
          return parameter
        },
        post: async (o: SignedPost) => {
          posts.push({url: o.url, request: JSON.parse(o.body), region: o.region, service: o.service})
          const next = answers.shift() ?? {status: 200, body: JSON.stringify(DECISION)}
          if (next instanceof Error) throw next
          return next
        },
      })
    beforeEach(() => {
      posts = []
      answers = []
      parameterReads = 0
      parameter = URL_A
    })

    it("looks the URL up once, caches it per account × region, and signs for lambda in the URL's region", async () => {
      const cache = memoryCache()
      expect(await client(cache).decide({target: 'i-0123456789abcdef0', kind: 'shell'})).to.deep.equal(DECISION)
      expect(cache.all).to.deep.equal({'111122223333/eu-west-1': URL_A})
      await client(cache).decide({target: 'i-0123456789abcdef0', kind: 'shell'})
      expect(parameterReads).to.equal(1)
      expect(posts.map((p) => [p.url, p.service, p.region])).to.deep.equal([
        [URL_A, 'lambda', 'eu-west-1'],
        [URL_A, 'lambda', 'eu-west-1'],
      ])
      expect(posts[0].request).to.deep.equal({action: 'decide', target: 'i-0123456789abcdef0', kind: 'shell'})
    })

    it('without an account id nothing is cached', async () => {
      const cache = memoryCache()
      await client(cache, null).terminate('alice-0123456789abcdef0')
      expect(cache.all).to.deep.equal({})
      expect(posts[0].request).to.deep.equal({action: 'terminate', sessionId: 'alice-0123456789abcdef0'})
    })

    it('a cached URL that answers 404 is forgotten, looked up again, and the request is sent to the new one', async () => {
      const cache = memoryCache({'111122223333/eu-west-1': URL_B})
      answers = [{status: 404, body: '{"Message":"Not Found"}'}]
      const out = await client(cache).decide({target: 'i-0123456789abcdef0', kind: 'shell'})
      expect(out.linuxUser).to.equal('dev')
      expect(posts.map((p) => p.url)).to.deep.equal([URL_B, URL_A])
      expect(cache.all).to.deep.equal({'111122223333/eu-west-1': URL_A})
    })

    it('a cached URL that does not answer is forgotten; when the parameter still names it: unreachable (11)', async () => {
      const cache = memoryCache({'111122223333/eu-west-1': URL_A})
      answers = [new UnreachableError('connect ETIMEDOUT', 'ETIMEDOUT')]
      const error = (await client(cache)
        .decide({target: 'i-0123456789abcdef0', kind: 'shell'})
        .catch((e: unknown) => e)) as SsmxError
      expect(error.code).to.equal('unreachable')
      expect(error.exitCode).to.equal(11)
      expect(error.message).to.include('does not answer (ETIMEDOUT)')
      expect(posts).to.have.length(1)
      expect(parameterReads).to.equal(1)
    })

    it('no parameter: not deployed here (13), with the region and who to ask', async () => {
      parameter = Object.assign(new Error('not found'), {name: 'ParameterNotFound', $metadata: {}})
      const error = (await client(memoryCache())
        .decide({target: 'i-0123456789abcdef0', kind: 'shell'})
        .catch((e: unknown) => e)) as SsmxError
      expect(error.code).to.equal('prerequisite')
      expect(error.exitCode).to.equal(13)
      expect(error.message).to.include('No session broker is deployed in eu-west-1')
      expect(error.suggestions.join(' ')).to.include('--region').and.include('platform team')
      expect(posts).to.have.length(0)
    })

    it('403 from the function URL itself (no broker body): access denied (8), naming both permissions', async () => {
      answers = [{status: 403, body: '{"Message":"Forbidden"}'}]
      const error = (await client(memoryCache())
        .start({target: 'i-0123456789abcdef0', kind: 'shell'})
        .catch((e: unknown) => e)) as SsmxError
      expect(error.code).to.equal('accessDenied')
      expect(error.exitCode).to.equal(8)
      expect(error.suggestions[0]).to.include('lambda:InvokeFunctionUrl').and.include('lambda:InvokeFunction ')
    })

    it("a broker in another region than the profile's: the 403 says which region to pass", async () => {
      parameter = 'https://x.lambda-url.us-east-1.on.aws/'
      answers = [{status: 403, body: '{"Message":"Forbidden"}'}]
      const error = (await client(memoryCache())
        .start({target: 'i-0123456789abcdef0', kind: 'shell'})
        .catch((e: unknown) => e)) as SsmxError
      expect(posts[0].region).to.equal('us-east-1')
      expect(error.suggestions[1]).to.include('--region us-east-1')
    })

    it("a refusal: brokerRefused (15) with the broker's reason, who it thinks you are, and who to ask", async () => {
      const decision = {user: 'alice', permissionSet: 'ReadOnly', allowed: false, reason: 'the permission set ReadOnly has no Linux user'}
      answers = [{status: 403, body: JSON.stringify({error: {code: 'refused', message: 'refused', decision}})}]
      const error = (await client(memoryCache())
        .start({target: 'i-0123456789abcdef0', kind: 'shell'})
        .catch((e: unknown) => e)) as SsmxError
      expect(error.code).to.equal('brokerRefused')
      expect(error.exitCode).to.equal(15)
      expect(error.message).to.equal('The session broker refused: the permission set ReadOnly has no Linux user (you are alice with permission set ReadOnly)')
      expect(error.suggestions[0]).to.include('platform team').and.include('admin.broker')
    })

    it('bad-request → usage (2); not-found → session (14); upstream TargetNotConnected → 7; other upstream → 1', async () => {
      const codes: string[] = []
      for (const [code, message] of [
        ['bad-request', 'unknown field x'],
        ['not-found', 'no such session'],
        ['upstream', 'SSM StartSession: TargetNotConnected'],
        ['upstream', 'STS AssumeRole failed'],
      ]) {
        answers = [{status: code === 'bad-request' ? 400 : code === 'not-found' ? 404 : 502, body: JSON.stringify({error: {code, message}})}]
        codes.push(
          (
            (await client(memoryCache())
              .resume('s')
              .catch((e: unknown) => e)) as SsmxError
          ).code,
        )
      }
      expect(codes).to.deep.equal(['usage', 'session', 'targetNotConnected', 'internal'])
    })

    it('Lambda throttling (429) is retried; nothing had run', async () => {
      answers = [
        {status: 429, body: '{"Message":"Rate Exceeded."}'},
        {status: 429, body: ''},
      ]
      expect((await client(memoryCache()).decide({target: 'i-0123456789abcdef0', kind: 'shell'})).linuxUser).to.equal('dev')
      expect(posts).to.have.length(3)
    })
  })

  describe('fileUrlCache', () => {
    it('keeps URLs in an owner-only file, per key, and forgets one', async () => {
      const dir = join(home, 'cache', 'ssmx')
      const cache = fileUrlCache(dir)
      await cache.set('111122223333/eu-west-1', URL_A)
      await cache.set('444455556666/eu-west-1', URL_B)
      expect(statSync(join(dir, 'broker-urls.json')).mode & 0o777).to.equal(0o600)
      expect(await fileUrlCache(dir).get('111122223333/eu-west-1')).to.equal(URL_A)
      await cache.delete('111122223333/eu-west-1')
      expect(await fileUrlCache(dir).get('111122223333/eu-west-1')).to.equal(undefined)
      expect(await fileUrlCache(dir).get('444455556666/eu-west-1')).to.equal(URL_B)
    })
  })
})
