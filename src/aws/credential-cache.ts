import {createHash} from 'node:crypto'
import {chmod, mkdir, readFile, rename, stat, unlink, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {isAbsolute, join} from 'node:path'

import {getSSOTokenFilepath} from '@smithy/core/config'
import type {AwsCredentialIdentity, AwsCredentialIdentityProvider} from '@smithy/types'

import {ssmxCacheDir} from '../platform/cache-dir.js'
import type {AwsProfile} from './profile.js'

/**
 * IAM Identity Center role credentials, cached across runs like the AWS CLI's ~/.aws/cli/cache: one file per
 * (start URL or sso-session, account, role, SSO token), owner-only (0600 in a 0700 directory), used until
 * REFRESH_MARGIN_MS before they expire. The SSO access token itself is never written: only a SHA-256 of it
 * goes into the file name, so logging in again (a new token) or out (no token) never reuses old credentials.
 */
export const REFRESH_MARGIN_MS = 10 * 60_000

/** ssmx's cache directory ($XDG_CACHE_HOME/ssmx) when XDG_CACHE_HOME is set (and absolute), else ~/.aws/ssmx/cache, beside the AWS CLI's. */
export function credentialCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return ssmxCacheDir(env)
  return join(env.HOME ?? homedir(), '.aws', 'ssmx', 'cache')
}

export interface SsoCredentialCacheOptions {
  profile: AwsProfile
  /** fetches fresh credentials (the SDK's chain for the profile); called at most once per cache miss */
  inner: AwsCredentialIdentityProvider
  env?: NodeJS.ProcessEnv
  /** default credentialCacheDir(env) */
  dir?: string
  now?: () => number
  /** where the SDK keeps the SSO token for a session name or start URL */
  tokenFile?: (key: string) => string
  /** told why the cache was not used (--debug); never given a secret */
  debug?: (line: string) => void
}

interface CacheFile {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration: string
  accountId?: string
  credentialScope?: string
  /** for people reading the directory: what these credentials are */
  ssoAccountId?: string
  ssoRoleName?: string
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

/** The cache file for a profile's role and the SSO token now on disk, or undefined when there is no token. */
async function cachePath(o: SsoCredentialCacheOptions, dir: string): Promise<string | undefined> {
  const {profile} = o
  const session = profile.ssoSession ?? profile.ssoStartUrl
  if (!session || !profile.ssoAccountId || !profile.ssoRoleName) return undefined
  let accessToken: unknown
  try {
    accessToken = JSON.parse(await readFile((o.tokenFile ?? getSSOTokenFilepath)(session), 'utf8')).accessToken
  } catch {
    return undefined
  }
  if (typeof accessToken !== 'string' || accessToken === '') return undefined
  const key = sha256(
    JSON.stringify([
      profile.ssoSession ? 'session' : 'startUrl',
      session,
      profile.ssoStartUrl ?? '',
      profile.ssoAccountId,
      profile.ssoRoleName,
      sha256(accessToken),
    ]),
  )
  return join(dir, `sso-${key}.json`)
}

/** Owner-only and ours: anything else is ignored (and replaced on the next write). */
const private0600 = (s: {mode: number; uid: number}): boolean => (s.mode & 0o077) === 0 && (process.getuid === undefined || s.uid === process.getuid())

/** A cache file's JSON when the file is owner-only and ours, else undefined (missing, unreadable, too open). */
export async function readPrivateJson<T>(path: string): Promise<T | undefined> {
  try {
    if (!private0600(await stat(path))) return undefined
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** Writes a cache file 0600 (atomically: temporary file, then rename) in a 0700 directory. */
export async function writePrivateJson(path: string, dir: string, body: unknown): Promise<void> {
  await mkdir(dir, {recursive: true, mode: 0o700})
  if (!private0600(await stat(dir))) await chmod(dir, 0o700)
  const tmp = `${path}.${process.pid}.tmp`
  try {
    await writeFile(tmp, JSON.stringify(body), {mode: 0o600, flag: 'wx'})
    await rename(tmp, path)
  } catch (error) {
    await unlink(tmp).catch(() => {})
    throw error
  }
}

async function readCached(path: string): Promise<{creds: AwsCredentialIdentity; expires: number} | undefined> {
  try {
    const c = await readPrivateJson<CacheFile>(path)
    if (!c) return undefined
    const expires = Date.parse(c.expiration)
    if (!c.accessKeyId || !c.secretAccessKey || Number.isNaN(expires)) return undefined
    return {
      expires,
      creds: {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken ? {sessionToken: c.sessionToken} : {}),
        expiration: new Date(expires),
        ...(c.accountId ? {accountId: c.accountId} : {}),
        ...(c.credentialScope ? {credentialScope: c.credentialScope} : {}),
      },
    }
  } catch {
    return undefined
  }
}

async function writeCached(path: string, dir: string, creds: AwsCredentialIdentity, profile: AwsProfile): Promise<void> {
  const body: CacheFile = {
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    ...(creds.sessionToken ? {sessionToken: creds.sessionToken} : {}),
    expiration: creds.expiration!.toISOString(),
    ...(creds.accountId ? {accountId: creds.accountId} : {}),
    ...(creds.credentialScope ? {credentialScope: creds.credentialScope} : {}),
    ssoAccountId: profile.ssoAccountId,
    ssoRoleName: profile.ssoRoleName,
  }
  await writePrivateJson(path, dir, body)
}

/**
 * Wraps the SSO profile's credential provider with the on-disk cache. Within a process the credentials are
 * also kept in memory, so every SDK client shares one read. Cache faults never fail a command: they fall
 * back to `inner`.
 */
export function ssoCredentialCache(o: SsoCredentialCacheOptions): AwsCredentialIdentityProvider {
  const now = o.now ?? Date.now
  const dir = o.dir ?? credentialCacheDir(o.env)
  let current: Promise<{creds: AwsCredentialIdentity; expires: number}> | undefined
  const fresh = (expires: number) => expires - REFRESH_MARGIN_MS > now()

  type Props = Parameters<AwsCredentialIdentityProvider>[0]
  const load = async (props: Props): Promise<{creds: AwsCredentialIdentity; expires: number}> => {
    const path = await cachePath(o, dir)
    if (path) {
      const cached = await readCached(path)
      if (cached && fresh(cached.expires)) {
        o.debug?.(`credentials: cached IAM Identity Center role credentials, valid until ${new Date(cached.expires).toISOString()}`)
        return cached
      }
    }
    const creds = await o.inner(props)
    const expires = creds.expiration?.getTime()
    if (path && expires !== undefined && fresh(expires)) {
      await writeCached(path, dir, creds, o.profile).catch((error: unknown) => o.debug?.(`credential cache: not written (${(error as Error).message})`))
    }
    return {creds, expires: expires ?? Number.POSITIVE_INFINITY}
  }

  return async (props?: Props) => {
    if (current) {
      const held = await current.catch(() => undefined)
      if (held && fresh(held.expires)) return held.creds
    }
    current = load(props)
    return (await current).creds
  }
}
