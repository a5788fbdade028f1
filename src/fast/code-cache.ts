/**
 * Loads a CommonJS bundle with a V8 code cache taken after the bundle has run, so a later start finds compiled
 * every function the last run used, not only the top level (Node's own compile cache, module.enableCompileCache(),
 * stores a module's code as compiled before it runs: the AWS SDK's functions, compiled lazily, were not in it).
 *
 * The cache lives in ssmx's cache directory, one file per bundle, keyed by the bundle (path, size, mtime), Node's
 * version and the architecture; V8 checks it again and rejects one that does not fit, and ssmx then writes it anew.
 * A cache file is code V8 trusts: the directory must be the user's own (created 0700) and not writable by others,
 * or no cache is read or written.
 *
 * Until this user's cache exists, the cache the build ships next to the bundle (`<bundle>.<node>-<arch>.v8cache`,
 * scripts/code-cache.js: a post-run cache of the same command) is read instead, so the first run after an install
 * is not a cold one. It is read only when the bundle's directory and the file belong to this user or root and
 * nobody else can write to them (a global install owned by root, or the user's own), and only for the Node
 * version and architecture it was made with; V8 rejects it if anything else differs, and the user's own is then
 * written as before. A run that failed writes a partial cache (it compiled less), which a later
 * successful run replaces.
 */
import {createHash} from 'node:crypto'
import {readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {basename, dirname, join} from 'node:path'
import {Script} from 'node:vm'

import {ssmxCacheDir, trustedDir} from '../platform/cache-dir.js'

export type CacheStatus = 'hit' | 'shipped' | 'partial' | 'miss' | 'rejected' | 'off'

export interface CachedBundle<T> {
  exports: T
  status: CacheStatus
  /** Writes the cache when this run can improve it: none was there (or only the shipped one), V8 rejected it, or it was partial and this run `succeeded`. */
  save(succeeded: boolean): void
}

/** $XDG_CACHE_HOME/ssmx/code, else ~/.cache/ssmx/code. */
export const codeCacheDir = (env: NodeJS.ProcessEnv = process.env): string => join(ssmxCacheDir(env), 'code')

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path)
  } catch {
    return undefined
  }
}

/** The build's cache for this bundle, Node and architecture, when neither it nor its directory can be changed by someone else. */
export function readShipped(file: string): Buffer | undefined {
  const path = `${file}.${process.version}-${process.arch}.v8cache`
  const uid = process.getuid?.()
  const safe = (p: string) => {
    const st = statSync(p)
    return (uid === undefined || st.uid === uid || st.uid === 0) && (st.mode & 0o022) === 0
  }
  try {
    return safe(dirname(file)) && safe(path) ? readFileSync(path) : undefined
  } catch {
    return undefined
  }
}

/** Runs `file` (CommonJS) as require() would, with the code cache from `dir`; returns its exports. */
export function loadCachedBundle<T>(file: string, dir: string | undefined = codeCacheDir()): CachedBundle<T> {
  const source = readFileSync(file, 'utf8')
  const st = statSync(file)
  const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12)
  // per install (path), then per build and Node: a new build or Node replaces the old cache, another install keeps its own
  const prefix = `${basename(file)}-${hash(file)}-`
  const key = hash(`${st.size}\0${st.mtimeMs}\0${process.version}\0${process.arch}`)
  const readDir = dir && trustedDir(dir, false)
  const full = readDir && join(readDir, `${prefix}${key}.bin`)
  const partial = readDir && join(readDir, `${prefix}${key}.partial.bin`)
  const fullData = full ? readOrUndefined(full) : undefined
  const partialData = fullData ? undefined : partial ? readOrUndefined(partial) : undefined
  const shippedData = fullData || partialData || !dir ? undefined : readShipped(file)
  const cachedData = fullData ?? partialData ?? shippedData
  // a vm script has no import() of its own: the bundle calls __ssmxImport (scripts/bundle.js), this module's import()
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __ssmxImport) {${source}\n})`, {filename: file, cachedData})
  const status: CacheStatus = !dir
    ? 'off'
    : !cachedData
      ? 'miss'
      : script.cachedDataRejected
        ? 'rejected'
        : fullData
          ? 'hit'
          : shippedData
            ? 'shipped'
            : 'partial'
  const module = {exports: {} as T}
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), (specifier: string) => import(specifier))
  return {
    exports: module.exports,
    status,
    save(succeeded) {
      // after a shipped cache the user's own is written too: it holds what this user's runs compile (their sign-in, say)
      if (!dir || status === 'hit' || status === 'off' || (status === 'partial' && !succeeded)) return
      const target = trustedDir(dir, true)
      if (!target) return
      try {
        const name = `${prefix}${key}${succeeded ? '' : '.partial'}.bin`
        const tmp = join(target, `.${name}.${process.pid}`)
        writeFileSync(tmp, script.createCachedData(), {mode: 0o600})
        renameSync(tmp, join(target, name))
        // older caches of this bundle (another build, another Node) and the partial one this run replaces
        for (const old of readdirSync(target)) if (old.startsWith(prefix) && old !== name) unlinkSync(join(target, old))
      } catch {
        // a cache is an optimisation: a full disk or a race with another ssmx loses nothing
      }
    },
  }
}
