/**
 * A protocol-level stand-in for the SSM agent and the ssmmessages service: a websocket server on
 * 127.0.0.1 that speaks the agent's side of the data channel (OpenDataChannel token check, framing,
 * acknowledgements, ordering, resends, handshake with KMS encryption and the challenge round,
 * channel_closed) backed by a local shell in a pty or a TCP server (stdio/basic port or smux).
 * Faults can be injected into what the agent sends: dropped, duplicated, reordered and corrupted
 * messages, lost acknowledgements, and a cut connection. `attach` answers SSM StartSession /
 * ResumeSession / TerminateSession and KMS GenerateDataKey on a FakeAws.
 */
import {randomBytes, randomUUID} from 'node:crypto'
import type {AddressInfo} from 'node:net'
import {type Socket, connect} from 'node:net'

// before ws, as in the client: the bench's agent should not cost more CPU per byte than it must
import '../../src/native/ws-mask.js'
import {WebSocket, WebSocketServer} from 'ws'

import {corkTick} from '../../src/native/channel.js'
import {openGcm, sealGcm} from '../../src/native/crypto.js'
import {
  type ClientMessage,
  Flag,
  FrameError,
  MessageType,
  PayloadType,
  ackedSequence,
  decodeMessage,
  encodeAck,
  encodeMessage,
} from '../../src/native/message.js'
import {OutgoingRing} from '../../src/native/sequencer.js'
import {Cmd, FrameReader, SMUX_HEADER, encodeFrame, writeHeader} from '../../src/native/smux.js'
import type {FakeAws} from './fake-aws.js'

export interface Faults {
  /** probabilities per outgoing data message */
  drop?: number
  duplicate?: number
  reorder?: number
  corrupt?: number
  /** probability that the agent does not acknowledge a client message */
  dropAck?: number
  seed?: number
}

export type Backend =
  | {kind: 'shell'; command?: string; args?: string[]}
  | {kind: 'script'; /** answers each line of input */ reply: (line: string, s: AgentSession) => void}
  | {kind: 'stdio'; port: number}
  | {kind: 'forward'; port: number; mux: boolean; localPortNumber?: string}

export interface AgentSpec {
  backend: Backend
  agentVersion?: string
  /** KMS key id: the agent asks for encryption */
  kmsKeyId?: string
  /** shell sessions: send a handshake even without KMS */
  handshake?: boolean
  customerMessage?: string
  /** encrypt the HandshakeComplete payload (as some agent versions do) */
  encryptHandshakeComplete?: boolean
  faults?: Faults
  /** accept the websocket but never say a word */
  silent?: boolean
}

const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

interface DataKey {
  plaintext: Buffer
  context: Record<string, string>
  keyId: string
}

export class AgentSession {
  readonly tokens = new Set<string>()
  ws?: WebSocket
  opens: Array<Record<string, unknown>> = []
  /** every non-Output message the client sent, in order */
  readonly received: ClientMessage[] = []
  readonly sizes: Array<{cols: number; rows: number}> = []
  readonly flags: number[] = []
  /** what a shell or script session was sent (shell and script backends only) */
  typed = ''
  handshakeResponse?: Record<string, unknown>
  challengePassed = false
  terminated = false
  closed = false
  readonly stats = {sent: 0, dropped: 0, duplicated: 0, reordered: 0, corrupted: 0, acksDropped: 0, resent: 0, clientDuplicates: 0}
  private outSeq = 0
  /** unacknowledged data messages, in a ring of reused records like the client's (no garbage per message) */
  private readonly outgoing = new OutgoingRing(1024)
  private inExpected = 0
  private readonly inEarly = new Map<number, ClientMessage>()
  private held?: Buffer
  private readonly random: () => number
  private encKey?: Buffer
  private decKey?: Buffer
  private started = false
  private challenge?: Buffer
  private resendTimer: NodeJS.Timeout
  private pty?: {write(d: string): void; resize(c: number, r: number): void; kill(): void; onData(f: (d: string) => void): void; onExit(f: () => void): void}
  private tcp?: Socket
  /** the websocket's TCP socket (from the upgrade request), corked around bursts */
  private socket?: Socket
  private readonly muxStreams = new Map<number, Socket>()
  private readonly muxReader = new FrameReader()
  /** reused: sendData copies it into the frame */
  private readonly muxHeader = Buffer.alloc(SMUX_HEADER)
  private lineBuffer = ''

  constructor(
    readonly id: string,
    readonly target: string,
    readonly spec: AgentSpec,
    private readonly keys: Map<string, DataKey>,
  ) {
    this.random = mulberry32(spec.faults?.seed ?? 1)
    this.resendTimer = setInterval(() => this.resend(), 100)
  }

  attachSocket(ws: WebSocket, socket?: Socket): void {
    let opened = false
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)
      if (!opened) {
        const open = JSON.parse(buf.toString('utf8'))
        if (isBinary || !this.tokens.has(open.TokenValue) || this.terminated) {
          ws.close(1008, 'bad token')
          return
        }
        opened = true
        this.opens.push(open)
        this.ws = ws
        this.socket = socket
        if (this.spec.silent) return
        for (const p of this.outgoing.inOrder(this.outSeq)) this.transmitRaw(p.buffer)
        if (!this.started) {
          this.started = true
          this.begin()
        }
        return
      }
      this.receive(buf)
    })
    ws.on('error', () => {})
  }

  /** Asks the client to stop (pause_publication) or go on (start_publication) sending. */
  publication(on: boolean): void {
    this.transmitRaw(encodeMessage({messageType: on ? MessageType.startPublication : MessageType.pausePublication}))
  }

  /** Cuts the websocket abruptly. */
  cut(): void {
    this.ws?.terminate()
    this.ws = undefined
  }

  get backlog(): number {
    return this.outgoing.size
  }

  private begin(): void {
    const {backend} = this.spec
    const isPort = backend.kind === 'stdio' || backend.kind === 'forward'
    if (isPort || this.spec.kmsKeyId || this.spec.handshake) {
      const actions: Array<Record<string, unknown>> = []
      if (this.spec.kmsKeyId) actions.push({ActionType: 'KMSEncryption', ActionParameters: {KMSKeyId: this.spec.kmsKeyId}})
      actions.push({
        ActionType: 'SessionType',
        ActionParameters: isPort
          ? {
              SessionType: 'Port',
              Properties:
                backend.kind === 'forward'
                  ? {portNumber: String(backend.port), type: 'LocalPortForwarding', localPortNumber: backend.localPortNumber ?? '0'}
                  : {portNumber: String(backend.port)},
            }
          : {SessionType: 'Standard_Stream', Properties: null},
      })
      actions.push({ActionType: 'FutureAction', ActionParameters: {}})
      this.sendData(
        PayloadType.handshakeRequest,
        Buffer.from(JSON.stringify({AgentVersion: this.spec.agentVersion ?? '3.3.2299.0', RequestedClientActions: actions})),
      )
    } else {
      this.startBackend()
    }
  }

  private complete(): void {
    const payload = Buffer.from(JSON.stringify({HandshakeTimeToComplete: 1_000_000, CustomerMessage: this.spec.customerMessage ?? ''}))
    // some agents encrypt HandshakeComplete too once the session is encrypted
    if (this.encKey && this.spec.encryptHandshakeComplete) this.sendData(PayloadType.handshakeComplete, sealGcm(this.encKey, payload))
    else this.sendData(PayloadType.handshakeComplete, payload)
    this.startBackend()
  }

  private startBackend(): void {
    const {backend} = this.spec
    if (backend.kind === 'shell') void this.startPty(backend)
  }

  private async startPty(backend: {command?: string; args?: string[]}): Promise<void> {
    const pty = await import('node-pty')
    const size = this.sizes.at(-1) ?? {cols: 80, rows: 24}
    const p = pty.spawn(backend.command ?? '/bin/sh', backend.args ?? [], {
      cols: size.cols,
      rows: size.rows,
      env: {PATH: '/usr/bin:/bin', PS1: '$ ', TERM: 'dumb', HOME: '/tmp'},
    })
    this.pty = p
    p.onData((d) => this.output(Buffer.from(d)))
    p.onExit(() => {
      this.pty = undefined
      this.closeChannel('')
    })
  }

  /** Sends output (stdout) in messages of at most 1024 bytes. */
  output(data: Buffer, payloadType: number = PayloadType.output): void {
    for (let i = 0; i < data.length; i += 1024) this.sendData(payloadType, data.subarray(i, i + 1024))
  }

  closeChannel(output: string): void {
    if (this.closed) return
    this.closed = true
    const payload = Buffer.from(
      JSON.stringify({
        MessageId: randomUUID(),
        CreatedDate: new Date().toISOString(),
        DestinationId: this.id,
        SessionId: this.id,
        MessageType: 'channel_closed',
        SchemaVersion: 1,
        Output: output,
      }),
    )
    // after what is still unacknowledged, like the real service
    const send = () => {
      if (this.outgoing.size > 0 && this.ws) return setTimeout(send, 20)
      this.transmitRaw(encodeMessage({messageType: MessageType.channelClosed, payload}))
    }
    send()
  }

  /** Sends one output_stream_data message of `prefix` (an smux header) then `plain`, encrypted once the session is. */
  sendData(payloadType: number, plain: Buffer, prefix?: Buffer): void {
    const encrypted = this.encKey && (payloadType === PayloadType.output || payloadType === PayloadType.stdErr || payloadType === PayloadType.exitCode)
    const payload = encrypted ? sealGcm(this.encKey!, prefix ? Buffer.concat([prefix, plain]) : plain) : plain
    const frame = encodeMessage({messageType: MessageType.output, sequenceNumber: this.outSeq++, payloadType, payload, prefix: encrypted ? undefined : prefix})
    this.outgoing.add(this.outSeq - 1, frame, frame.length, false).sentAt = Date.now()
    this.transmit(frame)
  }

  private transmitRaw(frame: Buffer): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return
    if (this.socket) corkTick(this.socket)
    this.ws.send(frame)
  }

  /** Sends a data message through the fault injector. */
  private transmit(frame: Buffer): void {
    const f = this.spec.faults ?? {}
    this.stats.sent++
    const r = this.random()
    let edge = 0
    if (r < (edge += f.drop ?? 0)) {
      this.stats.dropped++
      return
    }
    if (r < (edge += f.corrupt ?? 0)) {
      this.stats.corrupted++
      const bad = Buffer.from(frame)
      if (bad.length > 120) bad[bad.length - 1] ^= 0xff
      else bad[100] ^= 0xff
      this.transmitRaw(bad)
      return
    }
    if (r < (edge += f.duplicate ?? 0)) {
      this.stats.duplicated++
      this.transmitRaw(frame)
      this.transmitRaw(frame)
      return
    }
    if (r < (edge += f.reorder ?? 0) && !this.held) {
      this.stats.reordered++
      this.held = frame
      setTimeout(() => this.flushHeld(), 30)
      return
    }
    this.transmitRaw(frame)
    this.flushHeld()
  }

  private flushHeld(): void {
    const held = this.held
    this.held = undefined
    if (held) this.transmitRaw(held)
  }

  private resend(): void {
    const now = Date.now()
    // the oldest few that are overdue, so a long queue is not sent twice
    let budget = 16
    for (const p of this.outgoing.inOrder(this.outSeq)) {
      if (budget-- <= 0) break
      if (now - p.sentAt < 300) continue
      p.sentAt = now
      this.stats.resent++
      this.transmit(p.buffer)
    }
    if (this.outgoing.size < 256) this.resumeReading()
  }

  private resumeReading(): void {
    this.tcp?.resume()
    for (const s of this.muxStreams.values()) s.resume()
  }

  private receive(buf: Buffer): void {
    let m: ClientMessage
    try {
      m = decodeMessage(buf)
    } catch (error) {
      if (error instanceof FrameError) return
      throw error
    }
    if (m.messageType === MessageType.acknowledge) {
      const seq = ackedSequence(m.payload)
      const p = seq === undefined ? undefined : this.outgoing.get(seq)
      if (p) this.outgoing.free(p, this.outSeq)
      if (this.outgoing.size === 256) this.resumeReading()
      return
    }
    if (m.messageType !== MessageType.input) return
    // a lost acknowledgement: the message is handled, the client sends it again, the repeat is dropped
    if (this.random() < (this.spec.faults?.dropAck ?? 0)) this.stats.acksDropped++
    else this.transmitRaw(encodeAck(m))
    if (m.sequenceNumber < this.inExpected || this.inEarly.has(m.sequenceNumber)) {
      this.stats.clientDuplicates++
      return
    }
    if (m.sequenceNumber === this.inExpected && this.inEarly.size === 0) {
      // in order, nothing waiting: the common case, without the map
      this.inExpected++
      this.handle(m)
      return
    }
    this.inEarly.set(m.sequenceNumber, m)
    for (let next = this.inEarly.get(this.inExpected); next; next = this.inEarly.get(this.inExpected)) {
      this.inEarly.delete(this.inExpected)
      this.inExpected++
      this.handle(next)
    }
  }

  private handle(m: ClientMessage): void {
    if (m.payloadType !== PayloadType.output) this.received.push(m)
    switch (m.payloadType) {
      case PayloadType.handshakeResponse: {
        this.handshakeResponse = JSON.parse(m.payload.toString('utf8'))
        const kms = (this.handshakeResponse!.ProcessedClientActions as Array<Record<string, unknown>>).find((a) => a.ActionType === 'KMSEncryption')
        if (this.spec.kmsKeyId && kms?.ActionStatus === 1) {
          const blob = String((kms.ActionResult as Record<string, unknown>).KMSCipherTextKey)
          const key = this.keys.get(blob)
          if (!key) throw new Error('the client returned a data key the fake KMS never issued')
          this.encKey = key.plaintext.subarray(0, 32)
          this.decKey = key.plaintext.subarray(32)
          this.challenge = randomBytes(64)
          this.sendData(PayloadType.encChallengeRequest, Buffer.from(JSON.stringify({Challenge: sealGcm(this.encKey, this.challenge).toString('base64')})))
        } else {
          this.complete()
        }
        return
      }
      case PayloadType.encChallengeResponse: {
        const answer = openGcm(this.decKey!, Buffer.from(JSON.parse(m.payload.toString('utf8')).Challenge, 'base64'))
        this.challengePassed = answer.equals(this.challenge!)
        if (this.challengePassed) this.complete()
        else this.closeChannel('encryption challenge failed')
        return
      }
      case PayloadType.size: {
        const size = JSON.parse(m.payload.toString('utf8'))
        this.sizes.push(size)
        this.pty?.resize(size.cols, size.rows)
        return
      }
      case PayloadType.flag: {
        const flag = m.payload.readUInt32BE(0)
        this.flags.push(flag)
        if (flag === Flag.disconnectToPort) {
          this.tcp?.end()
          this.tcp = undefined
        } else if (flag === Flag.terminateSession) {
          this.terminate()
        }
        return
      }
      case PayloadType.output: {
        const data = this.decKey ? openGcm(this.decKey, m.payload) : m.payload
        return this.input(data)
      }
      default:
    }
  }

  private input(data: Buffer): void {
    const {backend} = this.spec
    switch (backend.kind) {
      case 'shell':
        this.typed += data.toString('utf8')
        this.pty?.write(data.toString('utf8'))
        return
      case 'script': {
        this.typed += data.toString('utf8')
        this.lineBuffer += data.toString('utf8')
        let i: number
        while ((i = this.lineBuffer.search(/[\r\n]/)) >= 0) {
          const line = this.lineBuffer.slice(0, i)
          this.lineBuffer = this.lineBuffer.slice(i + 1)
          backend.reply(line, this)
        }
        return
      }
      case 'stdio':
      case 'forward':
        if (backend.kind === 'forward' && backend.mux) return this.muxInput(data, backend.port)
        if (!this.tcp) this.tcp = this.dial(backend.port, (d) => this.output(d))
        corkTick(this.tcp)
        this.tcp.write(data)
    }
  }

  private dial(port: number, onData: (d: Buffer) => void, onEnd?: () => void): Socket {
    const socket = connect(port, '127.0.0.1')
    socket.on('data', (d) => {
      onData(d)
      if (this.outgoing.size > 1024) socket.pause()
    })
    socket.on('error', () => {})
    socket.on('end', () => onEnd?.())
    return socket
  }

  private muxInput(data: Buffer, port: number): void {
    for (const f of this.muxReader.push(data)) {
      if (f.cmd === Cmd.syn) {
        const sid = f.sid
        const socket = this.dial(
          port,
          (d) => {
            for (let i = 0; i < d.length; i += 1024 - SMUX_HEADER) {
              const data = d.subarray(i, i + 1024 - SMUX_HEADER)
              this.sendData(PayloadType.output, data, writeHeader(this.muxHeader, Cmd.psh, sid, data.length))
            }
          },
          () => this.sendData(PayloadType.output, encodeFrame(Cmd.fin, sid)),
        )
        this.muxStreams.set(sid, socket)
      } else if (f.cmd === Cmd.psh) {
        const socket = this.muxStreams.get(f.sid)
        if (socket) {
          corkTick(socket)
          socket.write(f.data)
        }
      } else if (f.cmd === Cmd.fin) {
        this.muxStreams.get(f.sid)?.end()
      }
    }
  }

  terminate(): void {
    this.terminated = true
    this.closeChannel('')
    this.dispose()
  }

  dispose(): void {
    clearInterval(this.resendTimer)
    this.pty?.kill()
    this.tcp?.destroy()
    for (const s of this.muxStreams.values()) s.destroy()
    setTimeout(() => this.ws?.close(), 200).unref()
  }
}

export class FakeAgent {
  readonly sessions = new Map<string, AgentSession>()
  /** data keys the fake KMS issued, by base64 ciphertext */
  readonly keys = new Map<string, DataKey>()
  private wss?: WebSocketServer
  url = ''

  async start(): Promise<this> {
    this.wss = new WebSocketServer({host: '127.0.0.1', port: 0})
    await new Promise<void>((resolve) => this.wss!.once('listening', resolve))
    this.url = `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`
    this.wss.on('connection', (ws, req) => {
      const id = /\/v1\/data-channel\/([^?]+)/.exec(req.url ?? '')?.[1] ?? ''
      const session = this.sessions.get(id)
      if (!session) return ws.close(1008, 'no such session')
      session.attachSocket(ws, req.socket as Socket)
    })
    return this
  }

  async stop(): Promise<void> {
    for (const s of this.sessions.values()) s.dispose()
    for (const c of this.wss?.clients ?? []) c.terminate()
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()))
  }

  create(target: string, spec: AgentSpec): {SessionId: string; TokenValue: string; StreamUrl: string} {
    const id = `ssmx-test-${randomUUID().slice(0, 13)}`
    const session = new AgentSession(id, target, spec, this.keys)
    const token = `token-${randomUUID()}`
    session.tokens.add(token)
    this.sessions.set(id, session)
    return {SessionId: id, TokenValue: token, StreamUrl: `${this.url}/v1/data-channel/${id}?role=publish_subscribe`}
  }

  /** The one session (most tests start exactly one). */
  get soleSession(): AgentSession {
    const [s] = [...this.sessions.values()]
    if (!s) throw new Error('no session started')
    return s
  }

  /** Answers SSM StartSession/ResumeSession/TerminateSession and KMS GenerateDataKey on a FakeAws. */
  attach(fake: FakeAws, specFor: (input: Record<string, unknown>) => AgentSpec): this {
    fake.on('ssm', 'StartSession', (input) => this.create(String(input.Target), specFor(input)))
    fake.on('ssm', 'ResumeSession', (input) => {
      const session = this.sessions.get(String(input.SessionId))
      if (!session || session.terminated) return {SessionId: input.SessionId}
      const token = `token-${randomUUID()}`
      session.tokens.add(token)
      return {SessionId: session.id, TokenValue: token, StreamUrl: `${this.url}/v1/data-channel/${session.id}?role=publish_subscribe`}
    })
    fake.on('ssm', 'TerminateSession', (input) => {
      this.sessions.get(String(input.SessionId))?.terminate()
      return {SessionId: input.SessionId}
    })
    fake.on('kms', 'GenerateDataKey', (input) => {
      const plaintext = randomBytes(Number(input.NumberOfBytes ?? 32))
      const blob = Buffer.concat([Buffer.from('fake-kms:'), randomBytes(24)]).toString('base64')
      this.keys.set(blob, {plaintext, context: input.EncryptionContext as Record<string, string>, keyId: String(input.KeyId)})
      return {CiphertextBlob: blob, Plaintext: plaintext.toString('base64'), KeyId: input.KeyId}
    })
    return this
  }
}
