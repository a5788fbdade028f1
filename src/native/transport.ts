/**
 * The data channel's websocket: opens it (through a proxy when one is set), sends the OpenDataChannel message,
 * pings it, hands each binary frame to the channel, and when it drops opens it again with a fresh token from
 * ResumeSession (backing off between attempts). It knows nothing of sequence numbers or acknowledgements.
 */
import {randomUUID} from 'node:crypto'
import {EventEmitter} from 'node:events'
import type {AgentOptions, Agent as HttpAgent, IncomingMessage} from 'node:http'
import {createRequire} from 'node:module'
import type {Socket} from 'node:net'

// before ws: it takes the masking functions this installs when it loads
import './ws-mask.js'
import WebSocket from 'ws'

/** The plugin's version this client speaks as (in OpenDataChannel and the handshake). */
export const CLIENT_VERSION = '1.2.707.0'

export const RECONNECT = {attempts: 5, initialDelay: 100, maxDelay: 5000, pingInterval: 5 * 60_000}

export interface Credentials {
  streamUrl: string
  token: string
}

export interface TransportOptions extends Credentials {
  sessionId: string
  clientId?: string
  /** ResumeSession: a new token (and maybe URL), or undefined when the session has ended */
  resume?: () => Promise<Credentials | undefined>
  /** how long the websocket may take to open */
  openTimeoutMs?: number
  /** HTTPS_PROXY/HTTP_PROXY/NO_PROXY (Node's proxyEnv) when a proxy is set: the websocket goes through it */
  proxyEnv?: NodeJS.ProcessEnv
  debug?: (line: string) => void
}

export class ChannelError extends Error {
  override name = 'ChannelError'
}

/**
 * Events: 'frame' (Buffer) for every binary message; 'connected' after each (re)open; 'gone' (output) when
 * ResumeSession says the session has ended; 'error' (Error) when the websocket cannot be opened again.
 */
export class Transport extends EventEmitter {
  private ws?: WebSocket
  /** the websocket's TCP (or TLS) socket, from ws's 'upgrade' response: corked around bursts */
  private socket?: Socket
  private creds: Credentials
  private readonly clientId: string
  private reconnecting = false
  private ended = false
  /** set once the agent closed the channel: a drop is then the end, not something to resume */
  private settled = false
  private pingTimer?: NodeJS.Timeout
  reconnects = 0

  constructor(private readonly options: TransportOptions) {
    super()
    this.creds = {streamUrl: options.streamUrl, token: options.token}
    this.clientId = options.clientId ?? randomUUID()
  }

  get connected(): boolean {
    return !this.ended && this.ws?.readyState === WebSocket.OPEN
  }

  /** Sends one binary frame; false when the websocket is not open (the channel resends after the reconnect). */
  send(frame: Buffer): boolean {
    const ws = this.ws
    if (this.ended || ws?.readyState !== WebSocket.OPEN) return false
    this.cork()
    ws.send(frame, {binary: true, mask: true})
    return true
  }

  /** A burst of frames (acknowledgements, resends, forwarded data) leaves in one write instead of one system call each. */
  private cork(): void {
    if (this.socket) corkTick(this.socket)
  }

  /** Opens the websocket and sends OpenDataChannel; rejects after openTimeoutMs. */
  open(): Promise<void> {
    const timeout = this.options.openTimeoutMs ?? 30_000
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.creds.streamUrl, {
        handshakeTimeout: timeout,
        perMessageDeflate: false,
        ...websocketAgent(this.creds.streamUrl, this.options.proxyEnv),
      })
      this.ws = ws
      let settled = false
      const timer = setTimeout(() => fail(new ChannelError(`the data channel did not open within ${Math.round(timeout / 1000)} s`)), timeout)
      const fail = (error: Error) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        ws.removeAllListeners()
        ws.on('error', () => {})
        ws.terminate()
        reject(error)
      }
      ws.once('upgrade', (response: IncomingMessage) => (this.socket = response.socket as Socket))
      ws.once('error', (e) => fail(new ChannelError(`cannot open the data channel: ${e.message}`)))
      ws.once('close', () => fail(new ChannelError('the data channel closed while opening')))
      ws.once('open', () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        ws.removeAllListeners()
        this.opened(ws)
        resolve()
      })
    })
  }

  private opened(ws: WebSocket): void {
    ws.send(
      JSON.stringify({
        MessageSchemaVersion: '1.0',
        RequestId: randomUUID(),
        TokenValue: this.creds.token,
        ClientId: this.clientId,
        ClientVersion: CLIENT_VERSION,
      }),
    )
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.emit('frame', toBuffer(data))
    })
    ws.on('error', (e) => this.options.debug?.(`websocket error: ${e.message}`))
    ws.on('close', () => this.dropped(ws))
    clearInterval(this.pingTimer)
    this.pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.ping('keepalive'), RECONNECT.pingInterval)
    this.pingTimer.unref()
    this.emit('connected')
  }

  /** Stops reconnecting (after channel_closed the service hangs up: nothing to resume). */
  settle(): void {
    this.settled = true
  }

  close(): void {
    this.ended = true
    clearInterval(this.pingTimer)
    this.ws?.removeAllListeners()
    this.ws?.on('error', () => {})
    this.ws?.close()
  }

  private dropped(ws: WebSocket): void {
    if (ws !== this.ws || this.ended || this.settled) return
    this.options.debug?.('data channel dropped; resuming the session')
    void this.reconnect()
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return
    this.reconnecting = true
    let delay = RECONNECT.initialDelay * (1 + Math.random())
    let lastError: unknown
    try {
      for (let attempt = 0; attempt < RECONNECT.attempts && !this.ended; attempt++) {
        try {
          if (!(await this.refreshCredentials())) return
          if (this.ended) return
          await this.open()
          this.reconnects++
          return
        } catch (error) {
          lastError = error
          this.options.debug?.(`reconnect attempt ${attempt + 1} failed: ${(error as Error).message}`)
          await new Promise((r) => setTimeout(r, delay))
          delay = Math.min(delay * 2, RECONNECT.maxDelay)
        }
      }
      if (!this.ended)
        this.emit('error', new ChannelError(`the data channel dropped and could not be resumed: ${(lastError as Error)?.message ?? 'unknown error'}`))
    } finally {
      this.reconnecting = false
    }
  }

  /** ResumeSession's new token; false (after 'gone') when the session has ended. */
  private async refreshCredentials(): Promise<boolean> {
    if (!this.options.resume) return true
    const next = await this.options.resume()
    if (!next) {
      this.emit('gone', `Session ${this.options.sessionId} timed out.`)
      return false
    }
    this.creds = {streamUrl: next.streamUrl || this.creds.streamUrl, token: next.token}
    return true
  }
}

/** Holds a socket's writes until the end of this tick: a burst of them leaves in one system call. */
export function corkTick(socket: Socket): void {
  if (socket.writableCorked > 0) return
  socket.cork()
  process.nextTick(() => socket.uncork())
}

const toBuffer = (data: WebSocket.RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data))

/** `ws` connects directly unless given an agent: with a proxy set, one that tunnels (wss:) or forwards (ws:) through it. */
export function websocketAgent(url: string, proxyEnv: NodeJS.ProcessEnv | undefined): {agent?: HttpAgent} {
  if (!proxyEnv) return {}
  const options = {proxyEnv} as AgentOptions // proxyEnv: Node 22.21+/24.5+, not yet in @types/node
  // required, not imported: an ESM import of node:http(s) makes Node read every export, and node:http's lazy
  // fetch-related getters then load undici (4 MiB resident), which the data channel never uses
  const require = createRequire(import.meta.url)
  const {Agent} = (url.startsWith('wss:') ? require('node:https') : require('node:http')) as {Agent: typeof HttpAgent}
  return {agent: new Agent(options)}
}
