import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import type {SsmxConfig} from '../config/schema.js'
import {chooseDocument} from '../documents/select.js'
import {BROKER_URL_PARAMETER, type BrokerDecision, type DecideResponse, KIND_DOCUMENTS} from '../broker/protocol.js'
import {type ErrorJson, SsmxError, errorJson, errorMessage} from '../errors.js'
import {type PluginInfo, PluginMissingError, checkPlugin} from '../session/plugin.js'
import {identityFromProfile, identityFromSts} from './identity.js'

export interface WhoamiResult {
  profile: string
  region: string
  regionSource: string
  account?: string
  principalArn?: string
  permissionSet?: string
  permissionSetSource: 'profile' | 'sts' | 'none'
  document?: string
  /** why this document: the permission set's, the account default, a flag, or the broker's (broker mode) */
  documentReason?: string
  runAsUser?: string
  configFile?: string
  /** builtIn: sessions run with the built-in client (no plugin installed, or native: true) */
  plugin: {path?: string; version?: string; envHandoff?: boolean; error?: string; builtIn?: boolean}
  /** who starts sessions: SSM with the permission set's document, or the session broker */
  mode: 'documents' | 'broker'
  /** broker mode: where the broker is, and with --target what it decides there (document and runAsUser are then the broker's) */
  broker?: {url: string; urlSource: 'cache' | 'ssm'; target?: {id: string; name?: string}; decision?: DecideResponse}
  /**
   * STS could not say who you are (expired or missing SSO session, no network…): the fields it would have given
   * (account, principalArn, and without an SSO profile permissionSet, document, runAsUser) are listed here and
   * absent above, and `error` is why; the command exits with error.exitCode.
   */
  unavailable?: string[]
  error?: ErrorJson
}

/** What whoami needs to ask the broker; tests fake it. */
export interface WhoamiBroker {
  url(): Promise<{url: string; source: 'cache' | 'ssm'}>
  decide(request: {target: string; kind: 'shell'}): Promise<DecideResponse>
}

/** What whoami reads: the AWS context and config, and in broker mode the broker and --target. */
export interface WhoamiDeps {
  ctx: AwsContext
  config: SsmxConfig
  configFile?: string
  plugin?: () => Promise<PluginInfo>
  /** broker mode (--broker or mode: broker) */
  broker?: WhoamiBroker
  /** --target, resolved to an instance (broker mode only) */
  target?: () => Promise<{id: string; name?: string}>
}

export async function whoami(deps: WhoamiDeps): Promise<WhoamiResult> {
  const {ctx, config} = deps
  if (deps.target && !deps.broker) {
    throw new SsmxError('usage', '--target asks the session broker what it decides there: use it in broker mode (--broker, or mode: broker).', [
      'In documents mode the Linux user does not depend on the target: ssmx whoami shows it.',
    ])
  }
  const fromProfile = identityFromProfile(ctx)
  const [sts, plugin] = await Promise.all([
    // the local facts (profile, permission set, document, Linux user) need no network: they stay when STS fails
    identityFromSts(ctx).catch((e): {failed: SsmxError} => ({failed: mapAwsError(e, {profile: ctx.profile.name, operation: 'STS GetCallerIdentity'})})),
    pluginStatus(deps),
  ])
  if ('failed' in sts) return withoutSts(deps, fromProfile, plugin, sts.failed)
  const identity = fromProfile ?? sts
  const choice = chooseDocument({permissionSet: identity.permissionSet, config})
  const broker = deps.broker ? await askBroker(deps.broker, deps.target) : undefined
  const fromBroker = broker?.decision
  return {
    profile: ctx.profile.name,
    region: ctx.region,
    regionSource: ctx.regionSource,
    account: sts.account ?? identity.account,
    principalArn: sts.principal?.arn,
    permissionSet: identity.permissionSet,
    permissionSetSource: identity.source,
    document: deps.broker ? (fromBroker?.allowed ? KIND_DOCUMENTS.shell : '') : choice.document,
    documentReason: deps.broker ? 'broker' : choice.reason,
    runAsUser: deps.broker ? fromBroker?.linuxUser : choice.runAsUser,
    configFile: deps.configFile,
    plugin,
    mode: deps.broker ? 'broker' : 'documents',
    ...(broker ? {broker} : {}),
  }
}

/** The plugin, or why sessions use the built-in client; never throws. */
function pluginStatus(deps: WhoamiDeps): Promise<WhoamiResult['plugin']> {
  const {config} = deps
  return (deps.plugin ?? (() => checkPlugin({explicit: config.pluginPath})))().then(
    (p) => ({path: p.path, version: p.version, envHandoff: p.envHandoff, ...(config.native ? {builtIn: true} : {})}),
    (e) => ({error: errorMessage(e), ...(config.native || e instanceof PluginMissingError ? {builtIn: true} : {})}),
  )
}

/** STS failed: the local facts the profile gives, what is unavailable, and why. */
function withoutSts(deps: WhoamiDeps, fromProfile: ReturnType<typeof identityFromProfile>, plugin: WhoamiResult['plugin'], failed: SsmxError): WhoamiResult {
  const {ctx, config} = deps
  const choice = fromProfile && chooseDocument({permissionSet: fromProfile.permissionSet, config})
  return {
    profile: ctx.profile.name,
    region: ctx.region,
    regionSource: ctx.regionSource,
    ...(fromProfile?.account ? {account: fromProfile.account} : {}),
    ...(fromProfile && choice
      ? {
          permissionSet: fromProfile.permissionSet,
          permissionSetSource: fromProfile.source,
          document: choice.document,
          documentReason: choice.reason,
          runAsUser: choice.runAsUser,
        }
      : {permissionSetSource: 'none' as const}),
    configFile: deps.configFile,
    plugin,
    unavailable: [...(fromProfile?.account ? [] : ['account']), 'principalArn', ...(fromProfile ? [] : ['permissionSet', 'document', 'runAsUser'])],
    error: errorJson(failed),
    mode: deps.broker ? 'broker' : 'documents',
  }
}

/** Broker mode: where the broker is, and with --target what it decides there. */
async function askBroker(broker: WhoamiBroker, target?: WhoamiDeps['target']): Promise<NonNullable<WhoamiResult['broker']>> {
  const [{url, source}, resolved] = await Promise.all([broker.url(), target?.()])
  // a refusal is an answer too: whoami shows it (and exits 15)
  const decision = resolved
    ? await broker.decide({target: resolved.id, kind: 'shell'}).catch((error: unknown) => {
        const said = (error as {decision?: BrokerDecision}).decision
        if (!said) throw error
        return {...said, allowed: false, version: '?'}
      })
    : undefined
  return {url, urlSource: source, ...(resolved ? {target: resolved} : {}), ...(decision ? {decision} : {})}
}

export function formatWhoami(r: WhoamiResult): string[] {
  const row = (k: string, v: string) => `${k.padEnd(15)}${v}`
  const missing = new Set(r.unavailable ?? [])
  const UNAVAILABLE = 'unavailable (needs AWS: see the error below)'
  return [
    row('profile', r.profile),
    row('region', `${r.region} (from ${r.regionSource})`),
    row('account', missing.has('account') ? UNAVAILABLE : (r.account ?? '-')),
    row('principal', missing.has('principalArn') ? UNAVAILABLE : (r.principalArn ?? '-')),
    row(
      'permission set',
      missing.has('permissionSet')
        ? UNAVAILABLE
        : r.permissionSet
          ? `${r.permissionSet} (from ${r.permissionSetSource === 'sts' ? 'STS' : r.permissionSetSource})`
          : 'none (not an IAM Identity Center role)',
    ),
    row(
      'mode',
      r.mode === 'broker'
        ? 'broker (the session broker starts sessions and decides the Linux user)'
        : "documents (your permission set's session document decides the Linux user)",
    ),
    ...(r.broker
      ? brokerRows(r.broker, row)
      : [
          row('document', missing.has('document') ? UNAVAILABLE : `${r.document}${r.documentReason === 'default' ? ' (account default)' : ''}`),
          row('runs as', missing.has('runAsUser') ? UNAVAILABLE : (r.runAsUser ?? 'unknown (the permission set is not in the ssmx configuration)')),
        ]),
    row('config', r.configFile ?? 'none (built-in defaults)'),
    row('plugin', formatPlugin(r.plugin)),
  ]
}

function brokerRows(b: NonNullable<WhoamiResult['broker']>, row: (k: string, v: string) => string): string[] {
  const rows = [
    row(
      'broker',
      `${b.url} (${b.urlSource === 'cache' ? 'cached' : `from the SSM parameter ${BROKER_URL_PARAMETER}`})${b.decision && b.decision.version !== '?' ? `, version ${b.decision.version}` : ''}`,
    ),
  ]
  if (!b.target || !b.decision) return [...rows, row('runs as', 'decided by the broker per target: ssmx whoami --target <target>')]
  const d = b.decision
  rows.push(row('target', `${b.target.id}${b.target.name ? ` (${b.target.name})` : ''}`))
  rows.push(row('broker says', `${d.user} with permission set ${d.permissionSet}`))
  if (d.allowed)
    rows.push(
      row(
        'runs as',
        `${d.linuxUser} (from ${d.source === 'user' ? 'a per-user override' : d.source === 'ou-permission-set' ? 'the permission set, overridden for this OU' : 'the permission set'})`,
      ),
    )
  else rows.push(row('runs as', `refused: ${d.reason ?? 'no reason given'}`))
  return rows
}

function formatPlugin(p: WhoamiResult['plugin']): string {
  const builtIn = p.builtIn ? ' (sessions use the built-in client)' : ''
  if (!p.path) return `not found: ${p.error}${builtIn}`
  return `${p.path} ${p.version}${p.builtIn ? ' (not used: native: true, sessions use the built-in client)' : p.envHandoff ? '' : ' (old: token on the command line)'}`
}
