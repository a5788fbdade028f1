/**
 * Broker mode's side of the session runner (src/session/connect.ts): the session broker starts the session (its
 * document, its Linux user), the plugin gets the started session exactly as in documents mode (token in the
 * environment) with a loopback relay as its SSM endpoint (src/broker/relay.ts) and ssmx's own credentials in its
 * environment (the relay accepts only their signature), and the built-in client asks the
 * broker to resume and for the KMS data key. Terminate goes to the broker too: its sessions are not the user's to end.
 */

import type {StartSessionInput} from '../aws/ports.js'
import {type BrokerClient, brokerFor, refusalError} from '../broker/client.js'
import type {DecideResponse, StartRequest} from '../broker/protocol.js'
import {startRelay} from '../broker/relay.js'
import type {KmsSend} from '../native/crypto.js'
import type {SessionBackend, SessionDeps, SessionPlan, SessionRequest} from './connect.js'

/** One line on who the broker says you are and which Linux user the session runs as. */
export function describeDecision(d: Pick<DecideResponse, 'user' | 'permissionSet' | 'linuxUser' | 'source' | 'allowed' | 'reason'>): string {
  const source =
    d.source === 'user' ? 'a per-user override' : d.source === 'ou-permission-set' ? 'the permission set, overridden for this OU' : 'the permission set'
  const who = `${d.user || '?'} with permission set ${d.permissionSet || '?'}`
  return d.allowed ? `${who}: runs as ${d.linuxUser} (from ${source})` : `${who}: refused: ${d.reason ?? 'no reason given'}`
}

export async function brokerBackend(
  plan: SessionPlan,
  req: SessionRequest,
  deps: SessionDeps & {broker?: BrokerClient},
  options: {dryRun?: boolean} = {},
): Promise<SessionBackend> {
  const broker = deps.broker ?? brokerFor(deps.ctx)
  const kind = plan.broker!.kind
  const request: Omit<StartRequest, 'action'> = {
    target: plan.target.id,
    kind,
    ...(req.parameters ? {parameters: req.parameters} : {}),
    ...(req.reason ? {reason: req.reason} : {}),
  }
  return options.dryRun ? dryRunBackend(broker, plan, request) : liveBackend(broker, plan, req, deps, request)
}

/** --dry-run: asks the broker what it decides, starts nothing. */
function dryRunBackend(broker: BrokerClient, plan: SessionPlan, request: Omit<StartRequest, 'action'>): SessionBackend {
  const kind = request.kind
  return {
    endpoint: 'http://127.0.0.1:<relay-port>',
    async describe() {
      const [{url, source}, decision] = await Promise.all([broker.url(), broker.decide({target: plan.target.id, kind})])
      if (!decision.allowed) throw refusalError(decision, decision.reason ?? 'refused')
      return [
        `broker:    ${url} (${source === 'cache' ? 'cached' : 'from the SSM parameter'}), version ${decision.version}`,
        `decision:  ${describeDecision(decision)}`,
        `request:   broker start ${JSON.stringify(request)}`,
      ]
    },
    start: () => Promise.reject(new Error('dry run')),
    terminate: async () => {},
    close: async () => {},
  }
}

/** The broker starts the session; the plugin reaches it through the relay, the built-in client through the broker. */
async function liveBackend(
  broker: BrokerClient,
  plan: SessionPlan,
  req: SessionRequest,
  deps: SessionDeps,
  request: Omit<StartRequest, 'action'>,
): Promise<SessionBackend> {
  // the plugin's ResumeSession/TerminateSession go to the relay, the relay to the broker
  const relay = plan.plugin ? await startRelay(broker, {debug: deps.ctx.options.debug}) : undefined
  let sessionId = ''
  let streamUrl = ''
  const kms: KmsSend = {
    generateDataKey: async (input) => {
      const out = await broker.datakey({sessionId, target: plan.target.id, kmsKeyId: String(input.KeyId ?? '')})
      return {$metadata: {}, KeyId: input.KeyId, CiphertextBlob: Buffer.from(out.ciphertextBlob, 'base64'), Plaintext: Buffer.from(out.plaintext, 'base64')}
    },
  }
  return {
    endpoint: relay?.url ?? '',
    async start() {
      if (relay) {
        // the plugin signs with exactly these (its environment); the relay accepts no other signature. Resolved
        // first (signing the broker request needs them anyway), so nothing can fail after the session started.
        const {accessKeyId, secretAccessKey, sessionToken} = await deps.ctx.credentials()
        relay.credentials = {accessKeyId, secretAccessKey, ...(sessionToken ? {sessionToken} : {})}
      }
      const out = await broker.start(request)
      sessionId = out.sessionId
      streamUrl = out.streamUrl
      if (relay) relay.sessionId = out.sessionId
      deps.warn(`Session broker: ${describeDecision(out)}.`)
      const input: StartSessionInput = {Target: plan.target.id, DocumentName: out.document, ...(req.parameters ? {Parameters: req.parameters} : {})}
      return {response: {SessionId: out.sessionId, TokenValue: out.tokenValue, StreamUrl: out.streamUrl}, input}
    },
    async terminate(id) {
      // the plugin may have ended it through the relay already; a session the broker no longer knows is ended
      await broker.terminate(id).catch((error) => {
        if (!(relay?.relayed.includes('TerminateSession') && (error as {code?: string}).code === 'session')) throw error
      })
    },
    native: {
      resume: async () => {
        const out = await broker.resume(sessionId)
        return out.tokenValue ? {token: out.tokenValue, streamUrl: out.streamUrl || streamUrl} : undefined
      },
      kms: () => kms,
    },
    close: async () => relay?.close(),
    pluginCredentials: () => relay?.credentials,
  }
}
