/**
 * Port sessions. `AWS-StartSSHSession`-style sessions (no local port) carry stdin/stdout. Port forwarding
 * listens on 127.0.0.1: with agents newer than 3.0.196.0 every accepted connection becomes an smux stream over
 * the one channel; older agents get one connection at a time ("basic" mode), and when it closes the agent
 * is told with the DisconnectToPort flag.
 */
import {type Server, type Socket, createServer} from 'node:net'

import {type DataChannel, corkTick, firstEvent} from './channel.js'
import {type ClientMessage, Flag, PayloadType, agentNewerThan, flagPayload} from './message.js'
import {chunks, write} from './shell.js'
import {Cmd, FrameReader, SMUX_HEADER, StreamIds, writeHeader} from './smux.js'
import type {SessionIo, SessionMode} from './types.js'

export const MUX_AFTER = '3.0.196.0'
export const SMUX_KEEPALIVE_OFF_AFTER = '3.1.1511.0'
const SMUX_KEEPALIVE_MS = 10_000
/** one data-channel message per smux frame */
const FRAME_DATA = 1024 - SMUX_HEADER
/**
 * What one local connection may have waiting to be written before every stream waits for it: smux version 1 has
 * no per-stream window, so the choice is between unbounded memory and holding up the other streams for a while.
 */
export const STREAM_BUFFER = 1024 * 1024

export interface PortProperties {
  portNumber?: string
  localPortNumber?: string
  localConnectionType?: string
  localUnixSocket?: string
  type?: string
}

const connectToPortError = (message: ClientMessage, warn: (l: string) => void) => {
  if (message.payloadType === PayloadType.flag && message.payload.length >= 4 && message.payload.readUInt32BE(0) === Flag.connectToPortError) {
    warn('Connection to the destination port failed; check the SSM Agent log on the instance.')
  }
}

/** Reads a stream into the channel, waiting whenever too much is unacknowledged. */
function pump(source: NodeJS.ReadableStream, channel: DataChannel): () => void {
  const onData = (data: Buffer | string) => {
    for (const c of chunks(typeof data === 'string' ? Buffer.from(data) : data)) channel.send(PayloadType.output, c)
    if (channel.full) {
      source.pause()
      void channel.room().then(() => source.resume())
    }
  }
  source.on('data', onData)
  source.resume()
  return () => source.off('data', onData)
}

export class StdioMode implements SessionMode {
  private stopPump?: () => void

  constructor(
    private readonly channel: DataChannel,
    private readonly io: SessionIo,
    private readonly warn: (l: string) => void,
  ) {}

  start(): void {
    this.stopPump = pump(this.io.stdin, this.channel)
  }

  onMessage(message: ClientMessage): Promise<void> | void {
    if (message.payloadType === PayloadType.output) return write(this.io.stdout, message.payload)
    connectToPortError(message, this.warn)
  }

  stop(): void {
    this.stopPump?.()
    this.io.stdin.pause()
  }
}

abstract class ListeningMode implements SessionMode {
  protected server?: Server
  protected readonly sockets = new Set<Socket>()

  constructor(
    protected readonly channel: DataChannel,
    protected readonly properties: PortProperties,
    protected readonly sessionId: string,
    protected readonly warn: (l: string) => void,
    protected readonly onListening?: (address: string) => void,
  ) {}

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      if (this.properties.localConnectionType === 'unix' && this.properties.localUnixSocket) server.listen(this.properties.localUnixSocket, resolve)
      else server.listen(Number(this.properties.localPortNumber || 0), '127.0.0.1', resolve)
    })
    const address = server.address()
    const where = typeof address === 'string' ? `Unix socket ${address}` : `Port ${address?.port}`
    this.warn(`${where} opened for session ${this.sessionId}. Waiting for connections...`)
    this.onListening?.(typeof address === 'string' ? address : String(address?.port))
  }

  protected abstract accept(socket: Socket): void
  abstract onMessage(message: ClientMessage): void | Promise<void>

  stop(): void {
    this.server?.close()
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
  }
}

/** One local connection at a time; the next waits until the current one closes. */
export class BasicPortMode extends ListeningMode {
  private current?: Socket
  private readonly waiting: Socket[] = []

  protected accept(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('error', () => {})
    if (this.current) {
      socket.pause()
      this.waiting.push(socket)
      socket.once('close', () => this.waiting.splice(this.waiting.indexOf(socket) >>> 0, 1))
      return
    }
    this.use(socket)
  }

  private use(socket: Socket): void {
    this.current = socket
    // only this socket is throttled: the waiting ones stay paused, with no reader yet, until their turn
    pump(socket, this.channel)
    socket.once('close', () => {
      this.sockets.delete(socket)
      if (this.current !== socket) return
      this.current = undefined
      this.channel.send(PayloadType.flag, flagPayload(Flag.disconnectToPort))
      const next = this.waiting.shift()
      if (next) this.use(next)
    })
    socket.on('end', () => socket.end())
  }

  onMessage(message: ClientMessage): Promise<void> | void {
    if (message.payloadType === PayloadType.output) {
      if (this.current && !this.current.destroyed) return write(this.current, message.payload)
      return
    }
    connectToPortError(message, this.warn)
  }
}

const EMPTY = Buffer.alloc(0)

interface MuxStream {
  socket: Socket
  localEnded: boolean
  remoteEnded: boolean
}

/** Every local connection is an smux stream over the channel. */
export class MuxPortMode extends ListeningMode {
  private readonly streams = new Map<number, MuxStream>()
  private readonly ids = new StreamIds()
  private readonly reader = new FrameReader()
  private keepAlive?: NodeJS.Timeout
  agentVersion = ''

  override async start(): Promise<void> {
    await super.start()
    if (!agentNewerThan(this.agentVersion, SMUX_KEEPALIVE_OFF_AFTER)) {
      this.keepAlive = setInterval(() => this.frame(Cmd.nop, 0), SMUX_KEEPALIVE_MS)
      this.keepAlive.unref()
    }
  }

  private readonly header = Buffer.alloc(SMUX_HEADER)

  /** Pauses every stream's socket until the channel has room again (they share it). */
  private backpressure(): void {
    if (!this.channel.full) return
    for (const s of this.sockets) s.pause()
    void this.channel.room().then(() => {
      for (const s of this.sockets) s.resume()
    })
  }

  private frame(cmd: number, sid: number, data: Buffer = EMPTY): void {
    this.channel.send(PayloadType.output, data, writeHeader(this.header, cmd, sid, data.length))
  }

  protected accept(socket: Socket): void {
    const sid = this.ids.next()
    const stream: MuxStream = {socket, localEnded: false, remoteEnded: false}
    this.streams.set(sid, stream)
    this.sockets.add(socket)
    this.frame(Cmd.syn, sid)
    socket.on('data', (data: Buffer) => {
      for (const c of chunks(data, FRAME_DATA)) this.frame(Cmd.psh, sid, c)
      this.backpressure()
    })
    const localDone = () => {
      if (stream.localEnded) return
      stream.localEnded = true
      if (this.streams.has(sid)) this.frame(Cmd.fin, sid)
      this.settle(sid)
    }
    socket.on('end', localDone)
    socket.on('error', () => {})
    socket.on('close', () => {
      localDone()
      stream.remoteEnded = true
      this.settle(sid)
    })
  }

  private settle(sid: number): void {
    const stream = this.streams.get(sid)
    if (!stream || !stream.localEnded || !stream.remoteEnded) return
    this.streams.delete(sid)
    this.sockets.delete(stream.socket)
    stream.socket.destroy()
  }

  onMessage(message: ClientMessage): Promise<void> | void {
    if (message.payloadType !== PayloadType.output) return connectToPortError(message, this.warn)
    let full: Socket | undefined
    for (const f of this.reader.push(message.payload)) {
      const stream = this.streams.get(f.sid)
      if (!stream) continue
      if (f.cmd === Cmd.psh && f.data.length > 0) {
        if (stream.socket.destroyed) continue
        corkTick(stream.socket)
        stream.socket.write(f.data)
        if (stream.socket.writableLength > STREAM_BUFFER) full = stream.socket
      } else if (f.cmd === Cmd.fin) {
        stream.remoteEnded = true
        stream.socket.end()
        this.settle(f.sid)
      }
    }
    // a slow local reader holds up the others only once it has STREAM_BUFFER waiting
    if (full) return firstEvent(full, ['drain', 'close'])
  }

  override stop(): void {
    clearInterval(this.keepAlive)
    super.stop()
    this.streams.clear()
  }
}
