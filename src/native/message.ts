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
  const hex = Buffer.concat([wire.subarray(8, 16), wire.subarray(0, 8)]).toString('hex')
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

export type MessageInit = Partial<ClientMessage> & Pick<ClientMessage, 'messageType'>

/** Builds the wire bytes of a message; missing fields get defaults (schema 1, now, a random id, empty payload). */
export function encodeMessage(init: MessageInit): Buffer {
  const payload = init.payload ?? Buffer.alloc(0)
  if (Buffer.byteLength(init.messageType, 'ascii') > TYPE_LENGTH) throw new FrameError(`message type too long: ${init.messageType}`)
  const out = Buffer.alloc(PAYLOAD_OFFSET + payload.length)
  out.writeUInt32BE(HEADER_LENGTH, 0)
  out.fill(0x20, TYPE_OFFSET, TYPE_OFFSET + TYPE_LENGTH)
  out.write(init.messageType, TYPE_OFFSET, 'ascii')
  out.writeUInt32BE(init.schemaVersion ?? 1, SCHEMA_OFFSET)
  out.writeBigUInt64BE(BigInt(init.createdDate ?? Date.now()), DATE_OFFSET)
  out.writeBigInt64BE(BigInt(init.sequenceNumber ?? 0), SEQ_OFFSET)
  out.writeBigUInt64BE(BigInt(init.flags ?? 0), FLAGS_OFFSET)
  if (init.messageId) uuidToWire(init.messageId).copy(out, ID_OFFSET)
  else randomVersion4(out.subarray(ID_OFFSET, ID_OFFSET + 16))
  sha256(payload).copy(out, DIGEST_OFFSET)
  out.writeUInt32BE(init.payloadType ?? 0, PAYLOAD_TYPE_OFFSET)
  out.writeUInt32BE(payload.length, PAYLOAD_LENGTH_OFFSET)
  payload.copy(out, PAYLOAD_OFFSET)
  return out
}

/**
 * Parses and validates a frame: header length, a message type, a creation date, and (for a non-empty
 * payload) the SHA-256 digest. start/pause_publication are accepted as they come, like the plugin does.
 */
export function decodeMessage(frame: Buffer): ClientMessage {
  if (frame.length < PAYLOAD_OFFSET) throw new FrameError(`frame of ${frame.length} bytes is shorter than the header`)
  const headerLength = frame.readUInt32BE(0)
  const messageType = frame
    .subarray(TYPE_OFFSET, TYPE_OFFSET + TYPE_LENGTH)
    .toString('ascii')
    .replace(/^[\0\s]+|[\0\s]+$/g, '')
  const payloadLength = frame.readUInt32BE(PAYLOAD_LENGTH_OFFSET)
  const start = headerLength + 4
  if (headerLength < PAYLOAD_LENGTH_OFFSET || start > frame.length) throw new FrameError(`bad header length ${headerLength}`)
  const payload = frame.subarray(start)
  const message: ClientMessage = {
    messageType,
    schemaVersion: frame.readUInt32BE(SCHEMA_OFFSET),
    createdDate: Number(frame.readBigUInt64BE(DATE_OFFSET)),
    sequenceNumber: Number(frame.readBigInt64BE(SEQ_OFFSET)),
    flags: Number(frame.readBigUInt64BE(FLAGS_OFFSET)),
    messageId: uuidFromWire(frame.subarray(ID_OFFSET, ID_OFFSET + 16)),
    payloadType: frame.readUInt32BE(PAYLOAD_TYPE_OFFSET),
    payload,
  }
  if (messageType === MessageType.startPublication || messageType === MessageType.pausePublication) return message
  if (!messageType) throw new FrameError('message type missing')
  if (message.createdDate === 0) throw new FrameError('created date missing')
  if (payloadLength !== payload.length) throw new FrameError(`payload length ${payloadLength} does not match the ${payload.length} bytes received`)
  if (payloadLength > 0 && !sha256(payload).equals(frame.subarray(DIGEST_OFFSET, DIGEST_OFFSET + 32))) throw new FrameError('payload digest does not match')
  return message
}

export interface AcknowledgeContent {
  AcknowledgedMessageType: string
  AcknowledgedMessageId: string
  AcknowledgedMessageSequenceNumber: number
  IsSequentialMessage: boolean
}

/** The acknowledgement of a data message: type acknowledge, sequence 0, flags 3, JSON payload. */
export function encodeAck(of: Pick<ClientMessage, 'messageType' | 'messageId' | 'sequenceNumber'>): Buffer {
  const content: AcknowledgeContent = {
    AcknowledgedMessageType: of.messageType,
    AcknowledgedMessageId: of.messageId,
    AcknowledgedMessageSequenceNumber: of.sequenceNumber,
    IsSequentialMessage: true,
  }
  return encodeMessage({messageType: MessageType.acknowledge, sequenceNumber: 0, flags: 3, payload: Buffer.from(JSON.stringify(content))})
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
