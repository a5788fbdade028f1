import {createInterface} from 'node:readline/promises'

import {SsmxError} from '../../errors.js'

export interface ConfirmStreams {
  input: NodeJS.ReadableStream & {isTTY?: boolean}
  output: NodeJS.WritableStream
}

/**
 * Asks a yes/no question on the terminal (prompt on stderr). Refuses without a terminal and names the
 * flag to pass instead; "no" (or anything but y/yes) is a cancellation.
 */
export async function confirmInTerminal(question: string, flag: string, streams: ConfirmStreams = {input: process.stdin, output: process.stderr}): Promise<void> {
  if (!streams.input.isTTY) {
    throw new SsmxError('usage', 'Not asking for confirmation: standard input is not a terminal.', [`Pass ${flag} to apply the changes shown, or --dry-run to only show them.`])
  }
  const rl = createInterface({input: streams.input, output: streams.output})
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase()
    if (answer !== 'y' && answer !== 'yes') throw new SsmxError('cancelled', 'Cancelled; nothing was changed.')
  } finally {
    rl.close()
  }
}
