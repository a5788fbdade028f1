import {execFile} from 'node:child_process'
import {access} from 'node:fs/promises'

import {SsmxError} from '../errors.js'
import {type AttachedOptions, type RunResult, findExecutable, isExecutable, runAttached, shellQuote} from '../platform/process.js'
import {compareVersions, parseVersion} from '../platform/version.js'

export const PLUGIN_NAME = 'session-manager-plugin'
/** Plugins newer than this read the StartSession response from the environment. */
export const ENV_HANDOFF_AFTER = '1.2.497.0'
export const RESPONSE_ENV = 'AWS_SSM_START_SESSION_RESPONSE'
/** Printed when the plugin is missing and the built-in client (src/session/native.ts) runs the session instead. */
export const NATIVE_NOTE = 'note: session-manager-plugin is not installed; using the built-in session client (see --native).'

/** Parses the plugin's `--version` (see parseVersion). */
export const parsePluginVersion = parseVersion

/** True when the plugin takes the response through AWS_SSM_START_SESSION_RESPONSE (strictly newer than 1.2.497.0). */
export const supportsEnvHandoff = (version: string): boolean => {
  const v = parsePluginVersion(version)
  return v !== undefined && compareVersions(v, parsePluginVersion(ENV_HANDOFF_AFTER)!) > 0
}

/**
 * The warning for a plugin that takes the session token on its command line: any version up to and including
 * ENV_HANDOFF_AFTER (only strictly newer ones read it from the environment), so 1.2.497.0 itself is "not newer".
 */
export const oldPluginWarning = (version: string | undefined): string =>
  `warning: session-manager-plugin ${version ?? '(unknown version)'} is not newer than ${ENV_HANDOFF_AFTER}, so it takes the session token on its command line, where other local users can see it. Update the plugin to a version newer than ${ENV_HANDOFF_AFTER}.`

/** Where the plugin's installers put it, per OS. */
export function standardPluginLocations(platform: NodeJS.Platform): string[] {
  if (platform === 'win32') {
    return [
      'C:\\Program Files\\Amazon\\SessionManagerPlugin\\bin\\session-manager-plugin.exe',
      'C:\\Program Files (x86)\\Amazon\\SessionManagerPlugin\\bin\\session-manager-plugin.exe',
    ]
  }
  const common = ['/usr/local/sessionmanagerplugin/bin/session-manager-plugin', '/usr/local/bin/session-manager-plugin']
  return platform === 'darwin' ? [...common, '/opt/homebrew/bin/session-manager-plugin'] : [...common, '/usr/bin/session-manager-plugin']
}

export function installSteps(platform: NodeJS.Platform, arch: string): string[] {
  const base = 'https://s3.amazonaws.com/session-manager-downloads/plugin/latest'
  switch (platform) {
    case 'darwin':
      return [
        'Install it with Homebrew: brew install --cask session-manager-plugin',
        `or the signed installer: ${base}/mac${arch === 'arm64' ? '_arm64' : ''}/session-manager-plugin.pkg`,
      ]
    case 'win32':
      return [`Install it from ${base}/windows/SessionManagerPluginSetup.exe`, 'or with winget: winget install Amazon.SessionManagerPlugin']
    default: {
      const deb = arch === 'arm64' ? 'ubuntu_arm64' : 'ubuntu_64bit'
      const rpm = arch === 'arm64' ? 'linux_arm64' : 'linux_64bit'
      return [
        `Debian/Ubuntu: curl -fsSLo /tmp/smp.deb ${base}/${deb}/session-manager-plugin.deb && sudo dpkg -i /tmp/smp.deb`,
        `RHEL/Amazon Linux: sudo yum install -y ${base}/${rpm}/session-manager-plugin.rpm`,
      ]
    }
  }
}

/** The plugin is nowhere to be found (as opposed to found but unusable): the built-in client can stand in. */
export class PluginMissingError extends SsmxError {}

export interface PluginInfo {
  path: string
  version: string
  envHandoff: boolean
}

export interface PluginLookup {
  /** SSMX_PLUGIN_PATH or the configuration's pluginPath */
  explicit?: string
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  arch?: string
  /** the installers' locations to try after PATH; default standardPluginLocations(platform) */
  locations?: string[]
}

/** The plugin's path: SSMX_PLUGIN_PATH / configuration, then PATH, then the installers' locations. */
export async function findPlugin(lookup: PluginLookup = {}): Promise<string> {
  const env = lookup.env ?? process.env
  const platform = lookup.platform ?? process.platform
  const explicit = env.SSMX_PLUGIN_PATH || lookup.explicit
  if (explicit) {
    if (await isExecutable(explicit)) return explicit
    const missing = await access(explicit).then(
      () => false,
      () => true,
    )
    throw new SsmxError(
      'plugin',
      `session-manager-plugin ${missing ? 'does not exist' : 'is not executable'} at ${explicit} (from ${env.SSMX_PLUGIN_PATH ? 'SSMX_PLUGIN_PATH' : "the configuration's pluginPath"}).`,
      [...(missing ? installSteps(platform, lookup.arch ?? process.arch) : []), 'Fix the path, or unset it to search PATH. No session was started.'],
    )
  }
  const found = await findExecutable([platform === 'win32' ? `${PLUGIN_NAME}.exe` : PLUGIN_NAME], env, lookup.locations ?? standardPluginLocations(platform))
  if (found) return found
  throw new PluginMissingError('plugin', 'session-manager-plugin is not installed (not on PATH nor in its standard locations).', [
    ...installSteps(platform, lookup.arch ?? process.arch),
    'Or point SSMX_PLUGIN_PATH at it. No session was started.',
  ])
}

/** Runs `session-manager-plugin --version`. */
export function pluginVersion(path: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ['--version'], {timeout: timeoutMs}, (error, stdout) => {
      if (error) {
        reject(new SsmxError('plugin', `Cannot run ${path} --version: ${error.message}`, ['Reinstall session-manager-plugin.']))
        return
      }
      resolve(stdout.trim())
    })
  })
}

/** Finds the plugin and reads its version: run before StartSession so a missing plugin never leaves a session behind. */
export async function checkPlugin(lookup: PluginLookup = {}): Promise<PluginInfo> {
  const path = await findPlugin(lookup)
  const version = await pluginVersion(path)
  if (!parsePluginVersion(version)) {
    throw new SsmxError('plugin', `${path} reported an unexpected version "${version.slice(0, 40)}".`, ['Reinstall session-manager-plugin.'])
  }
  return {path, version, envHandoff: supportsEnvHandoff(version)}
}

export interface StartSessionResponse {
  SessionId: string
  TokenValue: string
  StreamUrl: string
}

export interface PluginLaunch {
  plugin: PluginInfo
  response: StartSessionResponse
  region: string
  /** the profile the user chose explicitly, else "" */
  profile: string
  /**
   * Broker mode: the credentials the plugin signs its relay calls with, handed over in its environment (the profile
   * argument is then "", so the plugin's SDK takes them rather than the profile's: src/broker/relay.ts checks them).
   */
  credentials?: {accessKeyId: string; secretAccessKey: string; sessionToken?: string}
  /** the StartSession input (Target required) */
  parameters: Record<string, unknown>
  endpoint: string
}

/**
 * argv and extra environment exactly as the AWS CLI hands a session to the plugin:
 * `<response|AWS_SSM_START_SESSION_RESPONSE> <region> StartSession <profile> <parameters> <endpoint>`.
 * A new plugin gets the response (and its token) in the environment, never on the command line.
 */
export function pluginCommand(launch: PluginLaunch): {args: string[]; env: Record<string, string>} {
  const response = JSON.stringify(launch.response)
  const first = launch.plugin.envHandoff ? RESPONSE_ENV : response
  const c = launch.credentials
  return {
    args: [first, launch.region, 'StartSession', c ? '' : launch.profile, JSON.stringify(launch.parameters), launch.endpoint],
    env: {
      ...(launch.plugin.envHandoff ? {[RESPONSE_ENV]: response} : {}),
      // an empty AWS_SESSION_TOKEN clears one inherited from ssmx's own environment
      ...(c ? {AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken ?? ''} : {}),
    },
  }
}

/** The command line for display: the token never appears. */
export function displayCommand(launch: PluginLaunch): string {
  const redacted = {...launch, response: {...launch.response, TokenValue: '<redacted>'}}
  const {args} = pluginCommand(redacted)
  return [launch.plugin.path, ...args].map(shellQuote).join(' ')
}

/** Runs the plugin attached (see runAttached) with the AWS CLI's argv and environment. */
export function runPlugin(launch: PluginLaunch, options: AttachedOptions = {}): Promise<RunResult> {
  const {args, env} = pluginCommand(launch)
  return runAttached(launch.plugin.path, args, {...options, env: {...(options.env ?? process.env), ...env}}).catch((error: Error) =>
    Promise.reject(new SsmxError('plugin', `Cannot start ${launch.plugin.path}: ${error.message}`, ['Reinstall session-manager-plugin.'])),
  )
}
