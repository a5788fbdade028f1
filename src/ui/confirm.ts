import {createInterface} from 'node:readline/promises'
import {isatty} from 'node:tty'

import {SsmxError} from '../errors.js'
import {openKeyboard} from './keyboard.js'

/**
 * Asks a yes/no question on the terminal (the question on `output`, default stderr); Enter means yes
 * (`defaultNo`: Enter means no). Ctrl-C cancels (exit code 130), end of input means no. Only call it when stdin is a terminal.
 * Without `input` it reads the picker's keyboard (its own /dev/tty handle, closed once answered), so the
 * keys typed afterwards reach the session that follows, not this process.
 */
export async function confirm(
  question: string,
  io: {input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream; defaultNo?: boolean} = {},
): Promise<boolean> {
  const keyboard = io.input ? {stdin: io.input, release: () => {}} : openKeyboard()
  const rl = createInterface({input: keyboard.stdin, output: io.output ?? process.stderr})
  const abort = new AbortController()
  let cancelled = false
  rl.once('SIGINT', () => {
    cancelled = true
    abort.abort()
  })
  rl.once('close', () => abort.abort())
  try {
    const answer = (await rl.question(question, {signal: abort.signal})).trim().toLowerCase()
    return (answer === '' && !io.defaultNo) || answer === 'y' || answer === 'yes'
  } catch (error) {
    if (cancelled) throw new SsmxError('cancelled', 'Cancelled.')
    if (abort.signal.aborted) return false
    throw error
  } finally {
    rl.close()
    keyboard.release()
  }
}

/**
 * For changes that need an explicit yes: asks `question [y/N]` (Enter means no) when stdin and stderr are a
 * terminal; without one it refuses rather than guess, and says which flag answers yes.
 */
export async function confirmChange(
  question: string,
  options: {flag: string; action: string; input?: NodeJS.ReadStream; output?: NodeJS.WriteStream},
): Promise<boolean> {
  const output = options.output ?? process.stderr
  if (!(options.input ? options.input.isTTY : isatty(0)) || !output.isTTY) {
    throw new SsmxError('usage', `Not asking to ${options.action}: there is no terminal to answer in.`, [
      `Pass ${options.flag} to ${options.action} without a prompt (check the plan first with --dry-run).`,
    ])
  }
  return confirm(`${question} [y/N] `, {input: options.input, output, defaultNo: true})
}
