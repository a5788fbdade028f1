/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY, honoured like the AWS CLI and session-manager-plugin do, through Node's
 * built-in proxy support (the `proxyEnv` option of http.Agent and https.Agent). Nothing here imports anything:
 * with no proxy variable set, AWS clients keep the SDK's own request handler untouched.
 */

/** The variables that turn a proxy on; Node reads the lower-case one first when both are set. */
const PROXY_VARS = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const
const NO_PROXY_VARS = ['no_proxy', 'NO_PROXY'] as const

/** Node versions whose http(s).Agent accepts `proxyEnv`: 22.21+, 24.5+, 25+ (Node 23 never got it). */
export const PROXY_NODE_VERSIONS = '22.21, 24.5 or newer'

export function nodeSupportsProxyEnv(version: string = process.versions.node): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number)
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21)
}

/** true when any proxy variable is set (not empty) */
export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return PROXY_VARS.some((name) => Boolean(env[name]))
}

/**
 * The SDK's `requestHandler` for a proxy: NodeHttpHandler options whose agent options add `proxyEnv` (the SDK
 * still builds the agents, with its own keepAlive and maxSockets), or undefined when no proxy variable is set.
 * Credential providers take the same value in `clientConfig` for their inner SSO, STS and SSO OIDC clients.
 */
export function proxyRequestHandler(env: NodeJS.ProcessEnv): {httpAgent: {proxyEnv: NodeJS.ProcessEnv}; httpsAgent: {proxyEnv: NodeJS.ProcessEnv}} | undefined {
  if (!proxyConfigured(env)) return undefined
  return {httpAgent: {proxyEnv: env}, httpsAgent: {proxyEnv: env}}
}

/** `http://user:secret@proxy:3128` → `http://<redacted>@proxy:3128`, in any text (URLs, error messages). */
export function redactUrlCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z\d+.-]*:\/\/)[^\s/@]+@/gi, '$1<redacted>@')
}

/** One line for `ssmx doctor`: each proxy variable in effect (credentials redacted) and NO_PROXY; undefined when none. */
export function describeProxy(env: NodeJS.ProcessEnv): string | undefined {
  if (!proxyConfigured(env)) return undefined
  const pick = (names: readonly string[]) => names.find((name) => env[name])
  const parts: string[] = []
  const https = pick(PROXY_VARS.slice(0, 2))
  const http = pick(PROXY_VARS.slice(2))
  const none = pick(NO_PROXY_VARS)
  parts.push(https ? `https via ${redactUrlCredentials(env[https]!)} (${https})` : 'https direct (no HTTPS_PROXY)')
  if (http) parts.push(`http via ${redactUrlCredentials(env[http]!)} (${http})`)
  if (none) parts.push(`except ${env[none]} (${none})`)
  return parts.join('; ')
}
