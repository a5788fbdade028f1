/**
 * Runs the built CLI in a real pseudo-terminal (node-pty): the test types keys, waits for text on the
 * screen, and gets the exit code. Output is kept raw (with ANSI sequences); `since()` reads what came
 * after a mark, so a test can wait for a frame drawn after a key press.
 */
import * as pty from 'node-pty'

import {BIN} from './cli.js'
import {until} from './until.js'

export class PtyCli {
  private readonly proc: pty.IPty
  private buffer = ''
  readonly exited: Promise<{exitCode: number; signal?: number}>

  constructor(args: string[], options: {env: Record<string, string>; cwd?: string; cols?: number; rows?: number}) {
    this.proc = pty.spawn(process.execPath, [BIN, ...args], {
      name: 'xterm-256color',
      cols: options.cols ?? 120,
      rows: options.rows ?? 30,
      cwd: options.cwd,
      env: options.env,
    })
    this.proc.onData((d) => (this.buffer += d))
    this.exited = new Promise((resolve) => this.proc.onExit(resolve))
  }

  get pid(): number {
    return this.proc.pid
  }

  /** Everything written so far, without ANSI escape sequences. */
  text(from = 0): string {
    return stripAnsi(this.buffer.slice(from))
  }

  /** A mark for `waitFor(..., {from})`: the length of the raw output so far. */
  mark(): number {
    return this.buffer.length
  }

  write(keys: string): void {
    this.proc.write(keys)
  }

  /** Polls (every 20 ms, up to `timeoutMs`) until the output after `from` matches (or the predicate holds). */
  async waitFor(pattern: string | RegExp | (() => boolean), options: {from?: number; timeoutMs?: number} = {}): Promise<string> {
    const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : typeof pattern === 'function' ? pattern() : pattern.test(s))
    await until(
      String(pattern),
      () => test(this.text(options.from)),
      options.timeoutMs ?? 15_000,
      () => `screen:\n${this.text(options.from)}`,
    )
    return this.text(options.from)
  }

  /** Waits for the exit, killing the process after `timeoutMs`. */
  async exit(timeoutMs = 15_000): Promise<{exitCode: number; signal?: number}> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.proc.kill('SIGKILL')
        reject(new Error(`did not exit in ${timeoutMs} ms; screen:\n${this.text()}`))
      }, timeoutMs)
    })
    try {
      return await Promise.race([this.exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  kill(): void {
    try {
      this.proc.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
}

// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string): string => s.replace(/\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007]*\u0007|[()][A-Z0-9]|[=>NOM78c])/g, '')

export const KEY = {up: '\u001B[A', down: '\u001B[B', enter: '\r', escape: '\u001B', ctrlC: '\u0003', backspace: '\u007F'}
