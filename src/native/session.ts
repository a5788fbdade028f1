/**
 * A whole native session: open the data channel, run the handshake, then the shell, port forwarder or
 * stdio stream the agent asked for, until the agent closes the channel, the channel fails, or a signal.
 */
import {type Credentials, DataChannel} from './channel.js'
import type {KmsSend, SessionCipher} from './crypto.js'
import {type HandshakeRequest, type SessionTypeInfo, answerHandshake} from './handshake.js'
import {type ClientMessage, Flag, PayloadType, agentNewerThan, flagPayload} from './message.js'
import {BasicPortMode, MUX_AFTER, MuxPortMode, type PortProperties, StdioMode} from './port.js'
import {ShellMode} from './shell.js'
import {getHeapSpaceStatistics, setFlagsFromString} from 'node:v8'
import {signalExitCode} from '../platform/process.js'
import type {SessionIo, SessionMode} from './types.js'

export type {Credentials} from './channel.js'
export type {SessionIo} from './types.js'

/** Agents newer than this understand the TerminateSession flag. */
export const TERMINATE_FLAG_AFTER = '2.3.722.0'

export interface NativeSessionOptions {
  sessionId: string
  streamUrl: string
  token: string
  /** the instance id: part of the KMS encryption context */
  targetId: string
  /** SSM ResumeSession: new credentials, or undefined when the session is gone */
  resume?: () => Promise<Credentials | undefined>
  /** the KMS client, built only when the agent asks for encryption */
  kms: () => KmsSend
  io?: SessionIo
  /** how long the channel may take to open and the agent to say its first word (default 30 s) */
  openTimeoutMs?: number
  /** set when a proxy is: the data channel's websocket goes through it (see channel.ts) */
  proxyEnv?: NodeJS.ProcessEnv
  /** handle SIGINT/SIGTERM/SIGHUP/SIGWINCH… of this process (default true) */
  signals?: boolean
  /** called with the local port (or socket path) of a port-forwarding session */
  onListening?: (address: string) => void
  /** ends the session as a signal would (tests) */
  abort?: AbortSignal
  warn: (line: string) => void
  debug?: (line: string) => void
}

export interface NativeResult {
  code: number
  /** set when a signal ended the session: the caller then terminates it */
  signal?: NodeJS.Signals
}

export class NativeSessionError extends Error {
  override name = 'NativeSessionError'
}

/** HandshakeComplete is plain JSON; some agents encrypt it once the session is encrypted. */
function parseHandshakeComplete(payload: Buffer, cipher?: {decrypt(b: Buffer): Buffer}): {CustomerMessage?: string} {
  try {
    return JSON.parse(payload.toString('utf8'))
  } catch (error) {
    if (!cipher) throw error
    return JSON.parse(cipher.decrypt(payload).toString('utf8'))
  }
}

/**
 * A session moves many small, short-lived messages for hours. V8 answers such a load by growing its young
 * generation from 1 to 16 MiB per semi-space (about 50 MiB resident) and keeps it: more than the rest of the
 * client together. Once the young generation holds YOUNG_CAP, growth factor 1 stops it there: scavenges come
 * more often than at 16 MiB but stay cheap (few messages survive one). V8 reads the flag whenever it would grow
 * the space, so setting it at run time takes effect (unlike --max-semi-space-size, read once at start-up).
 * The returned function puts V8's default (2) back: V8 stamps code caches with a hash of its flags, and the
 * caches written at exit (src/fast/code-cache.ts, Node's compile cache) must match the next start's.
 */
export const YOUNG_CAP = 4 * 1024 * 1024

function boundYoungGeneration(): () => void {
  let capped = false
  const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0
  const cap = () => {
    if (young() < YOUNG_CAP) return false
    setFlagsFromString('--semi-space-growth-factor=1')
    capped = true
    return true
  }
  const timer = cap() ? undefined : setInterval(() => cap() && clearInterval(timer), 500)
  timer?.unref()
  return () => {
    clearInterval(timer)
    if (capped) setFlagsFromString('--semi-space-growth-factor=2')
  }
}

/** Runs a session to its end: resolves with the exit code, rejects with a NativeSessionError. */
export function runNativeSession(options: NativeSessionOptions): Promise<NativeResult> {
  return new NativeSession(options).run()
}

/**
 * One session's steps: open the channel (and time the agent's first word), answer the handshake and the
 * encryption challenge, start the mode the agent asked for, and end on channel_closed, a failure or a signal.
 */
class NativeSession {
  private readonly io: SessionIo
  private readonly channel: DataChannel
  private readonly timeout: number
  private mode?: SessionMode
  private shell?: ShellMode
  private agentVersion = ''
  private session?: SessionTypeInfo
  private readonly cleanups: Array<() => void> = []
  private finished = false
  private heard = false
  private firstWord?: NodeJS.Timeout
  private settle: (outcome: NativeResult | Error) => void = () => {}

  constructor(private readonly options: NativeSessionOptions) {
    this.io = options.io ?? {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr}
    this.timeout = options.openTimeoutMs ?? 30_000
    this.channel = new DataChannel({
      sessionId: options.sessionId,
      streamUrl: options.streamUrl,
      token: options.token,
      resume: options.resume,
      openTimeoutMs: this.timeout,
      proxyEnv: options.proxyEnv,
      debug: options.debug,
    })
  }

  run(): Promise<NativeResult> {
    this.cleanups.push(boundYoungGeneration())
    const done = new Promise<NativeResult>((resolve, reject) => {
      this.settle = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome))
    })
    this.channel.onData((message) => this.onMessage(message))
    this.channel.on('closed', (output: string) => this.agentClosed(output))
    this.channel.on('error', (error: Error) => this.finish(new NativeSessionError(error.message)))
    if ((this.options.signals ?? true) && process.platform !== 'win32') this.handleSignals()
    this.handleAbort()
    this.channel.open().then(
      () => this.awaitFirstWord(),
      (error: Error) => this.finish(new NativeSessionError(error.message)),
    )
    return done
  }

  // ---- the channel's messages ---------------------------------------------------------------------

  /** Not async: data messages go straight to the mode, which returns a promise only when it must wait. */
  private onMessage(message: ClientMessage): Promise<void> | void {
    if (!this.heard) {
      this.heard = true
      clearTimeout(this.firstWord)
    }
    switch (message.payloadType) {
      case PayloadType.handshakeRequest:
        return this.handshake(message)
      case PayloadType.encChallengeRequest:
        return this.challenge(message)
      case PayloadType.handshakeComplete:
        return this.handshakeComplete(message)
      default:
        // an agent that skips the handshake starts a shell right away
        if (!this.mode && message.payloadType === PayloadType.output)
          return this.startMode({sessionType: 'Standard_Stream', properties: {}}).then(() => this.mode?.onMessage(message))
        return this.mode?.onMessage(message)
    }
  }

  /** HandshakeRequest: answer every action (the session type, KMS encryption). */
  private async handshake(message: ClientMessage): Promise<void> {
    const request = JSON.parse(message.payload.toString('utf8')) as HandshakeRequest
    this.agentVersion = request.AgentVersion ?? ''
    const outcome = await answerHandshake(request, (keyId) => this.sessionKey(keyId))
    this.session = outcome.session
    this.channel.send(PayloadType.handshakeResponse, Buffer.from(JSON.stringify(outcome.response)))
    if (outcome.cipher) this.channel.cipher = outcome.cipher
    for (const e of outcome.response.Errors) this.options.warn(`warning: ${e}`)
  }

  /** The KMS data key for an encrypted session (KMS GenerateDataKey); the SDK's KMS client loads only then. */
  private async sessionKey(keyId: string): Promise<SessionCipher> {
    const {generateSessionKey} = await import('./crypto.js')
    return generateSessionKey(this.options.kms(), keyId, this.options.sessionId, this.options.targetId)
  }

  /** EncChallengeRequest: prove the key by decrypting the challenge and encrypting it back. */
  private challenge(message: ClientMessage): void {
    const cipher = this.channel.cipher
    if (!cipher) throw new NativeSessionError('the agent sent an encryption challenge before encryption was set up')
    const challenge = Buffer.from(String(JSON.parse(message.payload.toString('utf8')).Challenge ?? ''), 'base64')
    const answer = cipher.encrypt(cipher.decrypt(challenge))
    this.channel.send(PayloadType.encChallengeResponse, Buffer.from(JSON.stringify({Challenge: answer.toString('base64')})))
  }

  private async handshakeComplete(message: ClientMessage): Promise<void> {
    const complete = parseHandshakeComplete(message.payload, this.channel.cipher)
    if (complete.CustomerMessage) this.options.warn(complete.CustomerMessage)
    if (!this.session) throw new NativeSessionError('the handshake ended without a session type')
    await this.startMode(this.session)
  }

  // ---- the mode -----------------------------------------------------------------------------------

  private async startMode(info: SessionTypeInfo): Promise<void> {
    if (this.mode) return
    if (info.sessionType !== 'Port') this.mode = this.shell = new ShellMode(this.channel, this.io, this.options.signals ?? true)
    else if ((info.properties as PortProperties).type === 'LocalPortForwarding') this.mode = this.portMode(info.properties as PortProperties)
    else this.mode = this.stdioMode()
    await this.mode.start()
  }

  private portMode(props: PortProperties): SessionMode {
    const {channel, options} = this
    if (!agentNewerThan(this.agentVersion, MUX_AFTER)) return new BasicPortMode(channel, props, options.sessionId, options.warn, options.onListening)
    const mux = new MuxPortMode(channel, props, options.sessionId, options.warn, options.onListening)
    mux.agentVersion = this.agentVersion
    return mux
  }

  private stdioMode(): SessionMode {
    // the reader went away (ssh exited): end like a signal would
    const gone = () => void this.bySignal('SIGPIPE')
    this.io.stdout.once('error', gone)
    this.cleanups.push(() => this.io.stdout.off('error', gone))
    return new StdioMode(this.channel, this.io, this.options.warn)
  }

  // ---- the end ------------------------------------------------------------------------------------

  private awaitFirstWord(): void {
    if (this.finished || this.heard) return
    const seconds = Math.round(this.timeout / 1000)
    this.firstWord = setTimeout(
      () => this.finish(new NativeSessionError(`the agent did not start session ${this.options.sessionId} within ${seconds} s`)),
      this.timeout,
    )
  }

  private agentClosed(output: string): void {
    const {sessionId} = this.options
    const text = output ? `\n\nSessionId: ${sessionId} : ${output}\n\n` : `\n\nExiting session with sessionId: ${sessionId}.\n\n`
    ;(this.shell ? this.io.stdout : this.io.stderr).write(text)
    this.finish({code: this.shell?.exitCode ?? 0})
  }

  private handleSignals(): void {
    // a shell passes SIGINT on as a byte (ShellMode); everything else ends the session
    const onInt = () => {
      if (!this.shell) void this.bySignal('SIGINT')
    }
    process.on('SIGINT', onInt)
    this.cleanups.push(() => process.off('SIGINT', onInt))
    for (const s of ['SIGTERM', 'SIGHUP'] as NodeJS.Signals[]) {
      const fn = () => void this.bySignal(s)
      process.on(s, fn)
      this.cleanups.push(() => process.off(s, fn))
    }
  }

  private handleAbort(): void {
    const {abort} = this.options
    if (!abort) return
    const onAbort = () => void this.bySignal('SIGTERM')
    if (abort.aborted) onAbort()
    abort.addEventListener('abort', onAbort)
    this.cleanups.push(() => abort.removeEventListener('abort', onAbort))
  }

  /** A signal (or the abort signal) ends the session: a port session tells agents that understand it first. */
  private async bySignal(signal: NodeJS.Signals): Promise<void> {
    if (this.finished) return
    const port = this.session?.sessionType === 'Port'
    if (port && agentNewerThan(this.agentVersion, TERMINATE_FLAG_AFTER)) {
      this.channel.send(PayloadType.flag, flagPayload(Flag.terminateSession))
      await this.channel.flushed(1000)
    }
    this.finish({code: port ? 0 : signalExitCode(signal), signal})
  }

  private finish(outcome: NativeResult | Error): void {
    if (this.finished) return
    this.finished = true
    clearTimeout(this.firstWord)
    this.mode?.stop()
    for (const c of this.cleanups.splice(0)) c()
    this.channel.close()
    this.settle(outcome)
  }
}
