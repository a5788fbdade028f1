import {SsmxError, awsErrorName, bugError, errorMessage, isProgrammingError, isSsmxError} from '../errors.js'
import {redactUrlCredentials} from './proxy.js'

export interface ErrorContext {
  profile: string
  operation?: string
  document?: string
  target?: string
  /** the caller's permission set and the document ssmx admin guardrails pins it to */
  pinned?: {permissionSet: string; document: string}
}

/** Node's codes for a request that never reached AWS (after the SDK's retries). */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'])

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
])

/**
 * Turns what the SDK throws into an SsmxError with a next step and its own exit code.
 * Credential messages are the SDK's own (they name the profile, never a secret).
 */
export function mapAwsError(error: unknown, c: ErrorContext): SsmxError {
  if (isSsmxError(error)) return error
  const name = awsErrorName(error) ?? ''
  // a proxy URL in a network error may hold user:password
  const message = redactUrlCredentials(errorMessage(error))
  const mapped = credentialProblem(error, name, message, c) ?? callProblem(error, name, message, c)
  if (mapped) return mapped
  // a TypeError in ssmx's own code that reached an AWS call's error path is still a bug, not an AWS error
  if (isProgrammingError(error)) return bugError(error)
  return new SsmxError(
    'internal',
    `${c.operation ?? 'AWS call'} failed: ${name ? `${name}: ` : ''}${message}`,
    ['Run again with --debug to see every AWS call.'],
    {cause: error},
  )
}

/** A credential provider's failure (or an SSO token message), or undefined when it is not one. */
function credentialProblem(error: unknown, name: string, message: string, c: ErrorContext): SsmxError | undefined {
  const login = `aws sso login --profile ${c.profile}`
  const credentialError = name === 'CredentialsProviderError' || name === 'TokenProviderError'
  // First: a credential provider that could not reach IAM Identity Center or STS (offline, VPN or DNS down, a proxy
  // that is down). Its message names the host ("getaddrinfo ENOTFOUND portal.sso.eu-west-1.amazonaws.com"), which
  // must not be read as an SSO token problem: the cached sign-in may be perfectly valid.
  if (credentialError && networkCodeIn(message)) return unreachable(error, message, c)
  if ((credentialError && /\bsso\b|token/i.test(message)) || /\bsso\b.*(token|session)/i.test(message)) {
    // The SDK says "…has expired…" for an expired token and "…not found or is invalid…" for a missing one.
    // The message stays the same for both (the login offer quotes it); the next step says which it is.
    const why = /expired/i.test(message) ? 'The sign-in has expired.' : 'No valid SSO token is cached for it (not signed in, or signed out).'
    return new SsmxError(
      'ssoExpired',
      `The SSO session for profile "${c.profile}" is missing or expired.`,
      [`${why} Run: ${login}  (or: ssmx login --profile ${c.profile})`],
      {cause: error},
    )
  }
  if (credentialError && /ForbiddenException|No access/.test(message)) {
    return new SsmxError(
      'credentials',
      `IAM Identity Center refused role credentials for profile "${c.profile}": ${message}`,
      [
        `Your user may not be assigned the profile's permission set (sso_role_name) in its account (sso_account_id); check them in ~/.aws/config or re-create the profile with: aws configure sso --profile ${c.profile}`,
      ],
      {cause: error},
    )
  }
  if (credentialError) {
    return new SsmxError(
      'credentials',
      `No AWS credentials found for profile "${c.profile}": ${message}`,
      [`Sign in with an IAM Identity Center profile (aws configure sso --profile ${c.profile}), or set AWS_PROFILE / AWS_ACCESS_KEY_ID.`],
      {cause: error},
    )
  }
  return undefined
}

/** An AWS call's known failure (rejected credentials, target, access, throttling, network, document), or undefined. */
function callProblem(error: unknown, name: string, message: string, c: ErrorContext): SsmxError | undefined {
  if (name === 'UnauthorizedException' || name === 'UnrecognizedClientException' || name === 'ExpiredTokenException' || name === 'InvalidClientTokenId') {
    return new SsmxError(
      'ssoExpired',
      `AWS rejected the credentials of profile "${c.profile}" (${name}).`,
      [`Refresh them: aws sso login --profile ${c.profile}`],
      {cause: error},
    )
  }
  if (name === 'TargetNotConnected') return targetNotConnected(error, c)
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') return accessDenied(error, c)
  if (THROTTLING.has(name)) {
    return new SsmxError('throttled', `AWS kept throttling ${c.operation ?? 'the request'} after several retries.`, ['Wait a moment and try again.'], {
      cause: error,
    })
  }
  const networkCode = (error as {code?: unknown} | undefined)?.code
  if (typeof networkCode === 'string' && NETWORK.has(networkCode)) return unreachable(error, message, c)
  if (name === 'InvalidDocument') {
    return new SsmxError(
      'document',
      `The session document ${c.document ?? ''} does not exist in this account and region.`,
      ['Ask your platform team to deploy it (ssmx admin enforce), or pass --document.'],
      {cause: error},
    )
  }
  if (name === 'InvalidInstanceId' || name === 'InvalidInstanceID.NotFound' || name === 'InvalidInstanceID.Malformed') {
    return new SsmxError(
      'target',
      `${c.target ?? 'The target'} was not found: ${message}`,
      ['Check the id, region and profile; ssmx list shows the managed instances.'],
      {cause: error},
    )
  }
  return undefined
}

function targetNotConnected(error: unknown, c: ErrorContext): SsmxError {
  return new SsmxError(
    'targetNotConnected',
    `${c.target ?? 'The target'} is not connected to Session Manager.`,
    [
      'Check the SSM agent is running and the instance can reach SSM (instance profile with AmazonSSMManagedInstanceCore, network route or VPC endpoints).',
      'ssmx list shows each instance’s agent ping status.',
    ],
    {cause: error},
  )
}

function accessDenied(error: unknown, c: ErrorContext): SsmxError {
  const what = c.document ? ` with the document ${c.document}` : ''
  if (c.document && c.pinned && c.pinned.document !== c.document) {
    return new SsmxError(
      'accessDenied',
      `Access denied: ${c.operation ?? 'the AWS call'}${what}${c.target ? ` on ${c.target}` : ''}. Your permission set ${c.pinned.permissionSet} is pinned to the document ${c.pinned.document} (ssmx admin guardrails), so sessions with other documents are denied.`,
      [
        `Connect without --document (ssmx uses ${c.pinned.document}), or ask your platform team to deploy ${c.pinned.document} where it is missing (ssmx admin enforce).`,
      ],
      {cause: error},
    )
  }
  return new SsmxError(
    'accessDenied',
    `Access denied: ${c.operation ?? 'the AWS call'}${what}${c.target ? ` on ${c.target}` : ''}.`,
    [
      c.document
        ? `Your permission set may not be allowed to use ${c.document}; ask your platform team, or check with: ssmx whoami`
        : 'Check the permissions of your role with your platform team.',
    ],
    {cause: error},
  )
}

/** The network error code (ENOTFOUND, ECONNREFUSED, …) a message names, if any. */
export function networkCodeIn(message: string): string | undefined {
  return [...NETWORK].find((code) => new RegExp(`\\b${code}\\b`).test(message))
}

/** The host a network error names: "getaddrinfo ENOTFOUND host" or "connect ECONNREFUSED 1.2.3.4:443". */
function hostIn(message: string): string | undefined {
  return /\b(?:getaddrinfo|connect)\s+[A-Z_]+\s+([^\s,;)]+)/.exec(message)?.[1]
}

/** IAM Identity Center's hosts: the portal (role credentials) and OIDC (sign-in, token refresh). */
const IDENTITY_CENTER_HOST = /^(portal\.sso|oidc)\.[a-z0-9-]+\.amazonaws\.com(\.cn)?(:\d+)?$/

function unreachable(error: unknown, message: string, c: ErrorContext): SsmxError {
  const host = hostIn(message)
  const network =
    'Check your network, VPN and proxy (HTTPS_PROXY, NO_PROXY; ssmx doctor shows the proxy in use), and any endpoint override (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, --endpoint-url).'
  if (host && IDENTITY_CENTER_HOST.test(host)) {
    return new SsmxError(
      'unreachable',
      `Cannot reach IAM Identity Center (${host}) for profile "${c.profile}": ${message.replace(/^Error: /, '')}`,
      [
        network,
        'This is not an expired sign-in: signing in again needs the same network. Once IAM Identity Center can be reached, ssmx works with the current sign-in.',
      ],
      {cause: error},
    )
  }
  return new SsmxError('unreachable', `Cannot reach AWS for ${c.operation ?? 'the request'}: ${message}`, [network], {cause: error})
}
