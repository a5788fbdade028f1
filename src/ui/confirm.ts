import {createInterface} from 'node:readline/promises'

import {SsmxError} from '../errors.js'

/**
 * Asks a yes/no question on the terminal (the question on `output`, default stderr); Enter means yes.
 * Ctrl-C cancels (exit code 130), end of input means no. Only call it when stdin is a terminal.
 */
export async function confirm(question: string, io: {input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream} = {}): Promise<boolean> {
  const rl = createInterface({input: io.input ?? process.stdin, output: io.output ?? process.stderr})
  const abort = new AbortController()
  let cancelled = false
  rl.once('SIGINT', () => {
    cancelled = true
    abort.abort()
  })
  rl.once('close', () => abort.abort())
  try {
    const answer = (await rl.question(question, {signal: abort.signal})).trim().toLowerCase()
    return answer === '' || answer === 'y' || answer === 'yes'
  } catch (error) {
    if (cancelled) throw new SsmxError('cancelled', 'Cancelled.')
    if (abort.signal.aborted) return false
    throw error
  } finally {
    rl.close()
  }
}
