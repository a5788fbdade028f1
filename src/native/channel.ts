/**
 * The data channel: a websocket to the session's StreamUrl that carries numbered data messages both ways.
 * Every data message received is acknowledged, delivered in sequence order (early ones buffered, repeats
 * dropped) and, when the session is encrypted, decrypted. Every data message sent is kept until the agent
 * acknowledges it and resent after an adaptive timeout (smoothed round-trip time, like TCP's RTO). A
 * dropped websocket is reopened with a fresh token from ResumeSession; both sides then resend what the
 * other has not acknowledged, so no byte is lost or duplicated.
 */
import {randomUUID} from 'node:crypto'
import {EventEmitter} from 'node:events'
import {type AgentOptions, Agent as HttpAgent} from 'node:http'
import {Agent as HttpsAgent} from 'node:https'

import WebSocket from 'ws'

import type {SessionCipher} from './crypto.js'
import {type ClientMessage, FrameError, MessageType, PayloadType, decodeMessage, encodeAck, encodeMessage} from './message.js'

/**
 * Timing, as in the plugin: initial RTO 200 ms, RTT 100 ms, clock granularity 10 ms, RTO at most 1 s. Unlike
 * the plugin the RTO never drops below 200 ms (TCP's minimum): the websocket is already reliable, so a late
 * acknowledgement is nearly always delay, not loss, and resending early only adds load.
 */
export const TIMING = {
  initialRto: 200,
  minRto: 200,
  initialRtt: 100,
  granularity: 10,
  maxRto: 1000,
  resendTick: 50,
  initialWindow: 32,
  minWindow: 8,
  /** after this many resends of one message the session is given up (the plugin: 5 minutes of 100 ms) */
  maxResends: 3000,
  pingInterval: 5 * 60_000,
  reconnectAttempts: 5,
  reconnectInitialDelay: 100,
  reconnectMaxDelay: 5000,
}

/** The plugin's version this client speaks as (in OpenDataChannel and the handshake). */
export const CLIENT_VERSION = '1.2.707.0'

/** Outgoing messages not yet acknowledged above which producers should wait for 'drain'. */
export const HIGH_WATER = 1024
const LOW_WATER = 256
const INCOMING_CAPACITY = 10_000

export interface Credentials {
  streamUrl: string
  token: string
}

export interface ChannelOptions extends Credentials {
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

export type DataHandler = (message: ClientMessage) => void | Promise<void>

interface Pending {
  frame: Buffer
  sentAt: number
  resends: number
}

export class ChannelError extends Error {
  override name = 'ChannelError'
}

/**
 * Events: 'closed' (output: string) when the agent closes the channel; 'error' (Error) when it cannot go on;
 * 'drain' when the unacknowledged backlog falls low again; 'reconnected'.
 */
export class DataChannel extends EventEmitter {
  cipher?: SessionCipher
  private ws?: WebSocket
  private creds: Credentials
  private readonly clientId: string
  private nextSeq = 0
  /** the first sequence number never transmitted */
  private nextToSend = 0
  private inFlight = 0
  /** congestion window (messages in flight), grown per acknowledgement, halved on a timeout like TCP's */
  private cwnd = TIMING.initialWindow
  private ssthresh = HIGH_WATER
  private expectedSeq = 0
  private readonly outgoing = new Map<number, Pending>()
  private readonly early = new Map<number, ClientMessage>()
  private readonly ready: ClientMessage[] = []
  private pumping = false
  private closeOutput?: string
  private rtt = TIMING.initialRtt
  private rttVar = 0
  rto = TIMING.initialRto
  private paused = false
  private connected = false
  private ended = false
  private reconnecting = false
  private resendTimer?: NodeJS.Timeout
  private pingTimer?: NodeJS.Timeout
  private handler: DataHandler = () => {}
  readonly stats = {received: 0, duplicates: 0, corrupt: 0, resent: 0, reconnects: 0}

  constructor(private readonly options: ChannelOptions) {
    super()
    this.creds = {streamUrl: options.streamUrl, token: options.token}
    this.clientId = options.clientId ?? randomUUID()
  }

  /** Receives every data message in order (decrypted); the next is delivered when the returned promise settles. */
  onData(handler: DataHandler): void {
    this.handler = handler
  }

  /** Opens the websocket and sends the OpenDataChannel message; rejects after openTimeoutMs. */
  async open(): Promise<void> {
    await this.connect()
    this.resendTimer = setInterval(() => this.resendDue(), TIMING.resendTick)
    this.resendTimer.unref()
  }

  /** Unacknowledged outgoing messages. */
  get backlog(): number {
    return this.outgoing.size
  }

  /** Sends one input_stream_data message; Output payloads are encrypted once the session is. */
  send(payloadType: number, data: Buffer): void {
    if (this.ended) return
    const payload = this.cipher && payloadType === PayloadType.output ? this.cipher.encrypt(data) : data
    const seq = this.nextSeq++
    const frame = encodeMessage({messageType: MessageType.input, sequenceNumber: seq, payloadType, payload})
    this.outgoing.set(seq, {frame, sentAt: 0, resends: 0})
    this.sendNew()
  }

  /** Transmits queued messages while fewer than the congestion window are in flight. */
  private sendNew(): void {
    if (!this.connected || this.paused) return
    const now = performance.now()
    while (this.nextToSend < this.nextSeq && this.inFlight < Math.floor(this.cwnd)) {
      const p = this.outgoing.get(this.nextToSend++)
      if (!p) continue
      p.sentAt = now
      this.inFlight++
      this.transmit(p.frame)
    }
  }

  /** Resolves at once while the backlog is below HIGH_WATER, else when it has drained to LOW_WATER (or the channel ended). */
  room(): Promise<void> {
    if (this.outgoing.size < HIGH_WATER || this.ended) return Promise.resolve()
    return firstEvent(this, ['drain', 'ended'])
  }

  /** Resolves when every message sent so far is acknowledged (or the channel ends). */
  async flushed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.outgoing.size > 0 && !this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  }

  close(): void {
    if (this.ended) return
    this.ended = true
    clearInterval(this.resendTimer)
    clearInterval(this.pingTimer)
    this.connected = false
    this.ws?.removeAllListeners()
    this.ws?.on('error', () => {})
    this.ws?.close()
    this.outgoing.clear()
    this.early.clear()
    this.emit('ended')
  }

  private connect(): Promise<void> {
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
      ws.once('error', (e) => fail(new ChannelError(`cannot open the data channel: ${e.message}`)))
      ws.once('close', () => fail(new ChannelError('the data channel closed while opening')))
      ws.once('open', () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        ws.removeAllListeners()
        ws.send(
          JSON.stringify({
            MessageSchemaVersion: '1.0',
            RequestId: randomUUID(),
            TokenValue: this.creds.token,
            ClientId: this.clientId,
            ClientVersion: CLIENT_VERSION,
          }),
        )
        this.connected = true
        ws.on('message', (data, isBinary) => {
          if (isBinary) this.receive(toBuffer(data))
        })
        ws.on('error', (e) => this.options.debug?.(`websocket error: ${e.message}`))
        ws.on('close', () => this.dropped(ws))
        clearInterval(this.pingTimer)
        this.pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.ping('keepalive'), TIMING.pingInterval)
        this.pingTimer.unref()
        // whatever the agent has not acknowledged goes again on the new connection
        this.resendAll()
        resolve()
      })
    })
  }

  private dropped(ws: WebSocket): void {
    // after channel_closed the service hangs up: nothing to resume
    if (ws !== this.ws || this.ended || this.closeOutput !== undefined) return
    this.connected = false
    this.options.debug?.('data channel dropped; resuming the session')
    void this.reconnect()
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return
    this.reconnecting = true
    let delay = TIMING.reconnectInitialDelay * (1 + Math.random())
    let lastError: unknown
    try {
      for (let attempt = 0; attempt < TIMING.reconnectAttempts && !this.ended; attempt++) {
        try {
          if (this.options.resume) {
            const next = await this.options.resume()
            if (!next) {
              this.emit('closed', `Session ${this.options.sessionId} timed out.`)
              return
            }
            this.creds = {streamUrl: next.streamUrl || this.creds.streamUrl, token: next.token}
          }
          if (this.ended) return
          await this.connect()
          this.stats.reconnects++
          this.emit('reconnected')
          return
        } catch (error) {
          lastError = error
          this.options.debug?.(`reconnect attempt ${attempt + 1} failed: ${(error as Error).message}`)
          await new Promise((r) => setTimeout(r, delay))
          delay = Math.min(delay * 2, TIMING.reconnectMaxDelay)
        }
      }
      if (!this.ended)
        this.emit('error', new ChannelError(`the data channel dropped and could not be resumed: ${(lastError as Error)?.message ?? 'unknown error'}`))
    } finally {
      this.reconnecting = false
    }
  }

  private transmit(frame: Buffer): void {
    if (!this.connected || this.ws?.readyState !== WebSocket.OPEN) return
    corked(this.ws)
    this.ws.send(frame)
  }

  /** After a reconnect or a pause: everything in flight goes again, then what is queued. */
  private resendAll(): void {
    if (this.paused) return
    const now = performance.now()
    for (const p of this.outgoing.values()) {
      if (p.sentAt === 0) break
      p.resends++
      p.sentAt = now
      this.transmit(p.frame)
    }
    this.sendNew()
  }

  private resendDue(): void {
    if (!this.connected || this.paused) return
    const now = performance.now()
    let timedOut = false
    for (const [seq, p] of this.outgoing) {
      if (p.sentAt === 0) break
      if (now - p.sentAt <= this.rto) continue
      if (++p.resends > TIMING.maxResends) {
        this.emit('error', new ChannelError(`message ${seq} was not acknowledged after ${TIMING.maxResends} resends`))
        this.close()
        return
      }
      this.stats.resent++
      timedOut = true
      p.sentAt = now
      this.transmit(p.frame)
    }
    if (timedOut) {
      // back off: fewer messages in flight, a longer timeout
      this.ssthresh = Math.max(TIMING.minWindow, this.cwnd / 2)
      this.cwnd = this.ssthresh
      this.rto = Math.min(this.rto * 2, TIMING.maxRto)
    }
  }

  private receive(frame: Buffer): void {
    let message: ClientMessage
    try {
      message = decodeMessage(frame)
    } catch (error) {
      if (!(error instanceof FrameError)) throw error
      // not acknowledged: the agent sends it again
      this.stats.corrupt++
      this.options.debug?.(`dropped a bad frame: ${error.message}`)
      return
    }
    switch (message.messageType) {
      case MessageType.output:
        return this.receiveData(message)
      case MessageType.acknowledge:
        return this.receiveAck(message)
      case MessageType.channelClosed: {
        let output = ''
        try {
          output = String(JSON.parse(message.payload.toString('utf8')).Output ?? '')
        } catch {}
        // what arrived before it is delivered first
        this.closeOutput = output
        void this.pump()
        return
      }
      case MessageType.pausePublication:
        this.paused = true
        return
      case MessageType.startPublication:
        if (this.paused) {
          this.paused = false
          this.resendAll()
        }
        return
      default:
        this.options.debug?.(`ignored a message of type ${message.messageType}`)
    }
  }

  private receiveData(message: ClientMessage): void {
    const seq = message.sequenceNumber
    if (seq < this.expectedSeq || this.early.has(seq)) {
      // a repeat (our acknowledgement may have been lost): acknowledge again, deliver nothing
      this.stats.duplicates++
      this.transmit(encodeAck(message))
      return
    }
    if (seq > this.expectedSeq) {
      if (this.early.size >= INCOMING_CAPACITY) return
      this.early.set(seq, message)
      this.transmit(encodeAck(message))
      return
    }
    this.transmit(encodeAck(message))
    this.stats.received++
    this.ready.push(message)
    this.expectedSeq++
    for (let next = this.early.get(this.expectedSeq); next; next = this.early.get(this.expectedSeq)) {
      this.early.delete(this.expectedSeq)
      this.stats.received++
      this.ready.push(next)
      this.expectedSeq++
    }
    void this.pump()
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (this.ready.length > 0 && !this.ended) {
        const message = this.ready.shift()!
        if (
          this.cipher &&
          (message.payloadType === PayloadType.output || message.payloadType === PayloadType.stdErr || message.payloadType === PayloadType.exitCode)
        ) {
          try {
            message.payload = this.cipher.decrypt(message.payload)
          } catch {
            this.emit('error', new ChannelError(`cannot decrypt message ${message.sequenceNumber} from the agent`))
            return
          }
        }
        try {
          await this.handler(message)
        } catch (error) {
          this.emit('error', error)
          return
        }
      }
    } finally {
      this.pumping = false
    }
    if (this.closeOutput !== undefined && this.ready.length === 0 && !this.ended) this.emit('closed', this.closeOutput)
  }

  private receiveAck(message: ClientMessage): void {
    let seq: number
    try {
      seq = Number(JSON.parse(message.payload.toString('utf8')).AcknowledgedMessageSequenceNumber)
    } catch {
      return
    }
    const p = this.outgoing.get(seq)
    if (!p) return
    this.outgoing.delete(seq)
    if (p.sentAt > 0) {
      this.inFlight--
      // Karn: only first transmissions measure the round trip
      if (p.resends === 0) this.updateRto(performance.now() - p.sentAt)
      this.cwnd = Math.min(HIGH_WATER, this.cwnd + (this.cwnd < this.ssthresh ? 1 : 1 / this.cwnd))
      this.sendNew()
    }
    if (this.outgoing.size === LOW_WATER || this.outgoing.size === 0) this.emit('drain')
  }

  private updateRto(sample: number): void {
    this.rttVar = 0.75 * this.rttVar + 0.25 * Math.abs(this.rtt - sample)
    this.rtt = 0.875 * this.rtt + 0.125 * sample
    this.rto = Math.min(Math.max(this.rtt + Math.max(TIMING.granularity, 4 * this.rttVar), TIMING.minRto), TIMING.maxRto)
  }
}

/**
 * Holds the websocket's TCP socket corked until the end of this tick, so a burst of frames (acknowledgements,
 * resends, forwarded data) leaves in one write instead of one system call each.
 */
export function corked(ws: WebSocket): void {
  const socket = (ws as unknown as {_socket?: {cork(): void; uncork(): void; writableCorked: number}})._socket
  if (!socket || socket.writableCorked > 0) return
  socket.cork()
  process.nextTick(() => socket.uncork())
}

/** Resolves on the first of the events (listeners removed after). */
export function firstEvent(emitter: NodeJS.EventEmitter, events: string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const e of events) emitter.off(e, done)
      resolve()
    }
    for (const e of events) emitter.on(e, done)
  })
}

const toBuffer = (data: WebSocket.RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data))

/** `ws` connects directly unless given an agent: with a proxy set, one that tunnels (wss:) or forwards (ws:) through it. */
export function websocketAgent(url: string, proxyEnv: NodeJS.ProcessEnv | undefined): {agent?: HttpAgent} {
  if (!proxyEnv) return {}
  const options = {proxyEnv} as AgentOptions // proxyEnv: Node 22.21+/24.5+, not yet in @types/node
  return {agent: url.startsWith('wss:') ? new HttpsAgent(options) : new HttpAgent(options)}
}
