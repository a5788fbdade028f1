import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import type {SsmxConfig} from '../config/schema.js'
import {chooseDocument} from '../documents/select.js'
import {errorMessage} from '../errors.js'
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
  document: string
  documentReason: string
  runAsUser?: string
  configFile?: string
  /** builtIn: sessions run with the built-in client (no plugin installed, or native: true) */
  plugin: {path?: string; version?: string; envHandoff?: boolean; error?: string; builtIn?: boolean}
}

export async function whoami(deps: {ctx: AwsContext; config: SsmxConfig; configFile?: string; plugin?: () => Promise<PluginInfo>}): Promise<WhoamiResult> {
  const {ctx, config} = deps
  const fromProfile = identityFromProfile(ctx)
  const [sts, plugin] = await Promise.all([
    identityFromSts(ctx).catch((e) => Promise.reject(mapAwsError(e, {profile: ctx.profile.name, operation: 'STS GetCallerIdentity'}))),
    (deps.plugin ?? (() => checkPlugin({explicit: config.pluginPath})))().then(
      (p) => ({path: p.path, version: p.version, envHandoff: p.envHandoff, ...(config.native ? {builtIn: true} : {})}),
      (e) => ({error: errorMessage(e), ...(config.native || e instanceof PluginMissingError ? {builtIn: true} : {})}),
    ),
  ])
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
  return [
    row('profile', r.profile),
    row('region', `${r.region} (from ${r.regionSource})`),
    row('account', r.account ?? '-'),
    row('principal', r.principalArn ?? '-'),
    row(
      'permission set',
      r.permissionSet
        ? `${r.permissionSet} (from ${r.permissionSetSource === 'sts' ? 'STS' : r.permissionSetSource})`
        : 'none (not an IAM Identity Center role)',
    ),
    row('document', `${r.document}${r.documentReason === 'default' ? ' (account default)' : ''}`),
    row('runs as', r.runAsUser ?? 'unknown (the permission set is not in the ssmx configuration)'),
    row('config', r.configFile ?? 'none (built-in defaults)'),
    row('plugin', formatPlugin(r.plugin)),
  ]
}

function formatPlugin(p: WhoamiResult['plugin']): string {
  const builtIn = p.builtIn ? ' (sessions use the built-in client)' : ''
  if (!p.path) return `not found: ${p.error}${builtIn}`
  return `${p.path} ${p.version}${p.builtIn ? ' (not used: native: true, sessions use the built-in client)' : p.envHandoff ? '' : ' (old: token on the command line)'}`
}
