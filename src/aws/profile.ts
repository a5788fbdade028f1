import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {loadSharedConfigFiles} from '@smithy/core/config'

import {SsmxError} from '../errors.js'

/** One profile of ~/.aws/config merged with ~/.aws/credentials, as the SDK reads them. */
export interface AwsProfile {
  name: string
  region?: string
  /** IAM Identity Center: the permission set the profile assumes */
  ssoRoleName?: string
  ssoAccountId?: string
  ssoStartUrl?: string
  ssoRegion?: string
  ssoSession?: string
  /** the sso-session's sso_registration_scopes, comma-separated as in the file */
  ssoRegistrationScopes?: string
  /** the profile's own endpoint_url, or its services section's ssm endpoint_url */
  endpointUrl?: string
  ssmEndpointUrl?: string
  raw: Record<string, string | undefined>
}

export interface AwsFiles {
  profiles: Record<string, Record<string, string | undefined>>
  ssoSessions: Record<string, Record<string, string | undefined>>
  services: Record<string, Record<string, string | undefined>>
  configPath: string
}

export const configFilePath = (env: NodeJS.ProcessEnv = process.env): string => env.AWS_CONFIG_FILE ?? join(env.HOME ?? homedir(), '.aws', 'config')

export const credentialsFilePath = (env: NodeJS.ProcessEnv = process.env): string =>
  env.AWS_SHARED_CREDENTIALS_FILE ?? join(env.HOME ?? homedir(), '.aws', 'credentials')

/**
 * Lines the SDK's lenient parser would silently drop: not blank, not a comment, not a `[section]`,
 * not `key = value`, and not an indented sub-setting. Reported with their line number.
 */
export function findMalformedLine(text: string): {line: number; text: string} | undefined {
  const lines = text.split(/\r?\n/)
  for (const [i, raw] of lines.entries()) {
    const line = raw.split(/(^|\s)[;#]/)[0].trim()
    if (line === '') continue
    if (line.startsWith('[')) {
      if (!line.endsWith(']') || line.length < 3) return {line: i + 1, text: raw}
      continue
    }
    if (line.indexOf('=') > 0) continue
    return {line: i + 1, text: raw}
  }
  return undefined
}

async function checkSyntax(path: string): Promise<void> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new SsmxError('config', `Cannot read ${path}: ${(error as Error).message}`, ['Check the file exists and is readable.'])
  }
  const bad = findMalformedLine(text)
  if (bad) {
    throw new SsmxError('config', `${path} line ${bad.line} is not valid: ${JSON.stringify(bad.text.trim())}`, [
      'Each line must be a [section], key = value, an indented sub-setting, or a comment.',
    ])
  }
}

/** Reads ~/.aws/config and ~/.aws/credentials the way the SDK does, refusing malformed lines. */
export async function loadAwsFiles(env: NodeJS.ProcessEnv = process.env): Promise<AwsFiles> {
  const configPath = configFilePath(env)
  const credentialsPath = credentialsFilePath(env)
  await Promise.all([checkSyntax(configPath), checkSyntax(credentialsPath)])
  const {configFile, credentialsFile} = await loadSharedConfigFiles({configFilepath: configPath, filepath: credentialsPath, ignoreCache: true})
  const profiles: AwsFiles['profiles'] = {}
  const services: AwsFiles['services'] = {}
  const ssoSessions: AwsFiles['ssoSessions'] = {}
  for (const [name, values] of Object.entries(configFile)) {
    if (name.startsWith('services.')) services[name.slice('services.'.length)] = values
    else if (name.startsWith('sso-session.')) ssoSessions[name.slice('sso-session.'.length)] = values
    else profiles[name] = {...values}
  }
  for (const [name, values] of Object.entries(credentialsFile)) profiles[name] = {...profiles[name], ...values}
  return {profiles, ssoSessions, services, configPath}
}

/** The profile name the AWS CLI would use: --profile, AWS_PROFILE, else `default`. */
export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): {name: string; explicit: boolean} {
  const name = flag ?? env.AWS_PROFILE
  return name ? {name, explicit: true} : {name: 'default', explicit: false}
}

/**
 * The named profile with its SSO settings resolved for both forms: `sso_session` pointing at an
 * `[sso-session NAME]` section, and the legacy form with `sso_start_url`/`sso_region` in the profile.
 * Returns undefined when the profile does not exist.
 */
export function resolveProfile(files: AwsFiles, name: string): AwsProfile | undefined {
  const raw = files.profiles[name]
  if (!raw) return undefined
  const session = raw.sso_session ? files.ssoSessions[raw.sso_session] : undefined
  if (raw.sso_session && !session) {
    throw new SsmxError(
      'config',
      `Profile "${name}" names sso_session "${raw.sso_session}", but ${files.configPath} has no [sso-session ${raw.sso_session}] section.`,
      [`Add the section, or run: aws configure sso --profile ${name}`],
    )
  }
  const service = raw.services ? files.services[raw.services] : undefined
  return {
    name,
    region: raw.region,
    ssoRoleName: raw.sso_role_name,
    ssoAccountId: raw.sso_account_id,
    ssoStartUrl: session?.sso_start_url ?? raw.sso_start_url,
    ssoRegion: session?.sso_region ?? raw.sso_region,
    ssoSession: raw.sso_session,
    ssoRegistrationScopes: session?.sso_registration_scopes,
    endpointUrl: raw.endpoint_url,
    ssmEndpointUrl: service?.['ssm.endpoint_url'],
    raw,
  }
}

export const isSsoProfile = (p: AwsProfile | undefined): boolean => Boolean(p?.ssoRoleName && p.ssoAccountId)
