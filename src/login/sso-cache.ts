import {readFile} from 'node:fs/promises'
import {dirname} from 'node:path'

import {getSSOTokenFilepath} from '@smithy/core/config'

import {writePrivateJson} from '../aws/credential-cache.js'
import type {AwsProfile} from '../aws/profile.js'
import {SsmxError} from '../errors.js'

/** Where an IAM Identity Center sign-in happens and under which key the SDK caches its token. */
export interface SsoSignIn {
  /** the cache key: the sso-session name, or the start URL for the legacy form */
  key: string
  form: 'sso-session' | 'legacy'
  startUrl: string
  /** the sso_region: where the SSO OIDC endpoint is */
  region: string
  /** sso_registration_scopes (sso-session form only) */
  scopes: string[]
}

/** The token cache file as the AWS CLI and the SDK write and read it (~/.aws/sso/cache/<sha1 of key>.json). */
export interface CachedSsoToken {
  startUrl?: string
  region?: string
  accessToken?: string
  /** ISO 8601 */
  expiresAt?: string
  clientId?: string
  clientSecret?: string
  registrationExpiresAt?: string
  refreshToken?: string
}

/** sso-session registrations default to this scope, as the AWS CLI does. */
export const DEFAULT_SSO_SCOPES = ['sso:account:access']

/** The profile's sign-in settings, or undefined when it is not an IAM Identity Center profile. */
export function ssoSignIn(profile: AwsProfile | undefined): SsoSignIn | undefined {
  if (!profile?.ssoStartUrl) return undefined
  if (!profile.ssoRegion) {
    throw new SsmxError('config', `Profile "${profile.name}" has sso_start_url but no sso_region.`, [
      `Add sso_region, or run: aws configure sso --profile ${profile.name}`,
    ])
  }
  const scopes = profile.ssoRegistrationScopes
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return profile.ssoSession
    ? {
        key: profile.ssoSession,
        form: 'sso-session',
        startUrl: profile.ssoStartUrl,
        region: profile.ssoRegion,
        scopes: scopes?.length ? scopes : DEFAULT_SSO_SCOPES,
      }
    : {key: profile.ssoStartUrl, form: 'legacy', startUrl: profile.ssoStartUrl, region: profile.ssoRegion, scopes: []}
}

/** How the user names the sign-in in messages. */
export const describeSignIn = (s: SsoSignIn): string => (s.form === 'sso-session' ? `sso-session ${s.key}` : `start URL ${s.startUrl}`)

/** The cache file path the SDK reads for this key (HOME as the SDK resolves it). */
export const ssoTokenPath = (key: string): string => getSSOTokenFilepath(key)

/** Reads the cached token; `token` is undefined when there is no file. Never logs its contents. */
export async function readSsoToken(key: string): Promise<{path: string; token?: CachedSsoToken}> {
  const path = ssoTokenPath(key)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {path}
    throw new SsmxError('ssoExpired', `Cannot read the SSO token cache ${path}: ${(error as Error).message}`, [
      'Check its permissions, or sign in again: ssmx login',
    ])
  }
  try {
    return {path, token: JSON.parse(text) as CachedSsoToken}
  } catch {
    throw new SsmxError('ssoExpired', `The SSO token cache ${path} is not valid JSON.`, ['Sign in again: ssmx login (it rewrites the file)'])
  }
}

/**
 * Writes the token where the SDK and the AWS CLI look for it, owner-only: the file 0600 (written to a
 * temporary name and renamed, so a reader never sees half a file), its directory 0700.
 */
export async function writeSsoToken(key: string, token: CachedSsoToken): Promise<string> {
  const path = ssoTokenPath(key)
  await writePrivateJson(path, dirname(path), token)
  return path
}

/** `2026-11-22T09:49:00Z`: UTC without milliseconds, as the AWS CLI writes expiresAt. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** `7h 12m`, `3m`, `45s`, `2d 4h`: a rough duration for humans. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000))
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m`
  return `${s}s`
}
