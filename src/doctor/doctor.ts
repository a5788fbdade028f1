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
import type {DecideResponse} from '../broker/protocol.js'
import {ssmEndpoint} from '../session/connect.js'
import {ENV_HANDOFF_AFTER, type PluginInfo, type PluginLookup, PluginMissingError, checkPlugin, installSteps} from '../session/plugin.js'

export const MIN_NODE_MAJOR = 22
/** the RunAs tag Session Manager reads from the calling principal */
export const RUN_AS_TAG = 'SSMSessionRunAs'
/** a token closer than this to its expiry gets a warning */
const EXPIRY_WARNING_MS = 15 * 60_000

export type CheckId =
  | 'node'
  | 'plugin'
  | 'config'
  | 'awsConfig'
  | 'profile'
  | 'region'
  | 'proxy'
  | 'ssoToken'
  | 'credentials'
  | 'ssm'
  | 'mode'
  | 'broker'
  | 'brokerDecision'
  | 'document'
  | 'runAs'

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
  /** --broker: check broker mode even when the configuration says documents */
  broker?: boolean
  /** --target: ask the broker what it decides there (broker mode) */
  target?: string
  /** the broker client (default: brokerFor(ctx)); tests fake it */
  brokerClient?: (ctx: AwsContext) => DoctorBroker
  /** --target → instance (default: as connect resolves it) */
  /** resolves --target (the command passes session/commands' resolveTargetFor: the picker lives above this layer) */
  resolveTarget?: (ctx: AwsContext, target: string) => Promise<{id: string; name?: string}>
}

/** What doctor asks the broker. */
export interface DoctorBroker {
  url(): Promise<{url: string; source: 'cache' | 'ssm'}>
  decide(request: {target: string; kind: 'shell'}): Promise<DecideResponse>
}

/** Not an instance id: a broker that checks its input answers 400, which shows the request reached it, signed and accepted. */
export const BROKER_PROBE_TARGET = 'ssmx-doctor-probe'

type Outcome = Omit<Check, 'id' | 'title' | 'fix'> & {fix?: string[]}

const ok = (detail: string, fix: string[] = []): Outcome => ({status: 'ok', detail, fix})
const warn = (detail: string, fix: string[] = []): Outcome => ({status: 'warn', detail, fix})
const info = (detail: string, fix: string[] = []): Outcome => ({status: 'info', detail, fix})
const fail = (detail: string, fix: string[], code: ExitCodeName): Outcome => ({status: 'fail', detail, fix, code})
const fromError = (e: SsmxError): Outcome => fail(e.message, e.suggestions, e.code)

/** What the checks find and later checks use; filled in order as the checks run. */
interface DoctorState {
  deps: DoctorDeps
  env: NodeJS.ProcessEnv
  now: () => number
  platform: NodeJS.Platform
  profile: {name: string; explicit: boolean}
  config?: SsmxConfig
  files?: AwsFiles
  ctx?: AwsContext
  /** why no AwsContext could be built (a usage error: no region), reported by the region check */
  ctxError?: SsmxError
  profileData?: AwsProfile
  caller?: Identity
  ssm?: Ssm
  /** broker mode: the client the broker checks share */
  broker?: DoctorBroker
}

/** Broker mode: --broker, or mode: broker in the configuration. */
const brokerOn = (s: DoctorState): boolean => Boolean(s.deps.broker) || s.config?.mode === 'broker'

/** One check: what it needs to have passed, and what it finds (updating the state for later checks). */
interface CheckDefinition {
  id: CheckId
  title: string
  needs: CheckId[]
  /** false: not shown at all (the proxy check, without a proxy variable) */
  applies?: (s: DoctorState) => boolean
  run: (s: DoctorState) => Promise<Outcome>
}

/** A state field a check's `needs` guarantee; its absence is a bug in the order of CHECKS. */
function known<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new SsmxError('bug', `doctor: ${what} is not known yet (a check ran before the one it needs).`)
  return value
}

/** The checks, in the order they run and are shown. */
const CHECKS: CheckDefinition[] = [
  {id: 'node', title: 'Node.js', needs: [], run: async (s) => nodeCheck(s.deps.nodeVersion ?? process.versions.node)},
  {id: 'config', title: 'ssmx configuration', needs: [], run: configCheck},
  {id: 'plugin', title: 'session-manager-plugin', needs: [], run: async (s) => pluginCheck(s.deps, {config: s.config, env: s.env, platform: s.platform})},
  {id: 'awsConfig', title: 'AWS config', needs: [], run: awsConfigCheck},
  {id: 'profile', title: 'profile', needs: ['awsConfig'], run: profileCheck},
  {
    id: 'region',
    title: 'region',
    needs: ['profile'],
    run: async (s) => (s.ctx ? ok(`${s.ctx.region} (from ${s.ctx.regionSource})`) : fromError(known(s.ctxError, 'the context error'))),
  },
  // only when a proxy variable is set: which proxy AWS calls go through (credentials redacted)
  {id: 'proxy', title: 'proxy', needs: [], applies: (s) => describeProxy(s.env) !== undefined, run: proxyCheck},
  {id: 'ssoToken', title: 'SSO session', needs: ['profile'], run: ssoTokenCheck},
  {id: 'credentials', title: 'credentials', needs: ['region', 'ssoToken'], run: credentialsCheck},
  {id: 'ssm', title: 'SSM', needs: ['credentials'], run: ssmCheck},
  {id: 'mode', title: 'mode', needs: [], run: modeCheck},
  {id: 'broker', title: 'session broker', needs: ['credentials'], applies: brokerOn, run: brokerCheck},
  {id: 'brokerDecision', title: 'broker decision', needs: ['broker'], applies: (s) => brokerOn(s) && s.deps.target !== undefined, run: brokerDecisionCheck},
  {id: 'document', title: 'session document', needs: ['config', 'ssm'], run: documentCheck},
  {
    id: 'runAs',
    title: `${RUN_AS_TAG} tag`,
    needs: ['credentials'],
    run: async (s) => runAsTag(known(s.ctx, 'the AWS context'), known(s.caller, 'the caller'), s.config),
  },
]

/**
 * Checks, in order, everything `ssmx connect` needs, one result per check. A check whose prerequisite
 * failed (or was skipped) is skipped with the reason. Makes only read-only AWS calls: STS
 * GetCallerIdentity, SSM DescribeInstanceInformation (5 results) and DescribeDocument, IAM List*Tags.
 */
export async function doctor(deps: DoctorDeps): Promise<DoctorResult> {
  const env = deps.env ?? process.env
  const state: DoctorState = {deps, env, now: deps.now ?? Date.now, platform: deps.platform ?? process.platform, profile: profileName(deps.profile, env)}
  const checks: Check[] = []
  for (const check of CHECKS) {
    if (check.applies && !check.applies(state)) continue
    const outcome = await runCheck(check, state, checks)
    checks.push({id: check.id, title: check.title, ...outcome, fix: outcome.fix ?? []})
  }
  const failed = checks.find((c) => c.status === 'fail')
  return {ok: !failed, exitCode: failed ? ExitCode[failed.code ?? 'internal'] : 0, profile: state.profile.name, checks}
}

/** A check's outcome: skipped when a check it needs failed or was skipped; an error it throws is its failure. */
async function runCheck(check: CheckDefinition, state: DoctorState, done: Check[]): Promise<Outcome> {
  const blocker = done.find((c) => check.needs.includes(c.id) && (c.status === 'fail' || c.status === 'skip'))
  if (blocker) return {status: 'skip', detail: blocker.status === 'skip' ? blocker.detail : `skipped: needs ${blocker.title}`}
  try {
    return await check.run(state)
  } catch (error) {
    return fromError(isSsmxError(error) ? error : mapAwsError(error, {profile: state.profile.name, operation: check.title}))
  }
}

/** doctor found something that blocks connect: the error the command ends with (its output already says what). */
export function doctorFailed(result: DoctorResult): SsmxError {
  const failed = result.checks.find((c) => c.status === 'fail')
  return new SsmxError(failed?.code ?? 'internal', failed?.detail ?? 'doctor found a problem.', failed?.fix ?? [], {result, shown: true})
}

function nodeCheck(version: string): Outcome {
  return Number(version.split('.')[0]) >= MIN_NODE_MAJOR
    ? ok(version)
    : fail(
        `${version} is too old: ssmx needs Node.js ${MIN_NODE_MAJOR} or newer.`,
        [`Install Node.js ${MIN_NODE_MAJOR} LTS or newer (https://nodejs.org/), then reinstall ssmx.`],
        'prerequisite',
      )
}

async function configCheck(s: DoctorState): Promise<Outcome> {
  const loaded = await s.deps.loadConfig()
  s.config = loaded.config
  return ok(loaded.filepath ?? 'none found: built-in defaults')
}

async function awsConfigCheck(s: DoctorState): Promise<Outcome> {
  const files = await loadAwsFiles(s.env)
  s.files = files
  const count = Object.keys(files.profiles).length
  if (count > 0) return ok(`${files.configPath} (${count} profile${count === 1 ? '' : 's'})`)
  const create = [
    'With AWS CLI v2: aws configure sso (asks for the start URL, SSO region, account and permission set)',
    'Without it: write the file by hand (an [sso-session] and a [profile] section; the README shows one), then: ssmx login --profile NAME',
  ]
  return existsSync(files.configPath)
    ? warn(`${files.configPath}: no profiles`, create)
    : warn(`${files.configPath} not found: no AWS profiles on this machine`, create)
}

async function profileCheck(s: DoctorState): Promise<Outcome> {
  try {
    s.ctx = await s.deps.awsContext()
  } catch (error) {
    if (!isSsmxError(error) || error.code !== 'usage') throw error
    s.ctxError = error
  }
  const {profile, env} = s
  s.profileData = s.ctx?.profileData ?? resolveProfile(known(s.files, 'the AWS config'), profile.name)
  if (!profile.explicit && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
    return ok(`${profile.name}: credentials from AWS_ACCESS_KEY_ID in the environment`)
  if (s.profileData) return ok(describeProfile(s.profileData))
  return warn(`no "${profile.name}" profile and no access keys in the environment; the SDK will look for container or instance credentials`, [
    'Pass --profile, set AWS_PROFILE, or run: aws configure sso',
  ])
}

async function proxyCheck(s: DoctorState): Promise<Outcome> {
  const proxy = known(describeProxy(s.env), 'the proxy')
  const version = s.deps.nodeVersion ?? process.versions.node
  return nodeSupportsProxyEnv(version)
    ? info(proxy)
    : warn(`${proxy}: ignored, Node.js ${version} cannot use a proxy.`, [`Install Node.js ${PROXY_NODE_VERSIONS}.`])
}

async function ssoTokenCheck(s: DoctorState): Promise<Outcome> {
  const signIn = ssoSignIn(s.profileData)
  if (!signIn) return info('not an IAM Identity Center profile: no SSO session needed')
  const name = s.profile.name
  const login = `Run: ssmx login --profile ${name}`
  const {path, token} = await readSsoToken(signIn.key)
  const what = describeSignIn(signIn)
  if (!token?.accessToken || !token.expiresAt) return fail(`no SSO token cached for ${what} (${path}).`, [login], 'ssoExpired')
  const left = Date.parse(token.expiresAt) - s.now()
  if (left <= 0) {
    const refreshable =
      signIn.form === 'sso-session' &&
      token.refreshToken &&
      token.clientId &&
      token.clientSecret &&
      !(token.registrationExpiresAt && Date.parse(token.registrationExpiresAt) <= s.now())
    return refreshable
      ? warn(`${what}: the access token expired ${formatDuration(left)} ago; the SDK will try its refresh token.`, [
          `If "credentials" fails: ssmx login --profile ${name}`,
        ])
      : fail(`${what}: expired ${formatDuration(left)} ago (at ${token.expiresAt}).`, [login], 'ssoExpired')
  }
  if (left < EXPIRY_WARNING_MS)
    return warn(`${what}: expires in ${formatDuration(left)} (at ${token.expiresAt}).`, [`Sign in again before a long session: ssmx login --profile ${name}`])
  return ok(`${what}: valid for ${formatDuration(left)} (until ${token.expiresAt})`)
}

async function credentialsCheck(s: DoctorState): Promise<Outcome> {
  const identity = await identityFromSts(known(s.ctx, 'the AWS context')).catch((e) =>
    Promise.reject(mapAwsError(e, {profile: s.profile.name, operation: 'STS GetCallerIdentity'})),
  )
  s.caller = identity
  return ok(`${identity.principal?.arn ?? '?'} (account ${identity.account ?? '?'})`)
}

async function ssmCheck(s: DoctorState): Promise<Outcome> {
  const ctx = known(s.ctx, 'the AWS context')
  const ssm = ssmOf(ctx)
  s.ssm = ssm
  const endpoint = await ssmEndpoint(ctx, ssm)
  try {
    const out = await ssm.describeInstanceInformation({MaxResults: 5})
    const n = out.InstanceInformationList?.length ?? 0
    return ok(`${endpoint} answers; ${n}${out.NextToken ? '+' : ''} managed node${n === 1 && !out.NextToken ? '' : 's'} visible`)
  } catch (error) {
    const e = mapAwsError(error, {profile: s.profile.name, operation: 'SSM DescribeInstanceInformation'})
    if (e.code === 'accessDenied')
      return warn(`${endpoint} answers, but ssm:DescribeInstanceInformation is denied.`, ['connect can still work; ssmx list needs this permission.'])
    return fail(`${endpoint}: ${e.message}`, e.suggestions, e.code)
  }
}

async function modeCheck(s: DoctorState): Promise<Outcome> {
  if (brokerOn(s))
    return info(`broker: the session broker starts sessions and decides the Linux user${s.deps.broker && s.config?.mode !== 'broker' ? ' (--broker)' : ''}`)
  return info(
    "documents: your permission set's session document decides the Linux user",
    s.deps.target ? ['--target is for broker mode: add --broker (or mode: broker in the configuration).'] : [],
  )
}

/** The broker's URL is published here, and the broker answers a signed request (a probe that starts nothing). */
async function brokerCheck(s: DoctorState): Promise<Outcome> {
  const ctx = known(s.ctx, 'the AWS context')
  const {brokerFor} = await import('../broker/client.js')
  const client = (s.deps.brokerClient ?? brokerFor)(ctx)
  s.broker = client
  const {url, source} = await client.url()
  const where = `${url} (${source === 'cache' ? 'cached' : 'from the SSM parameter'})`
  try {
    const d = await client.decide({target: BROKER_PROBE_TARGET, kind: 'shell'})
    return ok(`${where} answers, version ${d.version}`)
  } catch (error) {
    // an answer from the broker itself (400 or a refusal) shows the signed request got through
    if (isSsmxError(error) && (error.code === 'usage' || error.code === 'brokerRefused')) return ok(`${where} answers and accepts your signed requests`)
    throw error
  }
}

/** --target: what the broker decides for the caller there (a refusal is a failure with exit code 15). */
async function brokerDecisionCheck(s: DoctorState): Promise<Outcome> {
  const ctx = known(s.ctx, 'the AWS context')
  const [{describeDecision}, {ASK_PLATFORM_TEAM}] = await Promise.all([import('../session/broker.js'), import('../broker/client.js')])
  const target = await known(s.deps.resolveTarget, 'the target resolver')(ctx, known(s.deps.target, 'the target'))
  const d = await known(s.broker, 'the broker client')
    .decide({target: target.id, kind: 'shell'})
    .catch((error: unknown) => {
      const said = (error as {decision?: DecideResponse}).decision
      if (!said) throw error
      return {...said, allowed: false}
    })
  if (!d.allowed) return fail(`${target.id}: ${describeDecision(d)}`, [ASK_PLATFORM_TEAM], 'brokerRefused')
  return ok(`${target.id}${target.name ? ` (${target.name})` : ''}: ${describeDecision(d)}`)
}

async function documentCheck(s: DoctorState): Promise<Outcome> {
  if (brokerOn(s)) return info('broker mode: the broker chooses the session document (one with runAsEnabled for shells)')
  const ctx = known(s.ctx, 'the AWS context')
  const identity = identityFromProfile(ctx) ?? s.caller
  const choice = chooseDocument({permissionSet: identity?.permissionSet, config: known(s.config, 'the configuration')})
  if (choice.reason === 'default') {
    return info(
      `no permission set in ${s.caller?.principal?.arn ?? 'this identity'}: sessions use ${DEFAULT_SESSION_DOCUMENT} and the account's default RunAs user`,
    )
  }
  const runsAs = choice.runAsUser ? `; sessions run as ${choice.runAsUser}` : '; the ssmx configuration does not name its RunAs user'
  try {
    const out = await known(s.ssm, 'the SSM client').describeDocument(choice.document)
    const type = out.Document?.DocumentType
    if (type && type !== 'Session') {
      return fail(
        `${choice.document} exists in ${ctx.region} but is a ${type} document, not a Session document.`,
        ['Ask your platform team to redeploy it (ssmx admin enforce).'],
        'document',
      )
    }
    return ok(`${choice.document} (permission set ${identity?.permissionSet}) exists in ${ctx.region}${runsAs}`)
  } catch (error) {
    const e = mapAwsError(error, {profile: s.profile.name, operation: 'SSM DescribeDocument', document: choice.document})
    if (awsErrorName(error) === 'InvalidDocument' && choice.fallback) {
      return warn(
        `${choice.document} does not exist in ${ctx.region}: connect falls back to ${choice.fallback} (the account's default RunAs user).`,
        e.suggestions,
      )
    }
    if (awsErrorName(error) === 'InvalidDocument')
      return fail(`${e.message} strict is on, so connect will refuse to start a session.`, e.suggestions, 'document')
    if (e.code === 'accessDenied') return warn(`cannot check ${choice.document}: ssm:DescribeDocument is denied.`, ['connect will tell at StartSession.'])
    throw e
  }
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
