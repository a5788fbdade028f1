/**
 * A fake AWS on 127.0.0.1 for integration tests: point AWS_ENDPOINT_URL at it and the real SDK
 * (serialization, signing, credential chain) talks to it. It recognises the service from the SigV4
 * credential scope (or the unsigned SSO/OIDC paths), records every request, and answers from
 * handlers the test registers. Protocols: awsJson (SSM, Organizations, SSO Admin, KMS), query/ec2
 * (EC2, STS, CloudFormation: handlers return XML), REST-JSON (SSO portal, SSO OIDC).
 */
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface RecordedRequest {
  service: string
  operation: string
  /** JSON body, query parameters as a flat object, or REST query+body */
  input: Record<string, unknown>
  headers: IncomingMessage['headers']
  path: string
}

export class AwsFault {
  constructor(
    readonly code: string,
    readonly message = code,
    readonly status = 400,
  ) {}
}

/** A handler returns the output (object for JSON protocols, XML body string for query protocols) or throws AwsFault. */
export type Handler = (input: Record<string, unknown>, req: RecordedRequest) => unknown | Promise<unknown>

const XML_NS: Record<string, string> = {
  ec2: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
}

export class FakeAws {
  readonly requests: RecordedRequest[] = []
  private readonly handlers = new Map<string, Handler>()
  private server?: Server
  /** added to every response, to simulate latency */
  latencyMs = 0
  url = ''

  /** Registers `service.Operation` (service as in the SigV4 scope: ssm, ec2, sts, awsssoportal, sso-oauth, …). */
  on(service: string, operation: string, handler: Handler): this {
    this.handlers.set(`${service}.${operation}`, handler)
    return this
  }

  calls(service?: string, operation?: string): RecordedRequest[] {
    return this.requests.filter((r) => (!service || r.service === service) && (!operation || r.operation === operation))
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        res.writeHead(500, {'content-type': 'text/plain'})
        res.end(String(error?.stack ?? error))
      })
    })
    this.server.keepAliveTimeout = 1000
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://x')
    const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''))
    let service = scope?.[1] ?? ''
    let operation = ''
    let input: Record<string, unknown> = {}
    let protocol: 'json' | 'query' | 'rest'
    const target = req.headers['x-amz-target']
    if (target) {
      protocol = 'json'
      operation = String(target).split('.').pop() ?? ''
      input = body ? JSON.parse(body) : {}
    } else if (req.method === 'POST' && String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
      protocol = 'query'
      const params = new URLSearchParams(body)
      input = Object.fromEntries(params.entries())
      operation = String(input.Action ?? '')
    } else {
      protocol = 'rest'
      input = {...Object.fromEntries(url.searchParams.entries()), ...(body ? JSON.parse(body) : {})}
      const rest = restOperation(req.method ?? 'GET', url.pathname)
      service = service || rest.service
      operation = rest.operation
    }
    const recorded: RecordedRequest = {service, operation, input, headers: req.headers, path: url.pathname}
    this.requests.push(recorded)
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs))
    const handler = this.handlers.get(`${service}.${operation}`)
    let output: unknown
    try {
      if (!handler) throw new AwsFault('UnknownOperationException', `fake AWS has no handler for ${service}.${operation}`)
      output = await handler(input, recorded)
    } catch (error) {
      if (!(error instanceof AwsFault)) throw error
      return sendError(res, protocol, service, error)
    }
    if (protocol === 'query') {
      const xml = typeof output === 'string' ? output : ''
      const ns = XML_NS[service] ?? ''
      const wrapped =
        service === 'ec2'
          ? `<${operation}Response xmlns="${ns}"><requestId>req-1</requestId>${xml}</${operation}Response>`
          : `<${operation}Response xmlns="${ns}"><${operation}Result>${xml}</${operation}Result><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></${operation}Response>`
      res.writeHead(200, {'content-type': 'text/xml'})
      res.end(wrapped)
      return
    }
    res.writeHead(200, {'content-type': protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json'})
    res.end(JSON.stringify(output ?? {}))
  }
}

function restOperation(method: string, path: string): {service: string; operation: string} {
  if (path === '/federation/credentials') return {service: 'awsssoportal', operation: 'GetRoleCredentials'}
  if (path === '/client/register') return {service: 'sso-oauth', operation: 'RegisterClient'}
  if (path === '/device_authorization') return {service: 'sso-oauth', operation: 'StartDeviceAuthorization'}
  if (path === '/token') return {service: 'sso-oauth', operation: 'CreateToken'}
  return {service: 'unknown', operation: `${method} ${path}`}
}

function sendError(res: ServerResponse, protocol: 'json' | 'query' | 'rest', service: string, e: AwsFault): void {
  if (protocol === 'query') {
    res.writeHead(e.status, {'content-type': 'text/xml'})
    res.end(
      service === 'ec2'
        ? `<Response><Errors><Error><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error></Errors><RequestID>req-1</RequestID></Response>`
        : `<ErrorResponse><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
    )
    return
  }
  res.writeHead(e.status, {'content-type': 'application/json', 'x-amzn-errortype': e.code})
  res.end(JSON.stringify({__type: e.code, message: e.message}))
}

export const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;'})[c]!)

/** `{a: 'x', b: [{c: 1}]}` → `<a>x</a><b><item><c>1</c></item></b>` (EC2 list style: items). */
export function toXml(value: unknown, itemTag = 'item'): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) return value.map((v) => `<${itemTag}>${toXml(v, itemTag)}</${itemTag}>`).join('')
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `<${k}>${toXml(v, itemTag)}</${k}>`)
      .join('')
  return escapeXml(String(value))
}
