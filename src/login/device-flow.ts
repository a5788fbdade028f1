import {setTimeout as delay} from 'node:timers/promises'

import {mapAwsError} from '../aws/errors.js'
import type {SsoOidc} from '../aws/ports.js'
import {SsmxError, awsErrorName} from '../errors.js'
import {type CachedSsoToken, type SsoSignIn, describeSignIn, isoSeconds} from './sso-cache.js'

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
/** RFC 8628: poll every 5 s unless told otherwise; add 5 s on every slow_down. */
const DEFAULT_INTERVAL_S = 5
const SLOW_DOWN_S = 5
const DEFAULT_EXPIRES_S = 600

export interface DeviceFlowDeps {
  /** an SSO OIDC client for the sso_region (AwsContext.anonymousClient) */
  oidc: SsoOidc
  /** tries to open the URL in a browser; false when it could not */
  openBrowser: (url: string) => Promise<boolean>
  /** progress lines for the user (stderr) */
  notify: (line: string) => void
  /** the profile, for messages */
  profile: string
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

/** The registration's client name, as the AWS CLI's `botocore-client-<session>`. */
export const clientName = (s: SsoSignIn): string => (s.form === 'sso-session' ? `ssmx-${s.key}` : 'ssmx')

/**
 * IAM Identity Center's OAuth device authorization (RFC 8628), as `aws sso login --use-device-code` does it:
 * register a public client, start the device authorization, show the user the URL and code (and try the
 * browser), then poll CreateToken honouring `interval`, `authorization_pending` and `slow_down` until the
 * code's `expiresIn`. Returns the token record for the cache; never prints a token.
 */
export async function deviceAuthorization(signIn: SsoSignIn, deps: DeviceFlowDeps): Promise<CachedSsoToken> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms))
  const now = deps.now ?? Date.now
  const fail = (operation: string) => (e: unknown) => Promise.reject(mapAwsError(e, {profile: deps.profile, operation: `SSO OIDC ${operation}`}))
  const registration = await deps.oidc
    .registerClient({clientName: clientName(signIn), clientType: 'public', ...(signIn.scopes.length > 0 ? {scopes: signIn.scopes} : {})})
    .catch(fail('RegisterClient'))
  const client = {clientId: registration.clientId ?? '', clientSecret: registration.clientSecret ?? ''}
  const started = now()
  const auth = await deps.oidc.startDeviceAuthorization({...client, startUrl: signIn.startUrl}).catch(fail('StartDeviceAuthorization'))
  await showSignIn(signIn, deps, auth.verificationUriComplete ?? auth.verificationUri ?? signIn.startUrl, auth.userCode)

  let intervalMs = (auth.interval ?? DEFAULT_INTERVAL_S) * 1000
  const deadline = started + (auth.expiresIn ?? DEFAULT_EXPIRES_S) * 1000
  for (;;) {
    if (now() + intervalMs > deadline) {
      throw new SsmxError('ssoExpired', `The sign-in was not approved before the code expired (${Math.round((deadline - started) / 60_000)} min).`, [
        `Run it again: ssmx login --profile ${deps.profile}`,
      ])
    }
    await sleep(intervalMs)
    let token: Awaited<ReturnType<SsoOidc['createToken']>>
    try {
      token = await deps.oidc.createToken({...client, grantType: DEVICE_CODE_GRANT, deviceCode: auth.deviceCode})
    } catch (error) {
      if (keepPolling(error, deps.profile) === 'slow-down') intervalMs += SLOW_DOWN_S * 1000
      continue
    }
    return tokenRecord(signIn, client, registration, token, now())
  }
}

/** Shows the user the URL and code, and tries the browser. */
async function showSignIn(signIn: SsoSignIn, deps: DeviceFlowDeps, url: string, userCode: string | undefined): Promise<void> {
  const opened = await deps.openBrowser(url).catch(() => false)
  deps.notify(opened ? `Opened the IAM Identity Center sign-in page in your browser. If it did not open, go to:` : 'Open this page in a browser to sign in:')
  deps.notify(`  ${url}`)
  deps.notify(`and check that it shows the code: ${userCode ?? '(none)'}`)
  deps.notify(`Waiting for you to approve the sign-in for ${describeSignIn(signIn)}…`)
}

/** A CreateToken error while polling: keep polling ('pending'), poll slower ('slow-down'), or throw what it means. */
function keepPolling(error: unknown, profile: string): 'pending' | 'slow-down' {
  const name = awsErrorName(error)
  if (name === 'AuthorizationPendingException') return 'pending'
  if (name === 'SlowDownException') return 'slow-down'
  if (name === 'ExpiredTokenException') {
    throw new SsmxError('ssoExpired', 'The sign-in code expired before it was approved.', [`Run it again: ssmx login --profile ${profile}`], {
      cause: error,
    })
  }
  if (name === 'AccessDeniedException') {
    throw new SsmxError('accessDenied', 'The sign-in was denied in the browser.', [`Run it again and choose Allow: ssmx login --profile ${profile}`], {
      cause: error,
    })
  }
  throw mapAwsError(error, {profile, operation: 'SSO OIDC CreateToken'})
}

/** The token record for the cache; an sso-session keeps the registration and refresh token. */
function tokenRecord(
  signIn: SsoSignIn,
  client: {clientId: string; clientSecret: string},
  registration: Awaited<ReturnType<SsoOidc['registerClient']>>,
  token: Awaited<ReturnType<SsoOidc['createToken']>>,
  at: number,
): CachedSsoToken {
  const expiresAt = isoSeconds(at + (token.expiresIn ?? 0) * 1000)
  return {
    startUrl: signIn.startUrl,
    region: signIn.region,
    accessToken: token.accessToken,
    expiresAt,
    ...(signIn.form === 'sso-session'
      ? {
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          registrationExpiresAt: isoSeconds((registration.clientSecretExpiresAt ?? 0) * 1000),
          refreshToken: token.refreshToken,
        }
      : {}),
  }
}
