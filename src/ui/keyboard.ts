import {openSync} from 'node:fs'
import {ReadStream} from 'node:tty'

export interface Keyboard {
  stdin: NodeJS.ReadStream
  /** closes the handle (or pauses process.stdin): call it as soon as the answer is in */
  release: () => void
}

/**
 * The keyboard for a prompt (the picker, a yes/no question): its own handle on the terminal (/dev/tty),
 * closed by `release()`. Reading process.stdin instead leaves it open, and Node may go on reading the
 * terminal after the prompt, stealing the keys meant for the session (session-manager-plugin, ssh) that
 * follows. Falls back to process.stdin where there is no /dev/tty (Windows, no controlling terminal).
 */
export function openKeyboard(): Keyboard {
  if (process.platform !== 'win32') {
    try {
      const stdin = new ReadStream(openSync('/dev/tty', 'r')) as unknown as NodeJS.ReadStream
      return {stdin, release: () => stdin.destroy()}
    } catch {
      // no controlling terminal: use stdin
    }
  }
  return {stdin: process.stdin, release: () => process.stdin.pause()}
}
