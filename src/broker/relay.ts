/**
 * The plugin's SSM endpoint in broker mode. session-manager-plugin calls SSM ResumeSession (after a network drop)
 * and TerminateSession (on some failures) itself, at the endpoint it was given, with the user's credentials. A
 * session the broker started belongs to the broker's role, so those calls would be denied by SSM: the relay is a
 * loopback HTTP server speaking the SSM JSON protocol (X-Amz-Target AmazonSSM.ResumeSession /
 * AmazonSSM.TerminateSession) that passes them to the broker, which checks the session is the caller's.
 *
 * It listens on 127.0.0.1 for the session's lifetime only, answers nothing but those two operations, and only for
 * the session it serves, and only when the request is SigV4-signed for ssm with the very credentials ssmx handed the
 * plugin (in its environment, src/session/broker.ts). Another local user who learns the session id (ssmx prints it)
 * cannot sign as this user, so cannot resume or end the session through the relay.
 */
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import type {AwsCredentialIdentity} from '@smithy/types'

import {sigV4Refusal} from '../aws/sigv4-verify.js'
import {isSsmxError} from '../errors.js'
import {BROKER_MAX_BODY_BYTES} from './protocol.js'

export interface RelayBroker {
  resume(sessionId: string): Promise<{sessionId: string; tokenValue: string; streamUrl: string}>
  terminate(sessionId: string): Promise<unknown>
}

export interface Relay {
  /** http://127.0.0.1:<port>: the plugin's endpoint argument */
  readonly url: string
  /** the session it relays for: set once StartSession (through the broker) answered */
  sessionId?: string
  /** the credentials the plugin was given: the only ones whose signature the relay accepts */
  credentials?: AwsCredentialIdentity
  /** operations relayed so far, in order (for --debug and tests) */
  readonly relayed: string[]
  close(): Promise<void>
}

const OPERATIONS = new Set(['ResumeSession', 'TerminateSession'])

export async function startRelay(broker: RelayBroker, options: {debug?: (line: string) => void} = {}): Promise<Relay> {
  const relayed: string[] = []
  const relay: Relay & {server?: Server} = {
    url: '',
    relayed,
    async close() {
      const server = relay.server
      if (!server) return
      relay.server = undefined
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server = createServer((req, res) => {
    handle(req, res, relay, broker, options.debug).catch((error) => sendError(res, 500, 'InternalServerError', (error as Error).message))
  })
  server.keepAliveTimeout = 2000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  server.unref()
  relay.server = server
  ;(relay as {url: string}).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return relay
}

async function handle(req: IncomingMessage, res: ServerResponse, relay: Relay, broker: RelayBroker, debug?: (line: string) => void): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '')
  const operation = target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : ''
  if (req.method !== 'POST' || !OPERATIONS.has(operation)) {
    req.resume()
    return sendError(res, 400, 'UnknownOperationException', `ssmx's broker relay serves only ResumeSession and TerminateSession, not ${target || req.method}.`)
  }
  if (!req.headers.authorization) {
    req.resume()
    return sendError(res, 403, 'MissingAuthenticationTokenException', 'Missing SigV4 authentication for ssm.')
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > BROKER_MAX_BODY_BYTES) return sendError(res, 413, 'ValidationException', 'Request body too large.')
    chunks.push(c as Buffer)
  }
  const body = Buffer.concat(chunks)
  if (!relay.sessionId || !relay.credentials) return sendError(res, 400, 'DoesNotExistException', 'No such session here.')
  const refused = await sigV4Refusal({method: req.method!, url: req.url ?? '/', headers: req.headers, body}, relay.credentials, {service: 'ssm'})
  if (refused) {
    debug?.(`broker relay: refused ${operation}: ${refused}`)
    return sendError(res, 403, 'InvalidSignatureException', refused)
  }
  let sessionId: unknown
  try {
    sessionId = (JSON.parse(body.toString('utf8')) as {SessionId?: unknown}).SessionId
  } catch {
    return sendError(res, 400, 'SerializationException', 'The body is not JSON.')
  }
  if (sessionId !== relay.sessionId) {
    return sendError(res, 400, 'DoesNotExistException', 'No such session here.')
  }
  relay.relayed.push(operation)
  debug?.(`broker relay: ${operation} ${relay.sessionId}`)
  try {
    if (operation === 'ResumeSession') {
      const out = await broker.resume(relay.sessionId)
      return send(res, 200, {SessionId: out.sessionId, TokenValue: out.tokenValue, StreamUrl: out.streamUrl})
    }
    await broker.terminate(relay.sessionId)
    return send(res, 200, {SessionId: relay.sessionId})
  } catch (error) {
    const code = isSsmxError(error) ? error.code : ''
    if (code === 'brokerRefused' || code === 'accessDenied') return sendError(res, 400, 'AccessDeniedException', (error as Error).message)
    if (code === 'session') return sendError(res, 400, 'DoesNotExistException', (error as Error).message)
    return sendError(res, 500, 'InternalServerError', (error as Error).message)
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {'content-type': 'application/x-amz-json-1.1'})
  res.end(JSON.stringify(body))
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, {'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type})
  res.end(JSON.stringify({__type: type, message}))
}
