/**
 * Process helpers for every layer: finding executables on PATH, running a child attached to the terminal,
 * quoting for a POSIX shell, and the exit code of a signal.
 */
import {spawn as nodeSpawn} from 'node:child_process'
import {constants} from 'node:fs'
import {access} from 'node:fs/promises'
import {delimiter, join} from 'node:path'

const signalNumber = (s: NodeJS.Signals): number | undefined =>
  (({SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15}) as Partial<Record<NodeJS.Signals, number>>)[s]

/** The exit code of a process a signal ended, as shells report it: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
export const signalExitCode = (s: NodeJS.Signals): number => 128 + (signalNumber(s) ?? 1)

export const isExecutable = (p: string): Promise<boolean> =>
  access(p, constants.X_OK).then(
    () => true,
    () => false,
  )

/** The first executable among `names` in the PATH directories, then among `extra` full paths; undefined when none. */
export async function findExecutable(names: string[], env: NodeJS.ProcessEnv = process.env, extra: string[] = []): Promise<string | undefined> {
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .flatMap((dir) => names.map((name) => join(dir, name)))
  for (const candidate of [...onPath, ...extra]) {
    if (await isExecutable(candidate)) return candidate
  }
  return undefined
}

/** A POSIX-shell word: as is when safe, else single-quoted. */
export const shellQuote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)

export interface RunResult {
  code: number
  signal?: NodeJS.Signals
  /** ended by Ctrl-C under `interrupt: 'stop'`: a clean, user-requested end (code 0) */
  stopped?: boolean
}

export type Spawn = typeof nodeSpawn

export interface AttachedOptions {
  spawn?: Spawn
  env?: NodeJS.ProcessEnv
  stdio?: 'inherit' | 'pipe'
  /** 'ignore' (default): Ctrl-C belongs to the child; 'stop': Ctrl-C ends the child with SIGTERM (port forwarding) */
  interrupt?: 'ignore' | 'stop'
}

/**
 * Runs a child in the foreground with inherited stdio (or the given stdio) until it exits. While it runs,
 * ssmx ignores SIGINT, SIGQUIT and SIGTSTP (the child, in the same process group, gets them) and forwards
 * SIGTERM and SIGHUP to it. Resolves with the child's exit code. Used for the plugin and for ssh.
 */
export function runAttached(command: string, args: string[], options: AttachedOptions = {}): Promise<RunResult> {
  const spawn = options.spawn ?? nodeSpawn
  const ignore = () => {}
  const stopOnInterrupt = options.interrupt === 'stop'
  const ignored: NodeJS.Signals[] = (process.platform === 'win32' ? ['SIGINT'] : ['SIGINT', 'SIGQUIT', 'SIGTSTP']).filter(
    (s) => !(stopOnInterrupt && s === 'SIGINT'),
  ) as NodeJS.Signals[]
  const forwarded: NodeJS.Signals[] = process.platform === 'win32' ? [] : ['SIGTERM', 'SIGHUP']
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: options.stdio ?? 'inherit', env: options.env ?? process.env})
    const forward = (signal: NodeJS.Signals) => () => void child.kill(signal)
    const forwarders: Array<[NodeJS.Signals, () => void]> = forwarded.map((s) => [s, forward(s)])
    let stopped = false
    if (stopOnInterrupt) {
      forwarders.push([
        'SIGINT',
        () => {
          stopped = true
          child.kill('SIGTERM')
        },
      ])
    }
    for (const s of ignored) process.on(s, ignore)
    for (const [s, fn] of forwarders) process.on(s, fn)
    const cleanup = () => {
      for (const s of ignored) process.off(s, ignore)
      for (const [s, fn] of forwarders) process.off(s, fn)
    }
    child.once('error', (error) => {
      cleanup()
      reject(error)
    })
    child.once('exit', (code, signal) => {
      cleanup()
      if (stopped) resolve({code: 0, stopped})
      else resolve({code: code ?? (signal ? signalExitCode(signal) : 1), signal: signal ?? undefined})
    })
  })
}
