import {createHash} from 'node:crypto'
import {join} from 'node:path'

import type {AwsCredentialIdentityProvider} from '@smithy/types'

import {credentialCacheDir, readPrivateJson, writePrivateJson} from './credential-cache.js'

/** How long a looked-up caller identity is reused: an access key id only ever belongs to one principal. */
export const IDENTITY_TTL_MS = 12 * 3600_000

/**
 * `lookup()` (STS GetCallerIdentity) once per access key id and TTL, across runs: static or exported
 * credentials then start a session with one round trip, like an SSO profile. The file (0600, beside the
 * credential cache) is named by a SHA-256 of the access key id and holds only what `lookup` returned
 * (account and ARN: no secret). Any cache fault falls back to `lookup`.
 */
export async function identityByAccessKey<T>(
  credentials: AwsCredentialIdentityProvider,
  lookup: () => Promise<T>,
  options: {env?: NodeJS.ProcessEnv; dir?: string; now?: () => number} = {},
): Promise<T> {
  const now = options.now ?? Date.now
  const dir = options.dir ?? credentialCacheDir(options.env)
  let path: string | undefined
  try {
    const {accessKeyId} = await credentials()
    path = join(dir, `identity-${createHash('sha256').update(accessKeyId).digest('hex')}.json`)
    const cached = await readPrivateJson<{expires: number; value: T}>(path)
    if (cached && typeof cached.expires === 'number' && cached.expires > now() && cached.value) return cached.value
  } catch {
    // no credentials, or an unreadable cache: the lookup reports or does it
  }
  const value = await lookup()
  if (path) await writePrivateJson(path, dir, {expires: now() + IDENTITY_TTL_MS, value}).catch(() => {})
  return value
}
