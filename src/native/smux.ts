/**
 * The client side of smux protocol version 1 (github.com/xtaci/smux), which the SSM agent uses to carry
 * many TCP connections over one port-forwarding session. A frame is an 8-byte header — version (1),
 * command, data length (uint16 little-endian), stream id (uint32 little-endian) — then the data.
 * Commands: SYN opens a stream, FIN ends the sender's half, PSH carries data, NOP keeps the session alive.
 * Version 1 has no per-stream window: flow control is left to the carrier (here, the data channel).
 * Client stream ids are odd and start at 3.
 */
export const SMUX_VERSION = 1
export const SMUX_HEADER = 8
export const Cmd = {syn: 0, fin: 1, psh: 2, nop: 3} as const

export interface SmuxFrame {
  cmd: number
  sid: number
  data: Buffer
}

export function encodeFrame(cmd: number, sid: number, data: Buffer = Buffer.alloc(0)): Buffer {
  if (data.length > 0xffff) throw new Error('smux frame data longer than 65535 bytes')
  const out = Buffer.alloc(SMUX_HEADER + data.length)
  out[0] = SMUX_VERSION
  out[1] = cmd
  out.writeUInt16LE(data.length, 2)
  out.writeUInt32LE(sid, 4)
  data.copy(out, SMUX_HEADER)
  return out
}

/** Splits a byte stream into frames, whatever the chunking of what arrives. */
export class FrameReader {
  private buffered: Buffer[] = []
  private size = 0

  push(chunk: Buffer): SmuxFrame[] {
    this.buffered.push(chunk)
    this.size += chunk.length
    const frames: SmuxFrame[] = []
    let all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered, this.size)
    let offset = 0
    while (all.length - offset >= SMUX_HEADER) {
      const length = all.readUInt16LE(offset + 2)
      if (all.length - offset < SMUX_HEADER + length) break
      if (all[offset] !== SMUX_VERSION) throw new Error(`smux frame of version ${all[offset]}, expected ${SMUX_VERSION}`)
      frames.push({
        cmd: all[offset + 1],
        sid: all.readUInt32LE(offset + 4),
        data: Buffer.from(all.subarray(offset + SMUX_HEADER, offset + SMUX_HEADER + length)),
      })
      offset += SMUX_HEADER + length
    }
    all = all.subarray(offset)
    this.buffered = all.length ? [all] : []
    this.size = all.length
    return frames
  }
}

/** Stream ids a client opens: 3, 5, 7, … (smux's client starts its counter at 1 and adds 2 before each). */
export class StreamIds {
  private last = 1
  next(): number {
    this.last += 2
    return this.last
  }
}
