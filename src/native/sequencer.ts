/**
 * Sequencing, acknowledgements and retransmission of data messages, apart from the websocket that carries them.
 *
 * Outgoing: each data message gets the next sequence number and stays here until the agent acknowledges it; at
 * most a congestion window of them is in flight (grown per acknowledgement, halved on a timeout, like TCP's), and
 * one not acknowledged within the adaptive timeout (smoothed round-trip time, like TCP's RTO) is sent again.
 * What is queued is bounded in messages and bytes: producers wait on room() (back-pressure to the local socket).
 * Frames are built in reused buffers: a frame acknowledged after its only transmission goes back to a pool.
 *
 * Incoming: every data message is acknowledged; in-order ones are delivered, early ones kept (copied, and at most
 * INCOMING_CAPACITY of them), repeats dropped.
 */
import {EventEmitter} from 'node:events'

import {type ClientMessage, MessageType, detached, encodeAck, encodeMessage, frameLength} from './message.js'

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
}

/** Outgoing messages not yet acknowledged above which producers should wait for room(). */
export const HIGH_WATER = 1024
/** …and the bytes they may hold (frames included) */
export const HIGH_WATER_BYTES = 1024 * 1024
const LOW_WATER = 256
/**
 * Early (out-of-order) messages kept, as many as the plugin keeps: after a loss the agent goes on sending its
 * whole window, and what does not fit is resent slowly. Each is a copy of about 1 KiB: 11 MiB at most, and only
 * while a lost message is outstanding. Beyond it they are not acknowledged and the agent sends them again.
 */
export const INCOMING_CAPACITY = 10_000
/** delivered messages waiting for a slow local reader; beyond it new ones are left unacknowledged */
export const READY_CAPACITY = 1024
/** frames up to this size are built in pooled buffers: a 1 KiB payload, an smux header, AES-GCM's 28 bytes */
const SLOT = 1280

/** An outgoing message until the agent acknowledges it. The records are reused (OutgoingRing): none is garbage per message. */
export interface Pending {
  /** the sequence number, or -1 while the record is free */
  seq: number
  /** the frame is the first `length` bytes of this: a pooled slot, or a buffer of its own when it did not fit one */
  buffer: Buffer
  length: number
  pooled: boolean
  sentAt: number
  resends: number
}

/**
 * The unacknowledged outgoing messages, by sequence number, in a ring of reused records (a power of two long,
 * doubled when the oldest unacknowledged message is that far behind the newest). Walking it from `head` visits
 * them in sequence order, as retransmission needs.
 */
export class OutgoingRing {
  private ring: Pending[] = []
  private mask = -1
  /** the oldest sequence number that may still be outgoing */
  head = 0
  size = 0

  constructor(capacity: number) {
    this.resize(capacity)
  }

  get(seq: number): Pending | undefined {
    const p = this.ring[seq & this.mask]
    return p.seq === seq ? p : undefined
  }

  /** The outgoing records from the oldest up to (not including) `next`, in sequence order (for retransmission). */
  *inOrder(next: number): Generator<Pending> {
    for (let seq = this.head; seq < next; seq++) {
      const p = this.get(seq)
      if (p) yield p
    }
  }

  /** Records `seq`, the newest sequence number, as queued and not yet sent. */
  add(seq: number, buffer: Buffer, length: number, pooled: boolean): Pending {
    if (this.size === 0) this.head = seq
    if (seq - this.head >= this.ring.length) this.resize(this.ring.length * 2)
    const p = this.ring[seq & this.mask]
    p.seq = seq
    p.buffer = buffer
    p.length = length
    p.pooled = pooled
    p.sentAt = 0
    p.resends = 0
    this.size++
    return p
  }

  /** Frees a record; `next` is the sequence number after the newest. */
  free(p: Pending, next: number): void {
    p.seq = -1
    p.buffer = EMPTY
    this.size--
    if (this.size === 0) this.head = next
    else while (this.ring[this.head & this.mask].seq !== this.head) this.head++
  }

  clear(next: number): void {
    for (const p of this.ring) {
      p.seq = -1
      p.buffer = EMPTY
    }
    this.size = 0
    this.head = next
  }

  private resize(capacity: number): void {
    const old = this.ring
    this.ring = Array.from({length: capacity}, () => ({seq: -1, buffer: EMPTY, length: 0, pooled: false, sentAt: 0, resends: 0}))
    this.mask = capacity - 1
    for (const p of old) if (p.seq >= 0) this.ring[p.seq & this.mask] = p
  }
}

const EMPTY = Buffer.alloc(0)
const view = (p: Pending): Buffer => p.buffer.subarray(0, p.length)

/** Reused frame buffers, carved from slabs of 64. */
class FramePool {
  private readonly free: Buffer[] = []

  take(length: number): Buffer | undefined {
    if (length > SLOT) return undefined
    if (this.free.length === 0) {
      const slab = Buffer.allocUnsafeSlow(SLOT * 64)
      for (let i = 0; i < 64; i++) this.free.push(slab.subarray(i * SLOT, (i + 1) * SLOT))
    }
    return this.free.pop()
  }

  give(slot: Buffer): void {
    if (this.free.length < HIGH_WATER) this.free.push(slot)
  }
}

/** What the sequencer needs of the transport. */
export interface Wire {
  readonly connected: boolean
  send(frame: Buffer): boolean
}

/**
 * Events: 'drain' when the outgoing backlog falls low again (and when it is empty), 'empty' when every message
 * sent is acknowledged, 'error' (Error) when a message is never acknowledged.
 */
export class Sequencer extends EventEmitter {
  private nextSeq = 0
  /** the first sequence number never transmitted */
  private nextToSend = 0
  private inFlight = 0
  private queuedBytes = 0
  /** congestion window (messages in flight), grown per acknowledgement, halved on a timeout like TCP's */
  private cwnd = TIMING.initialWindow
  private ssthresh = HIGH_WATER
  private readonly outgoing = new OutgoingRing(HIGH_WATER)
  private readonly pool = new FramePool()
  private expectedSeq = 0
  private readonly early = new Map<number, ClientMessage>()
  private rtt = TIMING.initialRtt
  private rttVar = 0
  rto = TIMING.initialRto
  paused = false
  private stopped = false
  readonly stats = {received: 0, duplicates: 0, corrupt: 0, resent: 0}

  constructor(
    private readonly wire: Wire,
    /** true while what was delivered is still waiting to be handled: new messages are then left unacknowledged */
    private readonly backedUp: () => boolean = () => false,
  ) {
    super()
  }

  /** Unacknowledged (or not yet sent) outgoing messages. */
  get backlog(): number {
    return this.outgoing.size
  }

  /** True while producers should wait: too many messages or bytes queued. */
  get full(): boolean {
    return this.outgoing.size >= HIGH_WATER || this.queuedBytes >= HIGH_WATER_BYTES
  }

  /** Numbers, frames and queues one input_stream_data message, then sends what the window allows. */
  push(payloadType: number, payload: Buffer, prefix?: Buffer): void {
    if (this.stopped) return
    const seq = this.nextSeq++
    const slot = this.pool.take(frameLength(payload.length + (prefix?.length ?? 0)))
    const frame = encodeMessage({messageType: MessageType.input, sequenceNumber: seq, payloadType, payload, prefix}, slot)
    this.outgoing.add(seq, slot ?? frame, frame.length, slot !== undefined)
    this.queuedBytes += frame.length
    this.sendNew()
  }

  /** Transmits queued messages while fewer than the congestion window are in flight. */
  sendNew(): void {
    if (!this.wire.connected || this.paused) return
    const now = performance.now()
    while (this.nextToSend < this.nextSeq && this.inFlight < Math.floor(this.cwnd)) {
      const p = this.outgoing.get(this.nextToSend++)
      if (!p) continue
      p.sentAt = now
      this.inFlight++
      this.wire.send(view(p))
    }
  }

  /** After a reconnect or a pause: everything in flight goes again, then what is queued. */
  resendAll(): void {
    if (this.paused) return
    const now = performance.now()
    for (const p of this.outgoing.inOrder(this.nextSeq)) {
      if (p.sentAt === 0) break
      p.resends++
      p.sentAt = now
      this.wire.send(view(p))
    }
    this.sendNew()
  }

  /** Resends what has waited longer than the RTO (called every TIMING.resendTick). */
  resendDue(): void {
    if (!this.wire.connected || this.paused) return
    const now = performance.now()
    let timedOut = false
    for (const p of this.outgoing.inOrder(this.nextSeq)) {
      if (p.sentAt === 0) break
      if (now - p.sentAt <= this.rto) continue
      if (++p.resends > TIMING.maxResends) {
        this.emit('error', new Error(`message ${p.seq} was not acknowledged after ${TIMING.maxResends} resends`))
        return
      }
      this.stats.resent++
      timedOut = true
      p.sentAt = now
      this.wire.send(view(p))
    }
    if (timedOut) {
      // back off: fewer messages in flight, a longer timeout
      this.ssthresh = Math.max(TIMING.minWindow, this.cwnd / 2)
      this.cwnd = this.ssthresh
      this.rto = Math.min(this.rto * 2, TIMING.maxRto)
    }
  }

  /** The agent acknowledged message `seq`. */
  acknowledged(seq: number): void {
    const p = this.outgoing.get(seq)
    if (!p) return
    const {sentAt, resends} = p
    this.queuedBytes -= p.length
    // sent once and acknowledged: the write is long done, the buffer can be reused (a resent frame may still be queued)
    if (p.pooled && resends === 0) this.pool.give(p.buffer)
    this.outgoing.free(p, this.nextSeq)
    if (sentAt > 0) {
      this.inFlight--
      // Karn: only first transmissions measure the round trip
      if (resends === 0) this.updateRto(performance.now() - sentAt)
      this.cwnd = Math.min(HIGH_WATER, this.cwnd + (this.cwnd < this.ssthresh ? 1 : 1 / this.cwnd))
      this.sendNew()
    }
    if (this.outgoing.size === LOW_WATER) this.emit('drain')
    if (this.outgoing.size === 0) {
      this.emit('drain')
      this.emit('empty')
    }
  }

  private updateRto(sample: number): void {
    this.rttVar = 0.75 * this.rttVar + 0.25 * Math.abs(this.rtt - sample)
    this.rtt = 0.875 * this.rtt + 0.125 * sample
    this.rto = Math.min(Math.max(this.rtt + Math.max(TIMING.granularity, 4 * this.rttVar), TIMING.minRto), TIMING.maxRto)
  }

  /**
   * A data message from the agent: acknowledged, and handed to `deliver` with every message it makes
   * deliverable in order. A repeat is acknowledged again (our acknowledgement may have been lost) and dropped.
   */
  received(message: ClientMessage, deliver: (m: ClientMessage) => void): void {
    const seq = message.sequenceNumber
    if (seq < this.expectedSeq || this.early.has(seq)) {
      this.stats.duplicates++
      this.wire.send(encodeAck(message))
      return
    }
    // no room: not acknowledged, so the agent sends it again later (the plugin does the same with a full buffer)
    if (this.backedUp()) return
    if (seq > this.expectedSeq) {
      if (this.early.size >= INCOMING_CAPACITY) return
      // a copy: the payload is a view of the websocket's read buffer, which it would otherwise keep alive
      this.early.set(seq, detached(message))
      this.wire.send(encodeAck(message))
      return
    }
    this.wire.send(encodeAck(message))
    this.stats.received++
    this.expectedSeq++
    deliver(message)
    for (let next = this.early.get(this.expectedSeq); next; next = this.early.get(this.expectedSeq)) {
      this.early.delete(this.expectedSeq)
      this.stats.received++
      this.expectedSeq++
      deliver(next)
    }
  }

  stop(): void {
    this.stopped = true
    this.outgoing.clear(this.nextSeq)
    this.early.clear()
    this.queuedBytes = 0
  }
}
