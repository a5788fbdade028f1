/**
 * Signals that arrive while a session is being started. Between StartSession and the hand-off to the plugin (or the
 * built-in client) nobody owns the session yet: Node's default action for SIGTERM, SIGHUP and SIGINT would end ssmx
 * and leave the session open on AWS until it times out. runSession defers them instead (deferSignals): the first one
 * is recorded, and once StartSession returns the session is terminated rather than handed over.
 */

/** The signals that end ssmx by default and that a user or a supervisor sends to stop it. */
export const DEFERRED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT']

/** Where signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown
  off(signal: NodeJS.Signals, listener: () => void): unknown
}

export interface SignalDeferral {
  /** the first signal that arrived since deferSignals, if any */
  readonly signal?: NodeJS.Signals
  /** removes the listeners (Node's default action is back unless someone else listens); safe to call twice */
  release(): void
}

export interface DeferOptions {
  /** default: process */
  source?: SignalSource
  /** default: DEFERRED_SIGNALS */
  signals?: readonly NodeJS.Signals[]
  /** called once, when the first signal arrives (to say what happens next) */
  onFirst?: (signal: NodeJS.Signals) => void
}

/**
 * Listens for the signals until release(): while it listens, none of them ends the process, and the first one to
 * arrive is kept in `signal` (later ones are ignored, so a second Ctrl-C cannot cut a clean-up short).
 */
export function deferSignals(options: DeferOptions = {}): SignalDeferral {
  const source = options.source ?? process
  let first: NodeJS.Signals | undefined
  const listeners = (options.signals ?? DEFERRED_SIGNALS).map(
    (s) =>
      [
        s,
        () => {
          if (first) return
          first = s
          options.onFirst?.(s)
        },
      ] as const,
  )
  for (const [s, fn] of listeners) source.on(s, fn)
  let released = false
  return {
    get signal() {
      return first
    },
    release() {
      if (released) return
      released = true
      for (const [s, fn] of listeners) source.off(s, fn)
    },
  }
}
