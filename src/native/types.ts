import type {ClientMessage} from './message.js'

export interface SessionIo {
  stdin: NodeJS.ReadableStream & {isTTY?: boolean; setRawMode?: (raw: boolean) => unknown; isRaw?: boolean}
  stdout: NodeJS.WritableStream & {isTTY?: boolean; columns?: number; rows?: number}
  stderr: NodeJS.WritableStream
}

/** What runs once the session type is known: a shell, a port forwarder, or a stdio stream. */
export interface SessionMode {
  start(): void | Promise<void>
  onMessage(message: ClientMessage): void | Promise<void>
  /** releases the terminal, listeners, sockets; safe to call more than once */
  stop(): void
}
