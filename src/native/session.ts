/**
 * A whole native session: open the data channel, run the handshake, then the shell, port forwarder or
 * stdio stream the agent asked for, until the agent closes the channel, the channel fails, or a signal.
 */
import {type Credentials, DataChannel} from './channel.js'
import {type KmsSend, generateSessionKey} from './crypto.js'
import {type HandshakeRequest, type SessionTypeInfo, answerHandshake} from './handshake.js'
import {type ClientMessage, Flag, PayloadType, agentNewerThan, flagPayload} from './message.js'
import {BasicPortMode, MUX_AFTER, MuxPortMode, type PortProperties, StdioMode} from './port.js'
import {ShellMode} from './shell.js'
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

export function runNativeSession(options: NativeSessionOptions): Promise<NativeResult> {
  const io: SessionIo = options.io ?? {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr}
  const handleSignals = options.signals ?? true
  const timeout = options.openTimeoutMs ?? 30_000
  const channel = new DataChannel({
    sessionId: options.sessionId,
    streamUrl: options.streamUrl,
    token: options.token,
    resume: options.resume,
    openTimeoutMs: timeout,
    proxyEnv: options.proxyEnv,
    debug: options.debug,
  })
  let mode: SessionMode | undefined
  let shell: ShellMode | undefined
  let agentVersion = ''
  let session: SessionTypeInfo | undefined
  const cleanups: Array<() => void> = []

  return new Promise<NativeResult>((resolve, reject) => {
    let finished = false
    const finish = (outcome: NativeResult | Error) => {
      if (finished) return
      finished = true
      clearTimeout(firstWord)
      mode?.stop()
      for (const c of cleanups.splice(0)) c()
      channel.close()
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    let firstWord: NodeJS.Timeout | undefined

    const startMode = async (info: SessionTypeInfo) => {
      if (mode) return
      if (info.sessionType === 'Port') {
        const props = info.properties as PortProperties
        if (props.type === 'LocalPortForwarding') {
          const Mode = agentNewerThan(agentVersion, MUX_AFTER) ? MuxPortMode : BasicPortMode
          const m = new Mode(channel, props, options.sessionId, options.warn, options.onListening)
          if (m instanceof MuxPortMode) m.agentVersion = agentVersion
          mode = m
        } else {
          mode = new StdioMode(channel, io, options.warn)
          // the reader went away (ssh exited): end like a signal would
          const gone = () => void bySignal('SIGPIPE')
          io.stdout.once('error', gone)
          cleanups.push(() => io.stdout.off('error', gone))
        }
      } else {
        mode = shell = new ShellMode(channel, io, handleSignals)
      }
      await mode.start()
    }

    let heard = false
    const onMessage = async (message: ClientMessage) => {
      heard = true
      clearTimeout(firstWord)
      switch (message.payloadType) {
        case PayloadType.handshakeRequest: {
          const request = JSON.parse(message.payload.toString('utf8')) as HandshakeRequest
          agentVersion = request.AgentVersion ?? ''
          const outcome = await answerHandshake(request, (keyId) => generateSessionKey(options.kms(), keyId, options.sessionId, options.targetId))
          session = outcome.session
          channel.send(PayloadType.handshakeResponse, Buffer.from(JSON.stringify(outcome.response)))
          if (outcome.cipher) channel.cipher = outcome.cipher
          for (const e of outcome.response.Errors) options.warn(`warning: ${e}`)
          return
        }
        case PayloadType.encChallengeRequest: {
          if (!channel.cipher) throw new NativeSessionError('the agent sent an encryption challenge before encryption was set up')
          const challenge = Buffer.from(String(JSON.parse(message.payload.toString('utf8')).Challenge ?? ''), 'base64')
          const answer = channel.cipher.encrypt(channel.cipher.decrypt(challenge))
          channel.send(PayloadType.encChallengeResponse, Buffer.from(JSON.stringify({Challenge: answer.toString('base64')})))
          return
        }
        case PayloadType.handshakeComplete: {
          const complete = parseHandshakeComplete(message.payload, channel.cipher)
          if (complete.CustomerMessage) options.warn(complete.CustomerMessage)
          if (!session) throw new NativeSessionError('the handshake ended without a session type')
          await startMode(session)
          return
        }
        default:
          // an agent that skips the handshake starts a shell right away
          if (!mode && message.payloadType === PayloadType.output) await startMode({sessionType: 'Standard_Stream', properties: {}})
          await mode?.onMessage(message)
      }
    }
    channel.onData(onMessage)
    channel.on('closed', (output: string) => {
      const text = output ? `\n\nSessionId: ${options.sessionId} : ${output}\n\n` : `\n\nExiting session with sessionId: ${options.sessionId}.\n\n`
      ;(shell ? io.stdout : io.stderr).write(text)
      finish({code: shell?.exitCode ?? 0})
    })
    channel.on('error', (error: Error) => finish(new NativeSessionError(error.message)))

    const bySignal = async (signal: NodeJS.Signals) => {
      if (finished) return
      if (session?.sessionType === 'Port' && agentNewerThan(agentVersion, TERMINATE_FLAG_AFTER)) {
        channel.send(PayloadType.flag, flagPayload(Flag.terminateSession))
        await channel.flushed(1000)
      }
      finish({code: session?.sessionType === 'Port' ? 0 : signalExitCode(signal), signal})
    }
    if (handleSignals && process.platform !== 'win32') {
      // a shell passes SIGINT on as a byte (ShellMode); everything else ends the session
      const ending: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP']
      const onInt = () => {
        if (!shell) void bySignal('SIGINT')
      }
      process.on('SIGINT', onInt)
      cleanups.push(() => process.off('SIGINT', onInt))
      for (const s of ending) {
        const fn = () => void bySignal(s)
        process.on(s, fn)
        cleanups.push(() => process.off(s, fn))
      }
    }
    if (options.abort) {
      const onAbort = () => void bySignal('SIGTERM')
      if (options.abort.aborted) onAbort()
      options.abort.addEventListener('abort', onAbort)
      cleanups.push(() => options.abort!.removeEventListener('abort', onAbort))
    }

    channel.open().then(
      () => {
        if (finished || heard) return
        firstWord = setTimeout(
          () => finish(new NativeSessionError(`the agent did not start session ${options.sessionId} within ${Math.round(timeout / 1000)} s`)),
          timeout,
        )
      },
      (error: Error) => finish(new NativeSessionError(error.message)),
    )
  })
}
