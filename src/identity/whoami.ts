import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import type {SsmxConfig} from '../config/schema.js'
import {chooseDocument} from '../documents/select.js'
import {type ErrorJson, type SsmxError, errorJson, errorMessage} from '../errors.js'
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
  documentReason?: string
  runAsUser?: string
  configFile?: string
  /** builtIn: sessions run with the built-in client (no plugin installed, or native: true) */
  plugin: {path?: string; version?: string; envHandoff?: boolean; error?: string; builtIn?: boolean}
  /**
   * STS could not say who you are (expired or missing SSO session, no network…): the fields it would have given
   * (account, principalArn, and without an SSO profile permissionSet, document, runAsUser) are listed here and
   * absent above, and `error` is why; the command exits with error.exitCode.
   */
  unavailable?: string[]
  error?: ErrorJson
}

export async function whoami(deps: {ctx: AwsContext; config: SsmxConfig; configFile?: string; plugin?: () => Promise<PluginInfo>}): Promise<WhoamiResult> {
  const {ctx, config} = deps
  const fromProfile = identityFromProfile(ctx)
  const [sts, plugin] = await Promise.all([
    // the local facts (profile, permission set, document, Linux user) need no network: they stay when STS fails
    identityFromSts(ctx).catch((e): {failed: SsmxError} => ({failed: mapAwsError(e, {profile: ctx.profile.name, operation: 'STS GetCallerIdentity'})})),
    (deps.plugin ?? (() => checkPlugin({explicit: config.pluginPath})))().then(
      (p) => ({path: p.path, version: p.version, envHandoff: p.envHandoff, ...(config.native ? {builtIn: true} : {})}),
      (e) => ({error: errorMessage(e), ...(config.native || e instanceof PluginMissingError ? {builtIn: true} : {})}),
    ),
  ])
  if ('failed' in sts) {
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
      error: errorJson(sts.failed),
    }
  }
  const identity = fromProfile ?? sts
  const choice = chooseDocument({permissionSet: identity.permissionSet, config})
  return {
    profile: ctx.profile.name,
    region: ctx.region,
    regionSource: ctx.regionSource,
    account: sts.account ?? identity.account,
    principalArn: sts.principal?.arn,
    permissionSet: identity.permissionSet,
    permissionSetSource: identity.source,
    document: choice.document,
    documentReason: choice.reason,
    runAsUser: choice.runAsUser,
    configFile: deps.configFile,
    plugin,
  }
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
    row('document', missing.has('document') ? UNAVAILABLE : `${r.document}${r.documentReason === 'default' ? ' (account default)' : ''}`),
    row('runs as', missing.has('runAsUser') ? UNAVAILABLE : (r.runAsUser ?? 'unknown (the permission set is not in the ssmx configuration)')),
    row('config', r.configFile ?? 'none (built-in defaults)'),
    row('plugin', formatPlugin(r.plugin)),
  ]
}

function formatPlugin(p: WhoamiResult['plugin']): string {
  const builtIn = p.builtIn ? ' (sessions use the built-in client)' : ''
  if (!p.path) return `not found: ${p.error}${builtIn}`
  return `${p.path} ${p.version}${p.builtIn ? ' (not used: native: true, sessions use the built-in client)' : p.envHandoff ? '' : ' (old: token on the command line)'}`
}
