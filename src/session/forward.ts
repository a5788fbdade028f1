import {createServer} from 'node:net'

import {SsmxError} from '../errors.js'
import {type SessionDeps, type SessionRequest, runSession} from './connect.js'

export const FORWARD_DOCUMENT = 'AWS-StartPortForwardingSession'
export const FORWARD_REMOTE_DOCUMENT = 'AWS-StartPortForwardingSessionToRemoteHost'

export interface ForwardSpec {
  /** 0: pick a free port */
  local: number
  remote: number
  /** a host reachable from the instance (RDS endpoint…); absent: the instance itself */
  host?: string
}

const portNumber = (text: string, what: string, allowZero: boolean): number => {
  const n = /^\d{1,5}$/.test(text.trim()) ? Number(text) : Number.NaN
  if (!Number.isInteger(n) || n > 65_535 || n < (allowZero ? 0 : 1)) {
    throw new SsmxError('usage', `"${text}" is not a valid ${what} port.`, [
      `Ports are 1–65535${allowZero ? ' (0 for the local side picks a free port)' : ''}, e.g. ssmx forward web-1 8080:80`,
    ])
  }
  return n
}

/** `5432` (same port locally), `15432:5432`, `0:5432`; `--local` overrides the local side. */
export function parseForwardSpec(spec: string, options: {local?: string; host?: string} = {}): ForwardSpec {
  const parts = spec.split(':')
  if (parts.length > 2) {
    throw new SsmxError('usage', `"${spec}" is not LOCAL:REMOTE.`, [
      'To reach another host through the instance use --host, e.g. ssmx forward bastion 5432:5432 --host db.example.internal',
    ])
  }
  const remote = portNumber(parts.at(-1)!, 'remote', false)
  const localText = options.local ?? (parts.length === 2 ? parts[0] : String(remote))
  const host = options.host?.trim()
  if (options.host !== undefined && !host)
    throw new SsmxError('usage', '--host is empty.', ['Pass the remote host name or IP, e.g. --host mydb.abc123.eu-west-1.rds.amazonaws.com'])
  return {local: portNumber(localText, 'local', true), remote, ...(host ? {host} : {})}
}

/** The document and parameters for AWS-StartPortForwardingSession / …ToRemoteHost (parameters are string lists). */
export function forwardDocument(spec: ForwardSpec & {local: number}): Pick<SessionRequest, 'fixedDocument' | 'parameters'> {
  const ports = {portNumber: [String(spec.remote)], localPortNumber: [String(spec.local)]}
  return spec.host ? {fixedDocument: FORWARD_REMOTE_DOCUMENT, parameters: {host: [spec.host], ...ports}} : {fixedDocument: FORWARD_DOCUMENT, parameters: ports}
}

/**
 * Checks the local port is free by binding it on 127.0.0.1 (where the plugin listens) and releasing it;
 * port 0 asks the OS for a free port. Returns the port. Runs before any AWS call.
 */
export function claimLocalPort(port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new SsmxError('usage', `Local port ${port} is already in use; no session was started.`, [
            `Pick another local port (ssmx forward <target> ${port + 1}:<remote>), or --local 0 for a free one.`,
            `See what holds it: lsof -nP -iTCP:${port} -sTCP:LISTEN`,
          ]),
        )
      } else if (error.code === 'EACCES') {
        reject(
          new SsmxError('usage', `Not allowed to listen on local port ${port}; no session was started.`, [
            'Ports below 1024 need privileges: use a higher local port, e.g. 8080:80.',
          ]),
        )
      } else {
        reject(new SsmxError('usage', `Cannot listen on local port ${port}: ${error.message}`, ['Pick another local port, or --local 0 for a free one.']))
      }
    })
    server.listen({port, host, exclusive: true}, () => {
      const {port: bound} = server.address() as {port: number}
      server.close(() => resolve(bound))
    })
  })
}

/** The one line that says what is forwarded where. */
export function describeForward(spec: ForwardSpec, target: {id: string; name?: string}): string {
  const via = `${target.id}${target.name ? ` (${target.name})` : ''}`
  const to = spec.host ? `${spec.host}:${spec.remote} through ${via}` : `port ${spec.remote} on ${via}`
  return `Forwarding localhost:${spec.local} → ${to}. Ctrl-C to stop.`
}

/**
 * Port forwarding: the local port is checked (or picked) before anything else, then the session runs
 * through connect's runner with Ctrl-C ending the plugin and TerminateSession always called at the end.
 */
export async function forwardPort(
  target: string,
  spec: ForwardSpec,
  deps: SessionDeps & {claim?: typeof claimLocalPort},
  options: {reason?: string; dryRun?: boolean; native?: boolean; broker?: boolean} = {},
): Promise<number> {
  const local = await (deps.claim ?? claimLocalPort)(spec.local)
  const resolved = {...spec, local}
  return runSession(
    {
      target,
      ...forwardDocument(resolved),
      reason: options.reason,
      dryRun: options.dryRun,
      native: options.native,
      broker: options.broker,
      terminate: 'always',
      interrupt: 'stop',
    },
    {...deps, onStarted: (plan) => deps.warn(describeForward(resolved, plan.target))},
  )
}
