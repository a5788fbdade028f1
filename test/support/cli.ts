/**
 * Runs the built CLI (bin/run.js) as a child process in a sandbox: a temporary HOME with its own
 * ~/.aws/config and SSO token cache, a fake session-manager-plugin first on PATH, and every AWS
 * endpoint pointed at a FakeAws on 127.0.0.1.
 */
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const BIN = join(ROOT, 'bin', 'run.js')
const FAKE_PLUGIN_JS = join(ROOT, 'dist', 'test', 'support', 'fake-plugin.js')

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export const SSO_START_URL = 'https://example.awsapps.com/start'

export class Sandbox {
  readonly home: string
  readonly bin: string
  readonly pluginLog: string
  env: Record<string, string>

  constructor(endpoint: string) {
    this.home = mkdtempSync(join(tmpdir(), 'ssmx-test-'))
    this.bin = join(this.home, 'bin')
    this.pluginLog = join(this.home, 'plugin.log')
    mkdirSync(join(this.home, '.aws', 'sso', 'cache'), {recursive: true})
    mkdirSync(this.bin)
    this.installPlugin(this.bin)
    this.env = {
      HOME: this.home,
      PATH: `${this.bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      AWS_ENDPOINT_URL: endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      FAKE_PLUGIN_LOG: this.pluginLog,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      NO_COLOR: '1',
      TERM: 'dumb',
    }
  }

  /** Writes a session-manager-plugin wrapper that runs the fake plugin. */
  installPlugin(dir: string): string {
    const path = join(dir, 'session-manager-plugin')
    writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_PLUGIN_JS}" "$@"\n`)
    chmodSync(path, 0o755)
    return path
  }

  awsConfig(text: string): this {
    writeFileSync(join(this.home, '.aws', 'config'), text)
    return this
  }

  file(relative: string, text: string): string {
    const path = join(this.home, relative)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, text)
    return path
  }

  /** A valid cached SSO token under the key the SDK looks for: the sso-session name, or the legacy start URL. */
  ssoToken(key: string, options: {expiresAt?: Date; accessToken?: string} = {}): string {
    const path = join(this.home, '.aws', 'sso', 'cache', `${createHash('sha1').update(key).digest('hex')}.json`)
    writeFileSync(
      path,
      JSON.stringify({
        startUrl: SSO_START_URL,
        region: 'us-east-1',
        accessToken: options.accessToken ?? 'sso-access-token-SECRET',
        expiresAt: (options.expiresAt ?? new Date(Date.now() + 3600_000)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        clientId: 'client-id',
        clientSecret: 'client-secret-SECRET',
        refreshToken: 'refresh-token-SECRET',
      }),
    )
    return path
  }

  pluginRuns(): Array<{event: string; args?: string[]; env?: Record<string, string>; signal?: string}> {
    if (!existsSync(this.pluginLog)) return []
    return readFileSync(this.pluginLog, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  }

  run(args: string[], options: {env?: Record<string, string | undefined>; input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
    return this.start(args, options).result
  }

  /** run() with the child process at hand (startCli). */
  start(args: string[], options: {env?: Record<string, string | undefined>; input?: string; timeoutMs?: number} = {}): ReturnType<typeof startCli> {
    return startCli(args, {env: {...this.env, ...options.env}, cwd: this.home, input: options.input, timeoutMs: options.timeoutMs})
  }

  cleanup(): void {
    rmSync(this.home, {recursive: true, force: true})
  }
}

export interface CliOptions {
  env: Record<string, string | undefined>
  cwd?: string
  input?: string
  timeoutMs?: number
}

/** Runs the built CLI; `result` settles with its exit code and output, and `child` is at hand to send it signals. */
export function startCli(args: string[], options: CliOptions): {child: ChildProcessWithoutNullStreams; result: Promise<RunResult>} {
  const env = Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<string, string>
  const child = spawn(process.execPath, [BIN, ...args], {env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe']})
  const result = new Promise<RunResult>((resolvePromise, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`ssmx ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({code: code ?? -1, stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
  return {child, result}
}

/** An ~/.aws/config with both SSO forms, a static-key profile, and a plain role profile. */
export const AWS_CONFIG = `[default]
region = eu-west-1

[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = eu-west-1

[profile legacy]
sso_start_url = ${SSO_START_URL}
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = Ops+Admin@eu
region = eu-west-1

[sso-session corp]
sso_start_url = ${SSO_START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile static]
region = eu-west-1
`
