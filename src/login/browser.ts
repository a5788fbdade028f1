import {spawn as nodeSpawn} from 'node:child_process'

import type {Spawn} from '../platform/process.js'

/**
 * The command that opens a URL: $BROWSER when set, else `open` (macOS), `cmd /c start` (Windows), or
 * `xdg-open` when a graphical session is there (Linux without DISPLAY/WAYLAND_DISPLAY: none, so a text
 * browser never takes over the terminal).
 */
export function browserCommand(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): [string, string[]] | undefined {
  if (env.BROWSER) return [env.BROWSER, [url]]
  if (platform === 'darwin') return ['open', [url]]
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return ['xdg-open', [url]]
  return undefined
}

/** Starts the browser detached and resolves whether it could be started; never rejects. */
export function openBrowser(url: string, options: {env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; spawn?: Spawn} = {}): Promise<boolean> {
  const command = browserCommand(url, options.env ?? process.env, options.platform ?? process.platform)
  if (!command) return Promise.resolve(false)
  const spawn = options.spawn ?? nodeSpawn
  return new Promise((resolve) => {
    try {
      const child = spawn(command[0], command[1], {stdio: 'ignore', detached: true, env: options.env ?? process.env})
      child.once('error', () => resolve(false))
      child.once('spawn', () => {
        child.unref()
        resolve(true)
      })
    } catch {
      resolve(false)
    }
  })
}
