/**
 * Polls `ok` until it holds, or fails once the deadline passes: the tests' one way to wait (no fixed sleeps).
 * `detail` adds context to the timeout message (e.g. the terminal output so far).
 */
export async function until(what: string, ok: () => boolean, timeoutMs = 15_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
