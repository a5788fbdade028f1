/**
 * Session Manager data-channel messages: the binary frame both sides exchange after the websocket opens.
 * Big-endian header of 116 bytes (+4 for the payload length), payload at byte 120, SHA-256 of the payload
 * in the header. The message id is a UUID stored with its low 8 bytes first, then its high 8 bytes.
 */
import {hash, randomFillSync} from 'node:crypto'

import {compareVersions, parseVersion} from '../platform/version.js'

export const HEADER_LENGTH = 116
export const PAYLOAD_OFFSET = HEADER_LENGTH + 4
const TYPE_OFFSET = 4
const TYPE_LENGTH = 32
const SCHEMA_OFFSET = 36
const DATE_OFFSET = 40
const SEQ_OFFSET = 48
const FLAGS_OFFSET = 56
const ID_OFFSET = 64
const DIGEST_OFFSET = 80
const PAYLOAD_TYPE_OFFSET = 112
const PAYLOAD_LENGTH_OFFSET = 116

export const MessageType = {
  input: 'input_stream_data',
  output: 'output_stream_data',
  acknowledge: 'acknowledge',
  channelClosed: 'channel_closed',
  startPublication: 'start_publication',
  pausePublication: 'pause_publication',
} as const

export const PayloadType = {
  output: 1,
  error: 2,
  size: 3,
  parameter: 4,
  handshakeRequest: 5,
  handshakeResponse: 6,
  handshakeComplete: 7,
  encChallengeRequest: 8,
  encChallengeResponse: 9,
  flag: 10,
  stdErr: 11,
  exitCode: 12,
} as const

export const Flag = {disconnectToPort: 1, terminateSession: 2, connectToPortError: 3} as const

export interface ClientMessage {
  messageType: string
  schemaVersion: number
  /** epoch milliseconds */
  createdDate: number
  sequenceNumber: number
  flags: number
  /** canonical lower-case UUID text */
  messageId: string
  payloadType: number
  payload: Buffer
}

export class FrameError extends Error {
  override name = 'FrameError'
}

/** UUID text → the 16 wire bytes: bytes 8..15 of the UUID, then bytes 0..7. */
export function uuidToWire(id: string): Buffer {
  const hex = id.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new FrameError(`not a UUID: ${id}`)
  const raw = Buffer.from(hex, 'hex')
  return Buffer.concat([raw.subarray(8, 16), raw.subarray(0, 8)])
}

export function uuidFromWire(wire: Buffer): string {
  const hex = wire.toString('hex', 8, 16) + wire.toString('hex', 0, 8)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** A random (version 4) UUID written straight in wire order: the low half (variant byte first) then the high half. */
const pool = Buffer.alloc(4096)
let poolOffset = pool.length
function randomVersion4(wire: Buffer): void {
  // one getrandom call per 256 ids
  if (poolOffset >= pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  pool.copy(wire, 0, poolOffset, (poolOffset += 16))
  wire[0] = (wire[0] & 0x3f) | 0x80 // UUID byte 8: variant
  wire[14] = (wire[14] & 0x0f) | 0x40 // UUID byte 6: version
}

export const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer')

/** The digest as 32 latin1 ('binary') characters: a string on V8's heap rather than a new Buffer per message (about half the time). */
const sha256Latin1 = (data: Buffer): string => hash('sha256', data, 'binary')

/** Bytes rendered once per message type: a few types carry nearly every frame; odd ones are rendered, not kept. */
function perType(render: (messageType: string) => Buffer): (messageType: string) => Buffer {
  const rendered = new Map<string, Buffer>()
  return (messageType) => {
    let bytes = rendered.get(messageType)
    if (!bytes) {
      bytes = render(messageType)
      if (rendered.size < 64) rendered.set(messageType, bytes)
    }
    return bytes
  }
}

/** The 32-byte, space-padded message-type field of each type. */
const typeField = perType((messageType) => {
  if (Buffer.byteLength(messageType, 'ascii') > TYPE_LENGTH) throw new FrameError(`message type too long: ${messageType}`)
  const field = Buffer.alloc(TYPE_LENGTH, 0x20)
  field.write(messageType, 0, 'ascii')
  return field
})

/** Writes a non-negative integer below 2^53 as 8 big-endian bytes without a BigInt. */
function writeUInt64(out: Buffer, value: number, offset: number): void {
  out.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset)
  out.writeUInt32BE(value >>> 0, offset + 4)
}

const readUInt64 = (frame: Buffer, offset: number): number => frame.readUInt32BE(offset) * 0x1_0000_0000 + frame.readUInt32BE(offset + 4)

export type MessageInit = Partial<ClientMessage> &
  Pick<ClientMessage, 'messageType'> & {
    /** written just before the payload, as part of it (an smux header): saves building the two in one buffer first */
    prefix?: Buffer
  }

/** The bytes a message of this payload length takes on the wire. */
export const frameLength = (payloadLength: number): number => PAYLOAD_OFFSET + payloadLength

/**
 * Builds the wire bytes of a message; missing fields get defaults (schema 1, now, a random id, empty payload).
 * `out`, when given, is a buffer of at least frameLength(payload.length) bytes to build the frame in (a reused
 * one: no allocation per message); the frame is then a view of its start.
 */
export function encodeMessage(init: MessageInit, out?: Buffer): Buffer {
  const payload = init.payload ?? EMPTY
  const prefix = init.prefix ?? EMPTY
  const frame = writeFrameHeader(init, prefix.length + payload.length, out)
  prefix.copy(frame, PAYLOAD_OFFSET)
  payload.copy(frame, PAYLOAD_OFFSET + prefix.length)
  writeDigest(frame, prefix.length > 0 ? frame.subarray(PAYLOAD_OFFSET) : payload)
  return frame
}

/** A frame for a payload of `payloadLength` bytes (in `out` when given) with every header field but the digest written. */
function writeFrameHeader(init: Omit<MessageInit, 'payload' | 'prefix'>, payloadLength: number, out?: Buffer): Buffer {
  const length = frameLength(payloadLength)
  const frame = out ? out.subarray(0, length) : Buffer.allocUnsafe(length)
  frame.writeUInt32BE(HEADER_LENGTH, 0)
  typeField(init.messageType).copy(frame, TYPE_OFFSET)
  frame.writeUInt32BE(init.schemaVersion ?? 1, SCHEMA_OFFSET)
  writeUInt64(frame, init.createdDate ?? Date.now(), DATE_OFFSET)
  const seq = init.sequenceNumber ?? 0
  frame.writeInt32BE(Math.floor(seq / 0x1_0000_0000), SEQ_OFFSET)
  frame.writeUInt32BE(seq >>> 0, SEQ_OFFSET + 4)
  writeUInt64(frame, init.flags ?? 0, FLAGS_OFFSET)
  if (init.messageId) uuidToWire(init.messageId).copy(frame, ID_OFFSET)
  else randomVersion4(frame.subarray(ID_OFFSET, ID_OFFSET + 16))
  frame.writeUInt32BE(init.payloadType ?? 0, PAYLOAD_TYPE_OFFSET)
  frame.writeUInt32BE(payloadLength, PAYLOAD_LENGTH_OFFSET)
  return frame
}

/** Writes the digest of `payload` (the frame's payload, or the same bytes elsewhere) into the frame's header. */
const writeDigest = (frame: Buffer, payload: Buffer): void => void frame.write(sha256Latin1(payload), DIGEST_OFFSET, 32, 'latin1')

const EMPTY = Buffer.alloc(0)
/** The types of nearly every frame, by their first letter (each starts with another) */
const FREQUENT: Array<string | undefined> = []
for (const type of [MessageType.output, MessageType.acknowledge, MessageType.input]) FREQUENT[type.charCodeAt(0)] = type

/** The message type as sent: space- (or NUL-) padded ASCII, trimmed; the types of nearly every frame without a new string. */
function readType(frame: Buffer): string {
  const known = FREQUENT[frame[TYPE_OFFSET]]
  if (known && frame.compare(typeField(known), 0, TYPE_LENGTH, TYPE_OFFSET, TYPE_OFFSET + TYPE_LENGTH) === 0) return known
  let end = TYPE_OFFSET + TYPE_LENGTH
  while (
    end > TYPE_OFFSET &&
    (frame[end - 1] === 0x20 || frame[end - 1] === 0 || frame[end - 1] === 0x09 || frame[end - 1] === 0x0a || frame[end - 1] === 0x0d)
  )
    end--
  let start = TYPE_OFFSET
  while (start < end && (frame[start] === 0x20 || frame[start] === 0 || frame[start] === 0x09 || frame[start] === 0x0a || frame[start] === 0x0d)) start++
  return frame.toString('latin1', start, end)
}

/**
 * A decoded frame. The message id's text is made only when asked for: nearly every message is only acknowledged,
 * and the acknowledgement writes the id straight from the frame's bytes (encodeAck).
 */
class DecodedMessage implements ClientMessage {
  #messageId?: string

  constructor(
    /** the frame it was decoded from: the message id's 16 wire bytes are at ID_OFFSET */
    readonly frame: Buffer,
    public messageType: string,
    public schemaVersion: number,
    public createdDate: number,
    public sequenceNumber: number,
    public flags: number,
    public payloadType: number,
    public payload: Buffer,
  ) {}

  get messageId(): string {
    return (this.#messageId ??= uuidFromWire(this.frame.subarray(ID_OFFSET, ID_OFFSET + 16)))
  }
}

/**
 * Parses and validates a frame: header length, a message type, a creation date, and (for a non-empty
 * payload) the SHA-256 digest. start/pause_publication are accepted as they come, like the plugin does.
 * The payload is a view of the frame (no copy).
 */
export function decodeMessage(frame: Buffer): ClientMessage {
  if (frame.length < PAYLOAD_OFFSET) throw new FrameError(`frame of ${frame.length} bytes is shorter than the header`)
  const headerLength = frame.readUInt32BE(0)
  const messageType = readType(frame)
  const payloadLength = frame.readUInt32BE(PAYLOAD_LENGTH_OFFSET)
  const start = headerLength + 4
  if (headerLength < PAYLOAD_LENGTH_OFFSET || start > frame.length) throw new FrameError(`bad header length ${headerLength}`)
  const payload = frame.subarray(start)
  const message = new DecodedMessage(
    frame,
    messageType,
    frame.readUInt32BE(SCHEMA_OFFSET),
    readUInt64(frame, DATE_OFFSET),
    frame.readInt32BE(SEQ_OFFSET) * 0x1_0000_0000 + frame.readUInt32BE(SEQ_OFFSET + 4),
    readUInt64(frame, FLAGS_OFFSET),
    frame.readUInt32BE(PAYLOAD_TYPE_OFFSET),
    payload,
  )
  if (messageType === MessageType.startPublication || messageType === MessageType.pausePublication) return message
  if (!messageType) throw new FrameError('message type missing')
  if (message.createdDate === 0) throw new FrameError('created date missing')
  if (payloadLength !== payload.length) throw new FrameError(`payload length ${payloadLength} does not match the ${payload.length} bytes received`)
  if (payloadLength > 0 && sha256Latin1(payload) !== frame.toString('latin1', DIGEST_OFFSET, DIGEST_OFFSET + 32))
    throw new FrameError('payload digest does not match')
  return message
}

/** A plain copy of a message that holds no part of the frame it came in (its payload copied). */
export function detached(m: ClientMessage): ClientMessage {
  const {messageType, schemaVersion, createdDate, sequenceNumber, flags, messageId, payloadType} = m
  return {messageType, schemaVersion, createdDate, sequenceNumber, flags, messageId, payloadType, payload: Buffer.from(m.payload)}
}

export interface AcknowledgeContent {
  AcknowledgedMessageType: string
  AcknowledgedMessageId: string
  AcknowledgedMessageSequenceNumber: number
  IsSequentialMessage: boolean
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1')

/** Writes the UUID's canonical text (36 bytes) from its 16 wire bytes (low half first, at `from`) into `out` at `at`. */
function writeUuidText(wire: Buffer, from: number, out: Buffer, at: number): number {
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out[at++] = 0x2d
    const b = wire[from + (i < 8 ? i + 8 : i - 8)]
    out[at++] = HEX_DIGITS[b >> 4]
    out[at++] = HEX_DIGITS[b & 15]
  }
  return at
}

/** `{"AcknowledgedMessageType":<type>,"AcknowledgedMessageId":"` of each type. */
const ackHead = perType((messageType) => Buffer.from(`{"AcknowledgedMessageType":${JSON.stringify(messageType)},"AcknowledgedMessageId":"`))
const ACK_SEQUENCE = Buffer.from('"AcknowledgedMessageSequenceNumber":')
const ACK_MIDDLE = Buffer.concat([Buffer.from('",'), ACK_SEQUENCE])
const ACK_TAIL = Buffer.from(',"IsSequentialMessage":true}')

const ACK = {messageType: MessageType.acknowledge, sequenceNumber: 0, flags: 3}

/**
 * The acknowledgement of a data message: type acknowledge, sequence 0, flags 3, and the JSON of AcknowledgeContent,
 * written byte by byte into the frame (the id straight from a decoded frame's bytes).
 */
export function encodeAck(of: Pick<ClientMessage, 'messageType' | 'messageId' | 'sequenceNumber'>): Buffer {
  const head = ackHead(of.messageType)
  const seq = String(of.sequenceNumber)
  const frame = writeFrameHeader(ACK, head.length + 36 + ACK_MIDDLE.length + seq.length + ACK_TAIL.length)
  let at = PAYLOAD_OFFSET + head.copy(frame, PAYLOAD_OFFSET)
  at = of instanceof DecodedMessage ? writeUuidText(of.frame, ID_OFFSET, frame, at) : writeUuidText(uuidToWire(of.messageId), 0, frame, at)
  at += ACK_MIDDLE.copy(frame, at)
  at += frame.write(seq, at, 'latin1')
  ACK_TAIL.copy(frame, at)
  writeDigest(frame, frame.subarray(PAYLOAD_OFFSET))
  return frame
}

/** The sequence number an acknowledgement's payload names, or undefined: read off the bytes, the JSON parsed only when they are unusual. */
export function ackedSequence(payload: Buffer): number | undefined {
  const at = payload.indexOf(ACK_SEQUENCE)
  if (at >= 0) {
    let i = at + ACK_SEQUENCE.length
    let n = 0
    const first = i
    for (; i < payload.length && i - first < 16 && payload[i] >= 0x30 && payload[i] <= 0x39; i++) n = n * 10 + payload[i] - 0x30
    if (i > first && i - first < 16 && (payload[i] === 0x2c || payload[i] === 0x7d)) return n
  }
  try {
    const n = Number(JSON.parse(payload.toString('utf8')).AcknowledgedMessageSequenceNumber)
    return Number.isSafeInteger(n) ? n : undefined
  } catch {
    return undefined
  }
}

export const flagPayload = (flag: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(flag)
  return b
}

/** True when the agent's version is strictly newer than `after` (the plugin's feature gates). */
export function agentNewerThan(agentVersion: string | undefined, after: string): boolean {
  const v = parseVersion(agentVersion ?? '')
  return v !== undefined && compareVersions(v, parseVersion(after)!) > 0
}
