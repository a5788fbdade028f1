import {spawn as nodeSpawn} from 'node:child_process'

import type {AwsContext} from '../aws/clients.js'
import {ssoOidc} from '../aws/sso-oidc.js'
import {SsmxError} from '../errors.js'
import {type Spawn, findExecutable} from '../platform/process.js'
import {openBrowser as defaultOpenBrowser} from './browser.js'
import {deviceAuthorization} from './device-flow.js'
import {type SsoSignIn, describeSignIn, formatDuration, readSsoToken, ssoSignIn, writeSsoToken} from './sso-cache.js'

export interface LoginOptions {
  /** run `aws sso login` when the AWS CLI is on PATH (default); false forces the built-in device flow */
  useAwsCli?: boolean
  /** try to open a browser for the built-in flow (default true) */
  browser?: boolean
}

export interface LoginDeps {
  ctx: Pick<AwsContext, 'profile' | 'profileData' | 'anonymousClient'>
  /** progress for the user (stderr) */
  notify: (line: string) => void
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  spawn?: Spawn
  openBrowser?: (url: string) => Promise<boolean>
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

export interface LoginResult {
  profile: string
  method: 'aws-cli' | 'device-authorization'
  /** sso-session NAME or start URL */
  session: string
  cacheFile: string
  /** when the new token expires (ISO), when the cache says */
  expiresAt?: string
}

/** The profile's SSO sign-in, or a typed error saying why there is nothing to log in to. */
export function signInFor(ctx: Pick<AwsContext, 'profile' | 'profileData'>): SsoSignIn {
  const signIn = ssoSignIn(ctx.profileData)
  if (!signIn) {
    throw new SsmxError('credentials', `Profile "${ctx.profile.name}" is not an IAM Identity Center (SSO) profile, so there is no SSO session to log in to.`, [
      `Set it up with: aws configure sso --profile ${ctx.profile.name}`,
      'Profiles with access keys or roles need no login.',
    ])
  }
  return signIn
}

/**
 * Refreshes the profile's SSO session: `aws sso login --profile P` with the terminal when the AWS CLI is
 * installed (unless useAwsCli is false), else the device authorization flow, writing the token cache the
 * SDK and the AWS CLI read.
 */
export async function login(options: LoginOptions, deps: LoginDeps): Promise<LoginResult> {
  const {ctx} = deps
  const env = deps.env ?? process.env
  const platform = deps.platform ?? process.platform
  const signIn = signInFor(ctx)
  const profile = ctx.profile.name
  const found = options.useAwsCli === false ? undefined : await findExecutable(platform === 'win32' ? ['aws.exe'] : ['aws'], env)
  // AWS CLI v1 (still what many distributions' "awscli" package installs) has no `aws sso login`: it prints its
  // usage and fails. Only an `aws` that says it is v2 or newer is used; anything else gets the built-in sign-in.
  let aws: string | undefined
  if (found) {
    const version = await awsCliVersion(deps.spawn ?? nodeSpawn, found, env)
    if (version.major !== undefined && version.major >= 2) aws = found
    else
      deps.notify(
        `${found} is ${version.major === undefined ? `not an AWS CLI ssmx recognizes (aws --version: ${version.text || 'no output'})` : `AWS CLI ${version.text}`}, which has no "aws sso login" (AWS CLI v2 has): signing in with ssmx's built-in sign-in.`,
      )
  }
  let method: LoginResult['method']
  let cacheFile: string
  let expiresAt: string | undefined
  if (aws) {
    deps.notify(`Running: aws sso login --profile ${profile}`)
    const code = await runInherited(deps.spawn ?? nodeSpawn, aws, ['sso', 'login', '--profile', profile], env)
    if (code !== 0) {
      throw new SsmxError('ssoExpired', `aws sso login --profile ${profile} failed (exit code ${code}).`, [
        `Try the built-in sign-in instead: ssmx login --profile ${profile} --no-aws-cli`,
      ])
    }
    method = 'aws-cli'
    const cached = await readSsoToken(signIn.key)
    cacheFile = cached.path
    expiresAt = cached.token?.expiresAt
  } else {
    const oidc = ssoOidc(ctx, signIn.region)
    const open = options.browser === false ? async () => false : (deps.openBrowser ?? ((url: string) => defaultOpenBrowser(url, {env, platform})))
    const token = await deviceAuthorization(signIn, {oidc, openBrowser: open, notify: deps.notify, profile, sleep: deps.sleep, now: deps.now})
    method = 'device-authorization'
    cacheFile = await writeSsoToken(signIn.key, token)
    expiresAt = token.expiresAt
  }
  return {profile, method, session: describeSignIn(signIn), cacheFile, expiresAt}
}

export function formatLogin(r: LoginResult, now = Date.now()): string {
  const until = r.expiresAt ? `, valid for ${formatDuration(Date.parse(r.expiresAt) - now)} (until ${r.expiresAt})` : ''
  return `✓ Logged in: ${r.session} for profile ${r.profile}${until}.`
}

/** `aws --version`: "aws-cli/2.15.0 Python/3.11.6 …" (v1 writes it to stderr on old Pythons). */
export function awsCliVersion(spawn: Spawn, command: string, env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<{major?: number; text: string}> {
  return new Promise((resolve) => {
    let out = ''
    let child: ReturnType<Spawn>
    try {
      child = spawn(command, ['--version'], {stdio: ['ignore', 'pipe', 'pipe'], env})
    } catch {
      resolve({text: ''})
      return
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout?.on('data', (d) => (out += d))
    child.stderr?.on('data', (d) => (out += d))
    child.once('error', () => {
      clearTimeout(timer)
      resolve({text: ''})
    })
    child.once('close', () => {
      clearTimeout(timer)
      const match = /\baws-cli\/((\d+)\.[\w.]+)/.exec(out)
      resolve(match ? {major: Number(match[2]), text: match[1]} : {text: out.trim().split('\n')[0]?.slice(0, 80) ?? ''})
    })
  })
}

function runInherited(spawn: Spawn, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: 'inherit', env})
    child.once('error', (error) =>
      reject(new SsmxError('internal', `Cannot run ${command}: ${error.message}`, ['Try the built-in sign-in: ssmx login --no-aws-cli'])),
    )
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)))
  })
}
