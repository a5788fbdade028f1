/**
 * A Lambda function-URL emulator for the session broker (AuthType AWS_IAM), on 127.0.0.1.
 *
 *   const fake = await new FakeAws().start()                      // STS, IAM, EC2, SSM, KMS handlers: FakeBrokerAws
 *   const emulator = await new FunctionUrlEmulator({templateBody, awsEndpoint: fake.url}).start()
 *   emulator.register(idcCredentials({permissionSet: 'Developer', user: 'jane@example.com'}))
 *   // sign requests with SigV4, service `lambda`, region emulator.region, and POST them to emulator.url
 *   emulator.audit()            // the handler's JSON log lines (one audit line per request)
 *   emulator.requests           // every HTTP request with its outcome (403 from the "service", or the handler's status)
 *   await emulator.stop()
 *
 * What it does, as AWS does for a function URL with AuthType AWS_IAM:
 *  - verifies each request's SigV4 Authorization header against the registered test credentials
 *    (accessKeyId → secret, session token, userArn, accountId, userId): unsigned, unknown key, tampered
 *    (signature or body), another service or region, a date more than 15 minutes off (`now`), or a missing or
 *    wrong session token → 403 `{"Message":"Forbidden"}` and the handler never runs;
 *  - builds the payload-2.0 event, with `requestContext.authorizer.iam` from the credentials (never the body);
 *  - runs the broker's code taken from the rendered template (the BrokerFunction's Code.ZipFile, written as
 *    index.js and `require`d in a child process, as Lambda's runtime would), with the function's Environment
 *    resolved from the template (Ref of parameters, GetAtt of role ARNs, pseudo parameters) and
 *    AWS_ENDPOINT_URL pointing at the test's FakeAws, with the broker role's (fake) credentials;
 *  - answers with the handler's {statusCode, headers, body}.
 * Options: `parameters` (stack parameter values: the template's defaults otherwise, e.g. an OU's overrides),
 * `account`, `region`, `now` (clock for signature expiry).
 */
import {type ChildProcess, fork} from 'node:child_process'
import {createHash, createHmac, randomUUID} from 'node:crypto'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {parse} from 'yaml'

import {ROOT} from './cli.js'

export interface TestCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  /** what requestContext.authorizer.iam says: the caller's assumed-role ARN, account and user id */
  userArn: string
  accountId: string
  userId: string
}

export const TEST_ACCOUNT = '111122223333'
export const TEST_REGION = 'eu-west-1'

let keySeq = 0

/** Credentials of an IAM Identity Center role session: AWSReservedSSO_<permissionSet>_<hex>/<user>. */
export function idcCredentials(o: {permissionSet: string; user: string; account?: string; suffix?: string}): TestCredentials {
  const account = o.account ?? TEST_ACCOUNT
  const n = String(++keySeq).padStart(4, '0')
  return {
    accessKeyId: `ASIAIDCTEST${n}`,
    secretAccessKey: `secret-${n}-${randomUUID()}`,
    sessionToken: `token-${n}-${randomUUID()}`,
    userArn: `arn:aws:sts::${account}:assumed-role/AWSReservedSSO_${o.permissionSet}_${o.suffix ?? '0123456789abcdef'}/${o.user}`,
    accountId: account,
    userId: `AROAIDCTEST${n}:${o.user}`,
  }
}

export interface EmulatedRequest {
  method: string
  path: string
  status: number
  /** why the "service" refused it (403), if it did */
  rejected?: string
  event?: Record<string, unknown>
}

interface Template {
  Parameters?: Record<string, {Default?: string}>
  Resources: Record<string, {Type: string; Properties: Record<string, any>}>
}

const FORBIDDEN = JSON.stringify({Message: 'Forbidden'})
const MAX_SKEW_MS = 15 * 60_000

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()
const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** SigV4 of a request as AWS computes it (non-S3: the path is encoded again). */
export function sigV4Signature(o: {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  signedHeaders: string[]
  body: Buffer
  amzDate: string
  scope: string
  secret: string
}): string {
  const canonicalPath = o.path.split('/').map(escape).join('/')
  const canonicalQuery = [...o.query.entries()]
    .map(([k, v]) => [escape(k), escape(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x! < y! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  const canonicalHeaders = o.signedHeaders.map((h) => `${h}:${(o.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('')
  const canonical = [o.method, canonicalPath, canonicalQuery, canonicalHeaders, o.signedHeaders.join(';'), sha256(o.body)].join('\n')
  const toSign = ['AWS4-HMAC-SHA256', o.amzDate, o.scope, sha256(canonical)].join('\n')
  const [date, region, service] = o.scope.split('/')
  const key = hmac(hmac(hmac(hmac(`AWS4${o.secret}`, date!), region!), service!), 'aws4_request')
  return createHmac('sha256', key).update(toSign).digest('hex')
}

const parseAmzDate = (s: string): number | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s)
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined
}

export interface EmulatorOptions {
  /** the rendered StackSet template (with admin.broker enabled) */
  templateBody: string
  /** the FakeAws the handler's SDK clients talk to */
  awsEndpoint: string
  region?: string
  account?: string
  /** stack parameter values (default: the template's defaults) */
  parameters?: Array<{ParameterKey: string; ParameterValue: string}>
  now?: () => number
}

export class FunctionUrlEmulator {
  readonly region: string
  readonly account: string
  readonly requests: EmulatedRequest[] = []
  readonly logs: string[] = []
  /** handler stderr, for debugging failed tests */
  readonly errors: string[] = []
  now: () => number
  url = ''
  private readonly credentials = new Map<string, TestCredentials>()
  private server?: Server
  private child?: ChildProcess
  private seq = 0
  private readonly pending = new Map<number, {resolve: (v: unknown) => void; reject: (e: Error) => void}>()
  readonly functionUrlId = 'abcdefghijklmnopqrstuvwxyz012345'

  constructor(private readonly options: EmulatorOptions) {
    this.region = options.region ?? TEST_REGION
    this.account = options.account ?? TEST_ACCOUNT
    this.now = options.now ?? Date.now
  }

  register(...credentials: TestCredentials[]): this {
    for (const c of credentials) this.credentials.set(c.accessKeyId, c)
    return this
  }

  /** The handler's JSON log lines that are audit lines. */
  audit(): Array<Record<string, any>> {
    return this.logs.flatMap((l) => {
      try {
        const v = JSON.parse(l)
        return v && v.ssmx === 'broker-audit' ? [v] : []
      } catch {
        return []
      }
    })
  }

  /** The function's environment as Lambda would set it: the template's Environment with intrinsics resolved. */
  environment(): Record<string, string> {
    const t = parse(this.options.templateBody) as Template
    const fn = Object.values(t.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'ssmx-broker')
    if (!fn) throw new Error('the template has no broker function (admin.broker.enabled?)')
    const params: Record<string, string> = Object.fromEntries(Object.entries(t.Parameters ?? {}).map(([k, p]) => [k, String(p.Default ?? '')]))
    for (const p of this.options.parameters ?? []) params[p.ParameterKey] = p.ParameterValue
    const pseudo: Record<string, string> = {
      'AWS::Region': this.region,
      'AWS::AccountId': this.account,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    }
    const refOf = (name: string): string => {
      if (name in pseudo) return pseudo[name]!
      if (name in params) return params[name]!
      throw new Error(`emulator: cannot resolve Ref ${name}`)
    }
    const resolve = (v: unknown): string => {
      if (typeof v === 'string') return v
      if (typeof v === 'number' || typeof v === 'boolean') return String(v)
      const o = v as Record<string, any>
      if ('Ref' in o) return refOf(o.Ref)
      if ('Fn::Sub' in o) return String(o['Fn::Sub']).replace(/\$\{([^}]+)\}/g, (_, n: string) => refOf(n))
      if ('Fn::GetAtt' in o) {
        const [id, attribute] = o['Fn::GetAtt'] as [string, string]
        const r = t.Resources[id]
        if (r?.Type === 'AWS::IAM::Role' && attribute === 'Arn') return `arn:aws:iam::${this.account}:role/${resolve(r.Properties.RoleName)}`
        throw new Error(`emulator: cannot resolve GetAtt ${id}.${attribute}`)
      }
      throw new Error(`emulator: cannot resolve ${JSON.stringify(v)}`)
    }
    return Object.fromEntries(Object.entries(fn.Properties.Environment?.Variables ?? {}).map(([k, v]) => [k, resolve(v)]))
  }

  /** The broker's inline code, as the template embeds it. */
  code(): string {
    const t = parse(this.options.templateBody) as Template
    return t.Resources.BrokerFunction!.Properties.Code.ZipFile as string
  }

  async start(): Promise<this> {
    const child = fork(join(ROOT, 'dist', 'test', 'support', 'lambda-runtime.js'), [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...this.environment(),
        LAMBDA_CODE: this.code(),
        AWS_REGION: this.region,
        AWS_DEFAULT_REGION: this.region,
        AWS_ENDPOINT_URL: this.options.awsEndpoint,
        AWS_ACCESS_KEY_ID: 'ASIABROKERROLE000001',
        AWS_SECRET_ACCESS_KEY: 'broker-role-secret',
        AWS_SESSION_TOKEN: 'broker-role-token',
        AWS_LAMBDA_FUNCTION_NAME: 'ssmx-broker',
        AWS_CONFIG_FILE: '/nonexistent/ssmx-emulator-config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ssmx-emulator-credentials',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    })
    this.child = child
    const lines = (sink: string[]) => {
      let rest = ''
      return (chunk: Buffer) => {
        rest += chunk.toString('utf8')
        const parts = rest.split('\n')
        rest = parts.pop()!
        sink.push(...parts.filter(Boolean))
      }
    }
    child.stdout!.on('data', lines(this.logs))
    child.stderr!.on('data', lines(this.errors))
    child.on('message', (m: {id: number; result?: unknown; error?: string}) => {
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      if (m.error !== undefined) p?.reject(new Error(m.error))
      else p?.resolve(m.result)
    })
    child.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`the Lambda runtime exited: ${this.errors.join('\n')}`))
      this.pending.clear()
    })
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: {ready?: boolean; error?: string}) => (m.ready ? resolve() : reject(new Error(m.error))))
      child.once('exit', (code) => reject(new Error(`the Lambda runtime exited with ${code}: ${this.errors.join('\n')}`)))
    })
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        res.writeHead(502, {'content-type': 'application/json'})
        res.end(JSON.stringify({Message: `emulator: ${String(error?.message ?? error)}`}))
      })
    })
    this.server.keepAliveTimeout = 1000
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`
    return this
  }

  async stop(): Promise<void> {
    this.child?.kill()
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  /** Why AWS would refuse this request's signature, or the verified credentials. */
  verify(req: IncomingMessage, body: Buffer): TestCredentials | string {
    const auth = String(req.headers.authorization ?? '')
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    )
    if (!m) return 'unsigned (no SigV4 Authorization header)'
    const [, keyId, date, region, service, signedList, signature] = m as unknown as string[]
    const creds = this.credentials.get(keyId!)
    if (!creds) return `unknown access key ${keyId}`
    if (service !== 'lambda') return `signed for service ${service}, not lambda`
    if (region !== this.region) return `signed for region ${region}, not ${this.region}`
    const amzDate = String(req.headers['x-amz-date'] ?? '')
    const at = parseAmzDate(amzDate)
    if (at === undefined || !amzDate.startsWith(date!)) return 'bad or missing X-Amz-Date'
    if (Math.abs(this.now() - at) > MAX_SKEW_MS) return 'signature expired'
    const signedHeaders = signedList!.split(';')
    if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) return 'host and x-amz-date must be signed'
    if (creds.sessionToken && (req.headers['x-amz-security-token'] !== creds.sessionToken || !signedHeaders.includes('x-amz-security-token')))
      return 'missing or wrong session token'
    const declared = req.headers['x-amz-content-sha256']
    if (declared !== undefined && declared !== 'UNSIGNED-PAYLOAD' && declared !== sha256(body)) return 'body does not match x-amz-content-sha256'
    const url = new URL(req.url ?? '/', 'http://x')
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v ?? '')]))
    const expected = sigV4Signature({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers,
      signedHeaders,
      body,
      amzDate,
      scope: `${date}/${region}/${service}/aws4_request`,
      secret: creds.secretAccessKey,
    })
    return expected === signature ? creds : 'signature does not match'
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    const url = new URL(req.url ?? '/', 'http://x')
    const record: EmulatedRequest = {method: req.method ?? 'GET', path: url.pathname, status: 0}
    this.requests.push(record)
    const verified = this.verify(req, body)
    if (typeof verified === 'string') {
      record.status = 403
      record.rejected = verified
      res.writeHead(403, {'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException'})
      res.end(FORBIDDEN)
      return
    }
    const event = this.event(req, url, body, verified)
    record.event = event
    const requestId = (event.requestContext as {requestId: string}).requestId
    const result = (await this.invoke(event, {
      awsRequestId: requestId,
      invokedFunctionArn: `arn:aws:lambda:${this.region}:${this.account}:function:ssmx-broker`,
      functionName: 'ssmx-broker',
    })) as {statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean} | string | undefined
    if (result && typeof result === 'object' && typeof result.statusCode === 'number') {
      record.status = result.statusCode
      res.writeHead(result.statusCode, {'content-type': 'application/json', ...(result.headers ?? {}), 'x-amzn-requestid': requestId})
      res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''))
      return
    }
    record.status = 200
    res.writeHead(200, {'content-type': 'application/json', 'x-amzn-requestid': requestId})
    res.end(typeof result === 'string' ? result : JSON.stringify(result ?? null))
  }

  /** The payload-2.0 event a function URL hands to the function. */
  private event(req: IncomingMessage, url: URL, body: Buffer, c: TestCredentials): Record<string, unknown> {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v ?? '')]))
    const contentType = headers['content-type'] ?? ''
    const text = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/.test(contentType) || body.length === 0
    const now = this.now()
    const domainName = `${this.functionUrlId}.lambda-url.${this.region}.on.aws`
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers: {...headers, host: domainName},
      ...(url.search ? {queryStringParameters: Object.fromEntries(url.searchParams)} : {}),
      requestContext: {
        accountId: 'anonymous',
        apiId: this.functionUrlId,
        authorizer: {
          iam: {
            accessKey: c.accessKeyId,
            accountId: c.accountId,
            callerId: c.userId.split(':')[0],
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: c.userArn,
            userId: c.userId,
          },
        },
        domainName,
        domainPrefix: this.functionUrlId,
        http: {method: req.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? ''},
        requestId: randomUUID(),
        routeKey: '$default',
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
      },
      body: body.length === 0 ? undefined : text ? body.toString('utf8') : body.toString('base64'),
      isBase64Encoded: !text,
    }
  }

  /** Runs the handler once in the runtime process. */
  invoke(event: unknown, context: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.seq
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject})
      this.child!.send({id, event, context})
    })
  }
}
