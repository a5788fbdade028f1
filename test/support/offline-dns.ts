/**
 * Preload for the built CLI (NODE_OPTIONS=--import <this file, compiled>): the machine as a user meets it offline or
 * with the VPN down. Every host name but localhost fails to resolve (ENOTFOUND, or OFFLINE_DNS_CODE, e.g. EAI_AGAIN),
 * exactly as getaddrinfo reports it, and no DNS query leaves the machine: the lookup is answered here. IP literals
 * (127.0.0.1: FakeAws, proxies) never go through dns.lookup, so they still connect.
 */
import dns from 'node:dns'
import {appendFileSync} from 'node:fs'
import {syncBuiltinESMExports} from 'node:module'

const code = process.env.OFFLINE_DNS_CODE || 'ENOTFOUND'
const realLookup = dns.lookup
const realPromisesLookup = dns.promises.lookup
/** OFFLINE_DNS_LOG: a file that gets one line per name looked up (what the test asserts: AWS's real host names). */
const record = (hostname: string) => process.env.OFFLINE_DNS_LOG && appendFileSync(process.env.OFFLINE_DNS_LOG, `${hostname}\n`)

const local = (hostname: string) => hostname === 'localhost' || hostname.endsWith('.localhost')

function failure(hostname: string): NodeJS.ErrnoException & {hostname: string} {
  const error = Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), {
    code,
    errno: code === 'ENOTFOUND' ? -3008 : -3001,
    syscall: 'getaddrinfo',
    hostname,
  })
  return error
}

function offlineLookup(hostname: string, ...rest: unknown[]): void {
  if (local(hostname)) return (realLookup as (...a: unknown[]) => void)(hostname, ...rest)
  const callback = rest.at(-1) as (error: Error) => void
  record(hostname)
  process.nextTick(() => callback(failure(hostname)))
}

dns.lookup = offlineLookup as typeof dns.lookup
dns.promises.lookup = (async (hostname: string, options?: unknown) => {
  if (local(hostname)) return realPromisesLookup(hostname, options as dns.LookupOptions)
  record(hostname)
  throw failure(hostname)
}) as typeof dns.promises.lookup
syncBuiltinESMExports()
