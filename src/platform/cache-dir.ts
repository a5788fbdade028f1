/**
 * Where ssmx keeps compiled code between runs, and when such a directory may be trusted. Compiled code is code:
 * a directory someone else owns or can write to could hand ssmx theirs, so it is never used.
 */
import {mkdirSync, statSync} from 'node:fs'
import {enableCompileCache} from 'node:module'
import {homedir} from 'node:os'
import {isAbsolute, join} from 'node:path'

/** $XDG_CACHE_HOME/ssmx, else ~/.cache/ssmx (a relative XDG_CACHE_HOME is invalid, and ignored, as the XDG spec says). */
export function ssmxCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined
  return join(xdg ?? join(env.HOME || homedir(), '.cache'), 'ssmx')
}

/** The directory (created owner-only when `create` and missing), or undefined when it is not ours or others can write to it. */
export function trustedDir(dir: string, create: boolean): string | undefined {
  try {
    if (create) mkdirSync(dir, {recursive: true, mode: 0o700})
    const st = statSync(dir)
    const uid = process.getuid?.()
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined
    return dir
  } catch {
    return undefined
  }
}

/**
 * Node's compile cache (module.enableCompileCache) for the ES modules ssmx loads, in ssmx's own cache directory
 * rather than Node's default under the shared temporary directory. Nothing when that directory cannot be trusted,
 * or when NODE_COMPILE_CACHE / NODE_DISABLE_COMPILE_CACHE already decide.
 */
export function enableNodeCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE || !enableCompileCache) return
  const dir = trustedDir(join(ssmxCacheDir(env), 'node'), true)
  if (dir) enableCompileCache(dir)
}
