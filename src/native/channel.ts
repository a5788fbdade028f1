/**
 * The data channel: a websocket to the session's StreamUrl (transport.ts, which also reopens it with a fresh
 * token from ResumeSession) carrying numbered data messages both ways (sequencer.ts: acknowledgements, order,
 * retransmission, the send window), and, once the session is encrypted, the session cipher. After a reconnect
 * both sides resend what the other has not acknowledged, so no byte is lost or duplicated.
 */
import {EventEmitter} from 'node:events'

import type {SessionCipher} from './crypto.js'
import {type ClientMessage, FrameError, MessageType, PayloadType, ackedSequence, decodeMessage} from './message.js'
import {READY_CAPACITY, Sequencer, TIMING} from './sequencer.js'
import {ChannelError, Transport, type TransportOptions} from './transport.js'

export {HIGH_WATER, HIGH_WATER_BYTES, TIMING} from './sequencer.js'
export {CLIENT_VERSION, ChannelError, type Credentials, corkTick, websocketAgent} from './transport.js'

/** A channel is opened with exactly what its transport needs. */
export type ChannelOptions = TransportOptions

export type DataHandler = (message: ClientMessage) => void | Promise<void>

/** Payload types the agent encrypts once the session is encrypted. */
const ENCRYPTED = new Set<number>([PayloadType.output, PayloadType.stdErr, PayloadType.exitCode])

/**
 * Events: 'closed' (output: string) when the agent closes the channel; 'error' (Error) when it cannot go on;
 * 'drain' when the unacknowledged backlog falls low again; 'reconnected'; 'ended' once closed.
 */
export class DataChannel extends EventEmitter {
  cipher?: SessionCipher
  private readonly transport: Transport
  private readonly sequencer: Sequencer
  private readonly ready: ClientMessage[] = []
  private readyHead = 0
  private pumping = false
  private closeOutput?: string
  private ended = false
  private opened = false
  private resendTimer?: NodeJS.Timeout
  private handler: DataHandler = () => {}

  constructor(private readonly options: ChannelOptions) {
    super()
    this.transport = new Transport(options)
    this.sequencer = new Sequencer(this.transport, () => this.ready.length - this.readyHead >= READY_CAPACITY)
    this.transport.on('frame', (frame: Buffer) => this.receive(frame))
    this.transport.on('connected', () => {
      // whatever the agent has not acknowledged goes again on the new connection
      this.sequencer.resendAll()
      if (this.opened) this.emit('reconnected')
    })
    this.transport.on('gone', (output: string) => this.emit('closed', output))
    this.transport.on('error', (error: Error) => this.emit('error', error))
    this.sequencer.on('drain', () => this.emit('drain'))
    this.sequencer.on('error', (error: Error) => {
      this.emit('error', new ChannelError(error.message))
      this.close()
    })
  }

  get rto(): number {
    return this.sequencer.rto
  }

  get stats() {
    return {...this.sequencer.stats, reconnects: this.transport.reconnects}
  }

  /** Receives every data message in order (decrypted); the next is delivered when the returned promise settles. */
  onData(handler: DataHandler): void {
    this.handler = handler
  }

  /** Opens the websocket and sends the OpenDataChannel message; rejects after openTimeoutMs. */
  async open(): Promise<void> {
    await this.transport.open()
    this.opened = true
    this.resendTimer = setInterval(() => this.sequencer.resendDue(), TIMING.resendTick)
    this.resendTimer.unref()
  }

  /** Unacknowledged outgoing messages. */
  get backlog(): number {
    return this.sequencer.backlog
  }

  /** True while producers should wait for room(): too many messages or bytes unacknowledged. */
  get full(): boolean {
    return this.sequencer.full
  }

  /**
   * Sends one input_stream_data message of `prefix` (an smux header, say) then `data`; Output payloads are
   * encrypted once the session is. Both are copied before this returns: the caller may reuse them.
   */
  send(payloadType: number, data: Buffer, prefix?: Buffer): void {
    if (this.ended) return
    if (this.cipher && payloadType === PayloadType.output) this.sequencer.push(payloadType, this.cipher.encrypt(prefix ? Buffer.concat([prefix, data]) : data))
    else this.sequencer.push(payloadType, data, prefix)
  }

  /** Resolves at once while there is room to send, else when the backlog has drained (or the channel ended). */
  room(): Promise<void> {
    if (!this.sequencer.full || this.ended) return Promise.resolve()
    return firstEvent(this, ['drain', 'ended'])
  }

  /** Resolves when every message sent so far is acknowledged, the channel ends, or `timeoutMs` passes. */
  async flushed(timeoutMs = 5000): Promise<void> {
    if (this.sequencer.backlog === 0 || this.ended) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([firstEvent(this.sequencer, ['empty', 'stopped']), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))])
    clearTimeout(timer)
  }

  close(): void {
    if (this.ended) return
    this.ended = true
    clearInterval(this.resendTimer)
    this.transport.close()
    this.sequencer.stop()
    this.sequencer.emit('stopped')
    this.emit('ended')
  }

  private receive(frame: Buffer): void {
    let message: ClientMessage
    try {
      message = decodeMessage(frame)
    } catch (error) {
      if (!(error instanceof FrameError)) throw error
      // not acknowledged: the agent sends it again
      this.sequencer.stats.corrupt++
      this.options.debug?.(`dropped a bad frame: ${error.message}`)
      return
    }
    switch (message.messageType) {
      case MessageType.output:
        this.sequencer.received(message, this.deliver)
        return
      case MessageType.acknowledge: {
        const seq = ackedSequence(message.payload)
        if (seq !== undefined) this.sequencer.acknowledged(seq)
        return
      }
      case MessageType.channelClosed:
        return this.agentClosed(message)
      case MessageType.pausePublication:
        this.sequencer.paused = true
        return
      case MessageType.startPublication:
        if (this.sequencer.paused) {
          this.sequencer.paused = false
          this.sequencer.resendAll()
        }
        return
      default:
        this.options.debug?.(`ignored a message of type ${message.messageType}`)
    }
  }

  private readonly deliver = (message: ClientMessage): void => {
    this.ready.push(message)
    if (!this.pumping) void this.pump()
  }

  private agentClosed(message: ClientMessage): void {
    let output = ''
    try {
      output = String(JSON.parse(message.payload.toString('utf8')).Output ?? '')
    } catch {}
    // what arrived before it is delivered first; after it the service hangs up: nothing to resume
    this.closeOutput = output
    this.transport.settle()
    void this.pump()
  }

  /** Hands the ready messages to the handler one at a time, decrypted. */
  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (this.readyHead < this.ready.length && !this.ended) {
        const message = this.ready[this.readyHead++]
        if (this.readyHead > 1024) {
          this.ready.splice(0, this.readyHead)
          this.readyHead = 0
        }
        if (!this.decrypt(message)) return
        try {
          const pending = this.handler(message)
          if (pending) await pending
        } catch (error) {
          this.emit('error', error)
          return
        }
      }
      this.ready.length = 0
      this.readyHead = 0
    } finally {
      this.pumping = false
    }
    if (this.closeOutput !== undefined && !this.ended) this.emit('closed', this.closeOutput)
  }

  private decrypt(message: ClientMessage): boolean {
    if (!this.cipher || !ENCRYPTED.has(message.payloadType)) return true
    try {
      message.payload = this.cipher.decrypt(message.payload)
      return true
    } catch {
      this.emit('error', new ChannelError(`cannot decrypt message ${message.sequenceNumber} from the agent`))
      return false
    }
  }
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
