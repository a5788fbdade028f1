import {existsSync} from 'node:fs'

import type {AwsContext} from '../aws/clients.js'
import {type Ssm, iam} from '../aws/ports.js'
import {ssm as ssmOf} from '../aws/ssm.js'
import {mapAwsError} from '../aws/errors.js'
import {type AwsFiles, type AwsProfile, loadAwsFiles, profileName, resolveProfile} from '../aws/profile.js'
import {PROXY_NODE_VERSIONS, describeProxy, nodeSupportsProxyEnv} from '../aws/proxy.js'
import type {LoadedConfig} from '../config/load.js'
import type {SsmxConfig} from '../config/schema.js'
import {DEFAULT_SESSION_DOCUMENT} from '../documents/naming.js'
import {chooseDocument} from '../documents/select.js'
import {ExitCode, type ExitCodeName, SsmxError, awsErrorName, isSsmxError} from '../errors.js'
import {type Identity, identityFromProfile, identityFromSts} from '../identity/identity.js'
import {describeSignIn, formatDuration, readSsoToken, ssoSignIn} from '../login/sso-cache.js'
import {ssmEndpoint} from '../session/connect.js'
import {ENV_HANDOFF_AFTER, type PluginInfo, type PluginLookup, PluginMissingError, checkPlugin, installSteps} from '../session/plugin.js'

export const MIN_NODE_MAJOR = 22
/** the RunAs tag Session Manager reads from the calling principal */
export const RUN_AS_TAG = 'SSMSessionRunAs'
/** a token closer than this to its expiry gets a warning */
const EXPIRY_WARNING_MS = 15 * 60_000

export type CheckId = 'node' | 'plugin' | 'config' | 'awsConfig' | 'profile' | 'region' | 'proxy' | 'ssoToken' | 'credentials' | 'ssm' | 'document' | 'runAs'

/**
 * ok ✓, warn ! (connect works, but look), fail ✗ (blocks connect), skip – (an earlier check it needs
 * failed), info i (not applicable or not checkable; says why).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip' | 'info'

export interface Check {
  id: CheckId
  title: string
  status: CheckStatus
  /** what was found (never a token or secret) */
  detail: string
  /** what to do, one step a line */
  fix: string[]
  /** for failures: the error code connect would exit with */
  code?: ExitCodeName
}

export interface DoctorResult {
  /** true when nothing blocks connect */
  ok: boolean
  /** the exit code of the first failure, 0 when ok */
  exitCode: number
  profile: string
  checks: Check[]
}

export interface DoctorDeps {
  /** --profile */
  profile?: string
  env?: NodeJS.ProcessEnv
  nodeVersion?: string
  loadConfig: () => Promise<LoadedConfig>
  /** builds the context exactly as connect does (BaseCommand.awsContext) */
  awsContext: () => Promise<AwsContext>
  plugin?: (lookup: PluginLookup) => Promise<PluginInfo>
  platform?: NodeJS.Platform
  arch?: string
  now?: () => number
}

type Outcome = Omit<Check, 'id' | 'title' | 'fix'> & {fix?: string[]}

const ok = (detail: string, fix: string[] = []): Outcome => ({status: 'ok', detail, fix})
const warn = (detail: string, fix: string[] = []): Outcome => ({status: 'warn', detail, fix})
const info = (detail: string, fix: string[] = []): Outcome => ({status: 'info', detail, fix})
const fail = (detail: string, fix: string[], code: ExitCodeName): Outcome => ({status: 'fail', detail, fix, code})
const fromError = (e: SsmxError): Outcome => fail(e.message, e.suggestions, e.code as ExitCodeName)

/**
 * Checks, in order, everything `ssmx connect` needs, one result per check. A check whose prerequisite
 * failed (or was skipped) is skipped with the reason. Makes only read-only AWS calls: STS
 * GetCallerIdentity, SSM DescribeInstanceInformation (5 results) and DescribeDocument, IAM List*Tags.
 */
export async function doctor(deps: DoctorDeps): Promise<DoctorResult> {
  const env = deps.env ?? process.env
  const now = deps.now ?? Date.now
  const platform = deps.platform ?? process.platform
  const profile = profileName(deps.profile, env)
  const checks: Check[] = []

  const step = async (id: CheckId, title: string, needs: CheckId[], run: () => Promise<Outcome>): Promise<void> => {
    const blocker = checks.find((c) => needs.includes(c.id) && (c.status === 'fail' || c.status === 'skip'))
    let outcome: Outcome
    if (blocker) {
      outcome = {status: 'skip', detail: blocker.status === 'skip' ? blocker.detail : `skipped: needs ${blocker.title}`}
    } else {
      try {
        outcome = await run()
      } catch (error) {
        outcome = fromError(isSsmxError(error) ? error : mapAwsError(error, {profile: profile.name, operation: title}))
      }
    }
    checks.push({id, title, ...outcome, fix: outcome.fix ?? []})
  }

  let config: SsmxConfig | undefined
  let files: AwsFiles | undefined
  let ctx: AwsContext | undefined
  let ctxError: SsmxError | undefined
  let profileData: AwsProfile | undefined
  let caller: Identity | undefined
  let ssm: Ssm | undefined

  await step('node', 'Node.js', [], async () => {
    const version = deps.nodeVersion ?? process.versions.node
    return Number(version.split('.')[0]) >= MIN_NODE_MAJOR
      ? ok(version)
      : fail(
          `${version} is too old: ssmx needs Node.js ${MIN_NODE_MAJOR} or newer.`,
          [`Install Node.js ${MIN_NODE_MAJOR} LTS or newer (https://nodejs.org/), then reinstall ssmx.`],
          'prerequisite',
        )
  })

  await step('config', 'ssmx configuration', [], async () => {
    const loaded = await deps.loadConfig()
    config = loaded.config
    return ok(loaded.filepath ?? 'none found: built-in defaults')
  })

  await step('plugin', 'session-manager-plugin', [], async () => pluginCheck(deps, {config, env, platform}))

  await step('awsConfig', 'AWS config', [], async () => {
    files = await loadAwsFiles(env)
    const count = Object.keys(files.profiles).length
    if (count > 0) return ok(`${files.configPath} (${count} profile${count === 1 ? '' : 's'})`)
    const create = [
      'With AWS CLI v2: aws configure sso (asks for the start URL, SSO region, account and permission set)',
      'Without it: write the file by hand (an [sso-session] and a [profile] section; the README shows one), then: ssmx login --profile NAME',
    ]
    return existsSync(files.configPath)
      ? warn(`${files.configPath}: no profiles`, create)
      : warn(`${files.configPath} not found: no AWS profiles on this machine`, create)
  })

  await step('profile', 'profile', ['awsConfig'], async () => {
    try {
      ctx = await deps.awsContext()
    } catch (error) {
      if (!isSsmxError(error) || error.code !== 'usage') throw error
      ctxError = error
    }
    profileData = ctx?.profileData ?? resolveProfile(files!, profile.name)
    if (!profile.explicit && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
      return ok(`${profile.name}: credentials from AWS_ACCESS_KEY_ID in the environment`)
    if (profileData) return ok(describeProfile(profileData))
    return warn(`no "${profile.name}" profile and no access keys in the environment; the SDK will look for container or instance credentials`, [
      'Pass --profile, set AWS_PROFILE, or run: aws configure sso',
    ])
  })

  await step('region', 'region', ['profile'], async () => (ctx ? ok(`${ctx.region} (from ${ctx.regionSource})`) : fromError(ctxError!)))

  // only when a proxy variable is set: which proxy AWS calls go through (credentials redacted)
  const proxy = describeProxy(env)
  if (proxy) {
    await step('proxy', 'proxy', [], async () => {
      const version = deps.nodeVersion ?? process.versions.node
      return nodeSupportsProxyEnv(version)
        ? info(proxy)
        : warn(`${proxy}: ignored, Node.js ${version} cannot use a proxy.`, [`Install Node.js ${PROXY_NODE_VERSIONS}.`])
    })
  }

  await step('ssoToken', 'SSO session', ['profile'], async () => {
    const signIn = ssoSignIn(profileData)
    if (!signIn) return info('not an IAM Identity Center profile: no SSO session needed')
    const login = `Run: ssmx login --profile ${profile.name}`
    const {path, token} = await readSsoToken(signIn.key)
    const what = describeSignIn(signIn)
    if (!token?.accessToken || !token.expiresAt) return fail(`no SSO token cached for ${what} (${path}).`, [login], 'ssoExpired')
    const left = Date.parse(token.expiresAt) - now()
    if (left <= 0) {
      const refreshable =
        signIn.form === 'sso-session' &&
        token.refreshToken &&
        token.clientId &&
        token.clientSecret &&
        !(token.registrationExpiresAt && Date.parse(token.registrationExpiresAt) <= now())
      return refreshable
        ? warn(`${what}: the access token expired ${formatDuration(left)} ago; the SDK will try its refresh token.`, [
            `If "credentials" fails: ssmx login --profile ${profile.name}`,
          ])
        : fail(`${what}: expired ${formatDuration(left)} ago (at ${token.expiresAt}).`, [login], 'ssoExpired')
    }
    if (left < EXPIRY_WARNING_MS)
      return warn(`${what}: expires in ${formatDuration(left)} (at ${token.expiresAt}).`, [
        `Sign in again before a long session: ssmx login --profile ${profile.name}`,
      ])
    return ok(`${what}: valid for ${formatDuration(left)} (until ${token.expiresAt})`)
  })

  await step('credentials', 'credentials', ['region', 'ssoToken'], async () => {
    const identity = await identityFromSts(ctx!).catch((e) => Promise.reject(mapAwsError(e, {profile: profile.name, operation: 'STS GetCallerIdentity'})))
    caller = identity
    return ok(`${identity.principal?.arn ?? '?'} (account ${identity.account ?? '?'})`)
  })

  await step('ssm', 'SSM', ['credentials'], async () => {
    ssm = ssmOf(ctx!)
    const endpoint = await ssmEndpoint(ctx!, ssm)
    try {
      const out = await ssm.describeInstanceInformation({MaxResults: 5})
      const n = out.InstanceInformationList?.length ?? 0
      return ok(`${endpoint} answers; ${n}${out.NextToken ? '+' : ''} managed node${n === 1 && !out.NextToken ? '' : 's'} visible`)
    } catch (error) {
      const e = mapAwsError(error, {profile: profile.name, operation: 'SSM DescribeInstanceInformation'})
      if (e.code === 'accessDenied')
        return warn(`${endpoint} answers, but ssm:DescribeInstanceInformation is denied.`, ['connect can still work; ssmx list needs this permission.'])
      return fail(`${endpoint}: ${e.message}`, e.suggestions, e.code as ExitCodeName)
    }
  })

  await step('document', 'session document', ['config', 'ssm'], async () => {
    const identity = identityFromProfile(ctx!) ?? caller
    const choice = chooseDocument({permissionSet: identity?.permissionSet, config: config!})
    if (choice.reason === 'default') {
      return info(
        `no permission set in ${caller?.principal?.arn ?? 'this identity'}: sessions use ${DEFAULT_SESSION_DOCUMENT} and the account's default RunAs user`,
      )
    }
    const runsAs = choice.runAsUser ? `; sessions run as ${choice.runAsUser}` : '; the ssmx configuration does not name its RunAs user'
    try {
      const out = await ssm!.describeDocument(choice.document)
      const type = out.Document?.DocumentType
      if (type && type !== 'Session') {
        return fail(
          `${choice.document} exists in ${ctx!.region} but is a ${type} document, not a Session document.`,
          ['Ask your platform team to redeploy it (ssmx admin enforce).'],
          'document',
        )
      }
      return ok(`${choice.document} (permission set ${identity!.permissionSet}) exists in ${ctx!.region}${runsAs}`)
    } catch (error) {
      const e = mapAwsError(error, {profile: profile.name, operation: 'SSM DescribeDocument', document: choice.document})
      if (awsErrorName(error) === 'InvalidDocument' && choice.fallback) {
        return warn(
          `${choice.document} does not exist in ${ctx!.region}: connect falls back to ${choice.fallback} (the account's default RunAs user).`,
          e.suggestions,
        )
      }
      if (awsErrorName(error) === 'InvalidDocument')
        return fail(`${e.message} strict is on, so connect will refuse to start a session.`, e.suggestions, 'document')
      if (e.code === 'accessDenied') return warn(`cannot check ${choice.document}: ssm:DescribeDocument is denied.`, ['connect will tell at StartSession.'])
      throw e
    }
  })

  await step('runAs', `${RUN_AS_TAG} tag`, ['credentials'], async () => runAsTag(ctx!, caller!, config))

  const failed = checks.find((c) => c.status === 'fail')
  return {ok: !failed, exitCode: failed ? ExitCode[failed.code ?? 'internal'] : 0, profile: profile.name, checks}
}

/**
 * The plugin is optional: without it connect, forward and ssh-proxy run the built-in session client, so a
 * missing plugin is a warning; one that is there but cannot run is a failure (connect would try it). With
 * `native: true` in the configuration the plugin is never used, and the check only says what is there.
 */
async function pluginCheck(deps: DoctorDeps, o: {config?: SsmxConfig; env: NodeJS.ProcessEnv; platform: NodeJS.Platform}): Promise<Outcome> {
  const arch = deps.arch ?? process.arch
  const unused = 'not used: the configuration sets native: true, so sessions run with the built-in client'
  let plugin: PluginInfo
  try {
    plugin = await (deps.plugin ?? checkPlugin)({explicit: o.config?.pluginPath, env: o.env, platform: o.platform, arch: deps.arch})
  } catch (error) {
    if (o.config?.native) return info(`${(isSsmxError(error) ? error.message : String(error)).replace(/\.$/, '')}; ${unused}.`)
    if (!(error instanceof PluginMissingError)) throw error
    return warn('not installed: connect, forward and ssh-proxy use the built-in session client instead.', [
      ...installSteps(o.platform, arch).map((s) => `To use the plugin instead, install it. ${s}`),
    ])
  }
  if (o.config?.native) return info(`${plugin.version} (${plugin.path}), ${unused}.`)
  if (plugin.envHandoff) return ok(`${plugin.version} (${plugin.path})`)
  return warn(
    `${plugin.version} (${plugin.path}) is not newer than ${ENV_HANDOFF_AFTER}: connect has to pass the session token on its command line, where other local users can see it.`,
    [...installSteps(o.platform, arch).map((s) => `Update it. ${s}`)],
  )
}

function describeProfile(p: AwsProfile): string {
  if (p.ssoStartUrl) {
    const signIn = p.ssoSession ? `sso-session ${p.ssoSession}` : 'legacy sso_start_url'
    return `${p.name}: IAM Identity Center, permission set ${p.ssoRoleName ?? '?'} in account ${p.ssoAccountId ?? '?'} (${signIn})`
  }
  const how = p.raw.role_arn
    ? `assumes ${p.raw.role_arn}`
    : p.raw.aws_access_key_id
      ? 'access keys'
      : p.raw.credential_process
        ? 'credential_process'
        : 'no credential settings'
  return `${p.name}: ${how}`
}

/**
 * What can be known about the SSMSessionRunAs tag, which overrides the document's RunAs user: IAM users'
 * and plain roles' tags can be read; IAM Identity Center roles carry none, and STS never shows session tags.
 */
async function runAsTag(ctx: AwsContext, caller: Identity, config: SsmxConfig | undefined): Promise<Outcome> {
  const principal = caller.principal
  const name = principal?.arn.split('/').pop() ?? ''
  const documentUser = caller.permissionSet && config?.permissionSets[caller.permissionSet]?.runAsUser
  if (principal?.kind === 'assumed-role' && principal.permissionSet) {
    return info(
      `IAM Identity Center roles carry no tags and STS cannot show session tags. If your organization passes the user attribute ${RUN_AS_TAG} (attributes for access control), it wins over the document's RunAs user${documentUser ? ` (${documentUser})` : ''}.`,
      ['Admins can check the attribute mapping with: ssmx admin status'],
    )
  }
  const user = principal?.kind === 'user'
  const roleName = principal?.kind === 'assumed-role' ? principal.roleName : undefined
  if (!user && !roleName) return info(`cannot be checked for a ${principal?.kind ?? 'unknown'} principal.`)
  const what = user ? `IAM user ${name}` : `role ${roleName}`
  const permission = user ? 'iam:ListUserTags' : 'iam:ListRoleTags'
  try {
    // loaded only here: the IAM client is large, and most callers are IAM Identity Center roles
    const port = iam(ctx)
    const {Tags} = user ? await port.listUserTags(name) : await port.listRoleTags(roleName ?? '')
    const tag = Tags?.find((t) => t.Key === RUN_AS_TAG)
    if (tag) return info(`${what} has ${RUN_AS_TAG}=${tag.Value}: Session Manager runs your sessions as ${tag.Value}, whatever the document says.`)
    return ok(
      `${what} has no ${RUN_AS_TAG} tag: the document's RunAs user applies${principal?.kind === 'assumed-role' ? ' (unless the session was started with session tags)' : ''}`,
    )
  } catch (error) {
    const e = mapAwsError(error, {profile: ctx.profile.name, operation: `IAM ${permission}`})
    if (e.code === 'accessDenied') return info(`cannot read the tags of ${what} (${permission} is denied).`)
    throw e
  }
}
