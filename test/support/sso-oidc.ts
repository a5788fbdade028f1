/** FakeAws handlers for IAM Identity Center's OAuth device authorization (service `sso-oauth`). */
import {chmodSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {AwsFault, type FakeAws} from './fake-aws.js'

export const DEVICE = {
  clientId: 'client-id-NEW',
  clientSecret: 'client-secret-NEW-SECRET',
  deviceCode: 'device-code-123',
  userCode: 'ABCD-EFGH',
  verificationUri: 'https://device.sso.us-east-1.amazonaws.com/',
  verificationUriComplete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH',
  accessToken: 'NEW-ACCESS-TOKEN-SECRET',
  refreshToken: 'NEW-REFRESH-TOKEN-SECRET',
  /** 2030-01-01T00:00:00Z */
  clientSecretExpiresAt: 1_893_456_000,
}

/**
 * RegisterClient, StartDeviceAuthorization (with the given `interval` in seconds) and CreateToken, which
 * answers the device-code grant with `pending` (e.g. ['AuthorizationPendingException', 'SlowDownException'])
 * first, then the token; refresh-token grants fail as with an expired refresh token.
 */
export function deviceFlow(fake: FakeAws, options: {interval?: number; expiresIn?: number; pending?: string[]} = {}): FakeAws {
  const pending = [...(options.pending ?? [])]
  return fake
    .on('sso-oauth', 'RegisterClient', () => ({
      clientId: DEVICE.clientId,
      clientSecret: DEVICE.clientSecret,
      clientIdIssuedAt: Math.floor(Date.now() / 1000),
      clientSecretExpiresAt: DEVICE.clientSecretExpiresAt,
    }))
    .on('sso-oauth', 'StartDeviceAuthorization', () => ({
      deviceCode: DEVICE.deviceCode,
      userCode: DEVICE.userCode,
      verificationUri: DEVICE.verificationUri,
      verificationUriComplete: DEVICE.verificationUriComplete,
      expiresIn: options.expiresIn ?? 600,
      interval: options.interval ?? 0,
    }))
    .on('sso-oauth', 'CreateToken', (input) => {
      if (input.grantType === 'refresh_token') throw new AwsFault('InvalidGrantException', 'refresh token expired')
      const next = pending.shift()
      if (next) throw new AwsFault(next, next)
      return {accessToken: DEVICE.accessToken, tokenType: 'Bearer', expiresIn: 8 * 3600, refreshToken: DEVICE.refreshToken}
    })
}

/** A $BROWSER that records the URL it is asked to open into <dir>/browser.log. */
export function recordingBrowser(dir: string): {command: string; log: string} {
  const command = join(dir, 'browser')
  const log = join(dir, 'browser.log')
  writeFileSync(command, `#!/bin/sh\nprintf '%s\\n' "$1" >> "${log}"\n`)
  chmodSync(command, 0o755)
  return {command, log}
}
