// The options every native-client benchmark passes to runNativeSession: the agent's session, no KMS, no signal
// handling, quiet. `io`, `abort` and `onListening` are each benchmark's own.
export function benchSessionOptions(session, {io, abort, onListening}) {
  return {
    sessionId: session.SessionId,
    streamUrl: session.StreamUrl,
    token: session.TokenValue,
    targetId: 'i-0123456789abcdef0',
    kms: () => {
      throw new Error('no KMS in benchmarks')
    },
    io,
    signals: false,
    abort: abort.signal,
    onListening,
    warn: () => {},
  }
}
