/**
 * Shell sessions: the local terminal in raw mode (restored on every way out), keystrokes sent as Output
 * payloads (Ctrl-C, Ctrl-Z and Ctrl-\ are just bytes), the terminal size sent at the start and on every
 * resize, the agent's Output written to stdout and StdErr to stderr.
 */
import {type DataChannel, firstEvent} from './channel.js'
import {type ClientMessage, PayloadType} from './message.js'
import type {SessionIo, SessionMode} from './types.js'

/** The plugin reads and sends keystrokes in chunks of at most this many bytes. */
export const INPUT_CHUNK = 1024

const SIGNAL_BYTES: Partial<Record<NodeJS.Signals, number>> = {SIGINT: 0x03, SIGTSTP: 0x1a, SIGQUIT: 0x1c}

export function chunks(data: Buffer, size = INPUT_CHUNK): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size))
  return out
}

export class ShellMode implements SessionMode {
  private restoreRaw?: () => void
  private readonly cleanups: Array<() => void> = []
  private lastSize = ''
  exitCode?: number

  constructor(
    private readonly channel: DataChannel,
    private readonly io: SessionIo,
    private readonly handleSignals: boolean,
  ) {}

  start(): void {
    const {stdin, stdout} = this.io
    if (stdin.isTTY && stdin.setRawMode) {
      const tty = stdin as {setRawMode: (raw: boolean) => void; isRaw?: boolean}
      const wasRaw = Boolean(tty.isRaw)
      tty.setRawMode(true)
      this.restoreRaw = () => tty.setRawMode(wasRaw)
      // the last line of defence: a crash or process.exit still gives the terminal back
      process.once('exit', this.restoreRaw)
      this.cleanups.push(() => process.off('exit', this.restoreRaw!))
    }
    const onData = (data: Buffer | string) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data
      // a lone newline is Enter: the agent's terminal expects a carriage return
      if (bytes.length === 1 && bytes[0] === 0x0a) return this.channel.send(PayloadType.output, Buffer.from([0x0d]))
      for (const c of chunks(bytes)) this.channel.send(PayloadType.output, c)
    }
    stdin.on('data', onData)
    stdin.resume()
    this.cleanups.push(() => {
      stdin.off('data', onData)
      stdin.pause()
    })
    const sendSize = () => this.sendSize()
    sendSize()
    if (stdout.isTTY) {
      stdout.on('resize', sendSize)
      this.cleanups.push(() => stdout.off('resize', sendSize))
    }
    if (this.handleSignals && process.platform !== 'win32') {
      process.on('SIGWINCH', sendSize)
      this.cleanups.push(() => process.off('SIGWINCH', sendSize))
      // when the terminal is not raw (stdin not a TTY) the signals arrive here: pass them on as bytes
      for (const [signal, byte] of Object.entries(SIGNAL_BYTES) as Array<[NodeJS.Signals, number]>) {
        const forward = () => this.channel.send(PayloadType.output, Buffer.from([byte]))
        process.on(signal, forward)
        this.cleanups.push(() => process.off(signal, forward))
      }
    }
  }

  sendSize(): void {
    const {stdout} = this.io
    const cols = stdout.columns || 300
    const rows = stdout.rows || 100
    const size = JSON.stringify({cols, rows})
    if (size === this.lastSize) return
    this.lastSize = size
    this.channel.send(PayloadType.size, Buffer.from(size))
  }

  async onMessage(message: ClientMessage): Promise<void> {
    switch (message.payloadType) {
      case PayloadType.output:
        return write(this.io.stdout, message.payload)
      case PayloadType.stdErr:
      case PayloadType.error:
        return write(this.io.stderr, message.payload)
      case PayloadType.exitCode: {
        // the agent sends text: "EXIT_CODE: 3"
        const code = /(\d+)\s*$/.exec(message.payload.toString('utf8'))?.[1]
        if (code !== undefined && Number(code) < 256) this.exitCode = Number(code)
        return
      }
      default:
    }
  }

  stop(): void {
    for (const c of this.cleanups.splice(0)) c()
    this.restoreRaw?.()
    this.restoreRaw = undefined
  }
}

/** Writes and waits for the stream to take more when it is full. */
export function write(stream: NodeJS.WritableStream, data: Buffer): Promise<void> | void {
  if (stream.write(data)) return
  return firstEvent(stream, ['drain', 'close'])
}
