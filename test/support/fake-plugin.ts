/**
 * A stand-in for session-manager-plugin. It records argv and environment to $FAKE_PLUGIN_LOG
 * (one JSON line per run, with the signals it received) and behaves per $FAKE_PLUGIN_MODE:
 *   exit (default)  exit with $FAKE_PLUGIN_EXIT (default 0)
 *   wait            print "plugin ready", then wait; SIGINT/SIGTERM/SIGHUP are recorded and printed;
 *                   the second SIGINT, or any SIGTERM/SIGHUP, ends it with $FAKE_PLUGIN_EXIT
 *   echo            copy stdin to stdout until stdin ends (ssh ProxyCommand relay)
 * With $FAKE_PLUGIN_CALLS (e.g. "ResumeSession,TerminateSession") it first calls those SSM operations for its session
 * at its endpoint argument, as the real plugin does on a reconnect or a failure (SDK, SigV4, its region and profile),
 * and records each outcome ({event: 'call', operation, ok, token?, error?}).
 */
import {appendFileSync} from 'node:fs'

const log = process.env.FAKE_PLUGIN_LOG
const record = (entry: Record<string, unknown>) => {
  if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`)
}

if (process.argv[2] === '--version') {
  process.stdout.write(`${process.env.FAKE_PLUGIN_VERSION ?? '1.2.707.0'}\n`)
  process.exit(0)
}

const args = process.argv.slice(2)
const exitCode = Number(process.env.FAKE_PLUGIN_EXIT ?? 0)
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AWS_') || k === 'HOME' || /^(https?|no)_proxy$/i.test(k)))
record({event: 'start', args, env, pid: process.pid})
const calls = (process.env.FAKE_PLUGIN_CALLS ?? '').split(',').filter(Boolean)
if (calls.length > 0) {
  const [first, region, , profile, , endpoint] = args
  const response = JSON.parse(first === 'AWS_SSM_START_SESSION_RESPONSE' ? process.env.AWS_SSM_START_SESSION_RESPONSE! : first) as {SessionId: string}
  const {ResumeSessionCommand, SSMClient, TerminateSessionCommand} = await import('@aws-sdk/client-ssm')
  const ssm = new SSMClient({region, endpoint, maxAttempts: 1, ...(profile ? {profile} : {})})
  for (const operation of calls) {
    const input = {SessionId: process.env.FAKE_PLUGIN_SESSION_ID ?? response.SessionId}
    try {
      const out = operation === 'ResumeSession' ? await ssm.send(new ResumeSessionCommand(input)) : await ssm.send(new TerminateSessionCommand(input))
      record({event: 'call', operation, ok: true, ...('TokenValue' in out ? {token: out.TokenValue} : {})})
    } catch (error) {
      record({event: 'call', operation, ok: false, error: (error as Error).name})
    }
  }
}
const mode = process.env.FAKE_PLUGIN_MODE ?? 'exit'
if (mode === 'exit') {
  process.exit(exitCode)
} else if (mode === 'echo') {
  process.stdin.pipe(process.stdout)
  process.stdin.on('end', () => process.exit(exitCode))
} else {
  let ints = 0
  const on = (signal: NodeJS.Signals) => {
    record({event: 'signal', signal})
    process.stdout.write(`plugin got ${signal}\n`)
    if (signal !== 'SIGINT' || ++ints >= 2) process.exit(exitCode)
  }
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => on(s))
  process.stdout.write('plugin ready\n')
  setInterval(() => {}, 1000)
}
