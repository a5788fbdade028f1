/**
 * A tiny recording HTTP proxy on 127.0.0.1 for tests: forwards absolute-form requests (`GET http://host:port/…`,
 * what a client sends to an HTTP_PROXY for an http:// URL), websocket upgrades sent the same way, and CONNECT
 * tunnels (HTTPS_PROXY for https:// and wss:// URLs). Every request is recorded before it is forwarded; only to
 * 127.0.0.1 or localhost: any other target is recorded and refused (502), so a test never reaches the network.
 */
import {readFileSync} from 'node:fs'
import {type IncomingHttpHeaders, type IncomingMessage, type Server, createServer, request} from 'node:http'
import {type AddressInfo, type Socket, connect} from 'node:net'
import {join} from 'node:path'
import {createServer as createTlsServer} from 'node:tls'

import {ROOT} from './cli.js'

export interface ProxiedRequest {
  /** GET, POST…, or CONNECT */
  method: string
  /** the request target as the client sent it: an absolute URL, or host:port for CONNECT */
  url: string
  headers: IncomingHttpHeaders
  upgrade: boolean
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost'])

export class ForwardProxy {
  readonly requests: ProxiedRequest[] = []
  private server?: Server
  private readonly sockets = new Set<Socket>()
  url = ''

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.record(req, false)
      const target = new URL(req.url ?? '')
      if (!LOOPBACK.has(target.hostname)) {
        res.writeHead(502).end()
        return
      }
      const upstream = request(
        {host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers: withoutProxyHeaders(req.headers)},
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      upstream.on('error', () => res.writeHead(502).end())
      req.pipe(upstream)
    })
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
      this.record(req, true)
      const target = new URL(req.url ?? '')
      if (!LOOPBACK.has(target.hostname)) {
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
        return
      }
      const headers = withoutProxyHeaders(req.headers)
      const lines = [
        `${req.method} ${target.pathname}${target.search} HTTP/1.1`,
        ...Object.entries(headers).flatMap(([k, v]) => [v ?? []].flat().map((x) => `${k}: ${x}`)),
      ]
      this.tunnel(client, target.hostname, Number(target.port), Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), head]))
    })
    server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      this.record(req, false)
      const [host, port] = (req.url ?? '').split(':')
      if (!LOOPBACK.has(host)) {
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
        return
      }
      this.tunnel(client, host, Number(port), head, 'HTTP/1.1 200 Connection Established\r\n\r\n')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.server = server
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return this
  }

  /** the requests whose target (URL or host:port) contains the text */
  to(text: string): ProxiedRequest[] {
    return this.requests.filter((r) => r.url.includes(text))
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private record(req: IncomingMessage, upgrade: boolean): void {
    this.requests.push({method: req.method ?? '', url: req.url ?? '', headers: req.headers, upgrade})
  }

  private tunnel(client: Socket, host: string, port: number, first: Buffer, reply?: string): void {
    const upstream = connect(port, host, () => {
      if (reply) client.write(reply)
      upstream.write(first)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    this.sockets.add(upstream)
    upstream.on('close', () => (this.sockets.delete(upstream), client.destroy()))
    client.on('close', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  }
}

function withoutProxyHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const {'proxy-authorization': _auth, 'proxy-connection': _conn, ...rest} = headers
  return rest
}

/**
 * The tests' self-signed certificate for 127.0.0.1 (test/fixtures/tls, valid until 2126), for a TLS front; trust it
 * in a child process with NODE_EXTRA_CA_CERTS=<certPath>.
 */
export function selfSignedCert(): {certPath: string; cert: Buffer; key: Buffer} {
  const certPath = join(ROOT, 'test', 'fixtures', 'tls', 'cert.pem')
  return {certPath, cert: readFileSync(certPath), key: readFileSync(join(ROOT, 'test', 'fixtures', 'tls', 'key.pem'))}
}

/** TLS on 127.0.0.1 in front of a plain TCP port (FakeAws, the fake agent): https:// and wss:// URLs for them. */
export async function tlsFront(port: number, tls: {cert: Buffer; key: Buffer}): Promise<{url: (scheme: string) => string; stop: () => Promise<void>}> {
  const sockets = new Set<Socket>()
  const server = createTlsServer({cert: tls.cert, key: tls.key}, (client) => {
    const upstream = connect(port, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => (client.destroy(), upstream.destroy()))
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const front = (server.address() as AddressInfo).port
  return {
    url: (scheme) => `${scheme}://127.0.0.1:${front}`,
    stop: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
