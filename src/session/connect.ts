import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import {identityByAccessKey} from '../aws/identity-cache.js'
import {type Ssm, type StartSessionInput, ec2} from '../aws/ports.js'
import {ssm as ssmOf} from '../aws/ssm.js'
import type {SsmxConfig} from '../config/schema.js'
import {documentNameFor} from '../documents/naming.js'
import {type DocumentChoice, chooseDocument} from '../documents/select.js'
import {SsmxError, awsErrorName, isSsmxError} from '../errors.js'
import type {BrokerClient} from '../broker/client.js'
import {KIND_DOCUMENTS, type SessionKind} from '../broker/protocol.js'
import {type Identity, identityFromProfile, identityFromSts} from '../identity/identity.js'
import {type Candidate, type Chooser, resolveTarget} from '../targets/resolve.js'
import type {SessionIo} from '../native/session.js'
import type {NativeRun} from './native.js'
import {type RunResult, type Spawn, signalExitCode} from '../platform/process.js'
import {
  NATIVE_NOTE,
  type PluginInfo,
  type PluginLaunch,
  PluginMissingError,
  type StartSessionResponse,
  checkPlugin,
  displayCommand,
  oldPluginWarning,
  runPlugin,
} from './plugin.js'
import {type SignalSource, deferSignals} from './signals.js'

export interface SessionRequest {
  /** instance id, Name tag, IP, DNS name or tag:Key=Value */
  target: string
  /** --document: overrides the permission set's document */
  document?: string
  /** a fixed document for port forwarding / ssh: no RunAs lookup */
  fixedDocument?: string
  parameters?: Record<string, string[]>
  reason?: string
  dryRun?: boolean
  /** 'on-failure' (default): TerminateSession when the plugin fails; 'always': also after a clean end (port forwarding) */
  terminate?: 'on-failure' | 'always'
  /** 'ignore' (default): Ctrl-C goes to the remote shell; 'stop': Ctrl-C ends the plugin (port forwarding) */
  interrupt?: 'ignore' | 'stop'
  /** --native: the built-in session client even when the plugin is installed */
  native?: boolean
  /** --broker (or mode: broker): the session broker starts the session; the document is the broker's */
  broker?: boolean
}

export interface SessionDeps {
  ctx: AwsContext
  config: SsmxConfig
  warn: (line: string) => void
  /** prints results (dry-run report) */
  out: (line: string) => void
  choose?: Chooser
  spawn?: Spawn
  /** checked before StartSession; injectable for tests */
  plugin?: () => Promise<PluginInfo>
  /** 'pipe' for ssh-proxy tests; default inherit */
  stdio?: 'inherit' | 'pipe'
  /** called once the session is started, before the plugin runs */
  onStarted?: (plan: SessionPlan, sessionId: string) => void
  /** the built-in client's stdin/stdout/stderr (default: the process's) */
  nativeIo?: SessionIo
  /** where SIGTERM/SIGHUP/SIGINT come from while the session starts (default: process); tests inject an EventEmitter */
  signals?: SignalSource
  /** broker mode's client (default: brokerFor(ctx)); tests inject one */
  broker?: BrokerClient
}

export interface SessionPlan {
  identity?: Identity
  choice: DocumentChoice
  target: Candidate
  input: StartSessionInput
  /** undefined: the session runs in the built-in client */
  plugin?: PluginInfo
  /** broker mode: what the broker is asked for (the document in `choice` is the one it uses for that kind) */
  broker?: {kind: SessionKind}
}

/** The SSM endpoint the client uses, as the plugin's last argument: the override, else the regional default. */
export const ssmEndpoint = (ctx: AwsContext, ssm: Pick<Ssm, 'endpoint'>): Promise<string> => ssm.endpoint(ctx.region, ctx.endpointOverride('SSM'))

/** The plugin to run the session with, or undefined for the built-in client (asked for, or no plugin installed). */
async function choosePlugin(req: SessionRequest, deps: SessionDeps): Promise<PluginInfo | undefined> {
  if (req.native || deps.config.native) return undefined
  try {
    return await (deps.plugin ?? (() => checkPlugin({explicit: deps.config.pluginPath})))()
  } catch (error) {
    if (!(error instanceof PluginMissingError)) throw error
    deps.warn(NATIVE_NOTE)
    return undefined
  }
}

/** The caller's identity as connect works it out: the SSO profile (free), else STS (cached per access key). */
export async function sessionIdentity(ctx: AwsContext): Promise<Identity> {
  // credentials ssmx resolved itself: the identity is cached per access key; handed-in ones are asked each time
  const fromSts = () => identityFromSts(ctx)
  const lookup = ctx.options.credentials ? fromSts : () => identityByAccessKey(ctx.credentials, fromSts, {env: ctx.options.env})
  return (
    identityFromProfile(ctx) ?? (await lookup().catch((e) => Promise.reject(mapAwsError(e, {profile: ctx.profile.name, operation: 'STS GetCallerIdentity'}))))
  )
}

/** The caller's permission set (sessionIdentity), or undefined for principals that are not IAM Identity Center roles. */
export const sessionPermissionSet = async (ctx: AwsContext): Promise<string | undefined> => (await sessionIdentity(ctx)).permissionSet

/** Everything decided before StartSession: plugin, identity, document, target, input. No state changes. */
export async function planSession(req: SessionRequest, deps: SessionDeps): Promise<SessionPlan> {
  // the plugin check (a child process) runs while identity and target are worked out; it is awaited before
  // StartSession, so a missing plugin still never leaves a session behind, and its error still comes first
  const pluginCheck = choosePlugin(req, deps)
  pluginCheck.catch(() => {})
  const plan = await planTarget(req, deps).catch(async (error) => {
    await pluginCheck
    throw error
  })
  const plugin = await pluginCheck
  if (plugin && !plugin.envHandoff) {
    deps.warn(oldPluginWarning(plugin.version))
  }
  return {...plan, plugin}
}

async function planTarget(req: SessionRequest, deps: SessionDeps): Promise<Omit<SessionPlan, 'plugin'>> {
  const {ctx, config} = deps
  let identity: Identity | undefined
  let choice: DocumentChoice
  let broker: SessionPlan['broker']
  if (req.broker) {
    if (req.document) {
      throw new SsmxError('usage', '--document cannot be used in broker mode: the broker chooses the document.', [
        'Leave out --document, or use documents mode (no --broker, mode: documents).',
      ])
    }
    broker = {kind: sessionKind(req.fixedDocument)}
    choice = {document: KIND_DOCUMENTS[broker.kind], reason: 'flag'}
  } else if (req.fixedDocument) {
    choice = {document: req.fixedDocument, reason: 'flag'}
  } else {
    if (!req.document) {
      identity = await sessionIdentity(ctx)
    }
    choice = chooseDocument({flag: req.document, permissionSet: identity?.permissionSet, config})
  }
  const target = await resolveTarget(req.target, {ec2: ec2(ctx), choose: deps.choose}).catch((e) =>
    Promise.reject(mapAwsError(e, {profile: ctx.profile.name, operation: 'EC2 DescribeInstances', target: req.target})),
  )
  const input: StartSessionInput = {
    Target: target.id,
    ...(choice.reason === 'default' ? {} : {DocumentName: choice.document}),
    ...(req.parameters ? {Parameters: req.parameters} : {}),
    ...(req.reason ? {Reason: req.reason} : {}),
  }
  return {identity, choice, target, input, ...(broker ? {broker} : {})}
}

/** The broker's session kind for a fixed document (port forwarding, ssh), else a shell. */
export function sessionKind(fixedDocument?: string): SessionKind {
  const kind = (Object.keys(KIND_DOCUMENTS) as SessionKind[]).find((k) => k !== 'shell' && KIND_DOCUMENTS[k] === fixedDocument)
  if (fixedDocument && !kind)
    throw new SsmxError('internal', `No broker session kind for the document ${fixedDocument}.`, ['This is a bug in ssmx: please report it.'])
  return kind ?? 'shell'
}

/**
 * StartSession with the chosen document, falling back once to SSM-SessionManagerRunShell (with a
 * warning) when the per-role document does not exist and the configuration is not strict.
 */
async function startSession(ssm: Ssm, plan: SessionPlan, deps: SessionDeps) {
  const ctxErr = (document?: string) => ({
    profile: deps.ctx.profile.name,
    operation: 'SSM StartSession',
    document,
    target: plan.target.id,
    pinned: pinnedDocument(plan, deps),
  })
  try {
    return {out: await ssm.startSession(plan.input), input: plan.input}
  } catch (error) {
    if (awsErrorName(error) === 'InvalidDocument' && plan.choice.fallback) {
      deps.warn(
        `warning: the document ${plan.choice.document} does not exist in ${deps.ctx.region}; using ${plan.choice.fallback} (the account default RunAs user) instead.`,
      )
      const {DocumentName: _, ...input} = plan.input
      try {
        return {out: await ssm.startSession(input), input}
      } catch (error2) {
        throw mapAwsError(error2, ctxErr(plan.choice.fallback))
      }
    }
    throw mapAwsError(error, ctxErr(plan.input.DocumentName ?? plan.choice.document))
  }
}

/** The document ssmx admin guardrails pins the caller's permission set to, for AccessDenied messages. */
function pinnedDocument(plan: SessionPlan, deps: SessionDeps): {permissionSet: string; document: string} | undefined {
  const permissionSet = plan.identity?.permissionSet ?? identityFromProfile(deps.ctx)?.permissionSet
  if (!permissionSet) return undefined
  try {
    return {permissionSet, document: documentNameFor(permissionSet, deps.config)}
  } catch {
    return undefined
  }
}

export function describePlan(plan: SessionPlan, launch?: PluginLaunch, backend?: string[]): string[] {
  const id = plan.identity
  if (plan.broker && backend) {
    return [
      `target:    ${plan.target.id}${plan.target.name ? ` (${plan.target.name})` : ''}`,
      ...backend,
      `plugin:    ${launch ? displayCommand(launch) : 'none: the built-in session client'}`,
    ]
  }
  return [
    `identity:  ${id?.permissionSet ? `permission set ${id.permissionSet} (from ${id.source})` : 'no permission set'}${id?.account ? `, account ${id.account}` : ''}`,
    `target:    ${plan.target.id}${plan.target.name ? ` (${plan.target.name})` : ''}`,
    `document:  ${plan.choice.document}${plan.choice.runAsUser ? ` (runs as ${plan.choice.runAsUser})` : ''}${plan.choice.fallback ? `, falls back to ${plan.choice.fallback}` : ''}`,
    `request:   SSM StartSession ${JSON.stringify(plan.input)}`,
    `plugin:    ${launch ? displayCommand(launch) : 'none: the built-in session client'}`,
  ]
}

/**
 * Who starts and ends the session: SSM itself with the user's credentials (documents mode), or the session broker
 * (src/session/broker.ts). The plugin gets `endpoint` as its SSM endpoint; the built-in client gets `resume`/`kms`.
 */
export interface SessionBackend {
  /** the plugin's SSM endpoint argument */
  endpoint: string
  start(): Promise<{response: StartSessionResponse; input: StartSessionInput}>
  terminate(sessionId: string): Promise<void>
  /** for the built-in client: ResumeSession and the KMS data key, when they do not go to AWS directly */
  native?: Pick<NativeRun, 'resume' | 'kms'>
  /** the dry-run's lines for this backend */
  describe?(): Promise<string[]>
  /** releases what the backend holds (the broker relay); called once the session is over */
  close(): Promise<void>
  /** broker mode: the credentials the relay accepts, for the plugin's environment (PluginLaunch.credentials) */
  pluginCredentials?(): PluginLaunch['credentials']
}

function ssmBackend(ssm: Ssm, endpoint: string, plan: SessionPlan, deps: SessionDeps): SessionBackend {
  return {
    endpoint,
    async start() {
      const {out, input} = await startSession(ssm, plan, deps)
      return {response: {SessionId: out.SessionId ?? '', TokenValue: out.TokenValue ?? '', StreamUrl: out.StreamUrl ?? ''}, input}
    },
    async terminate(sessionId) {
      await ssm.terminateSession(sessionId)
    },
    close: async () => {},
  }
}

/**
 * Plans, starts the session and runs the plugin; returns the plugin's exit code. SIGTERM, SIGHUP and SIGINT that
 * arrive after StartSession is sent and before the plugin (or the built-in client) handles signals itself are
 * deferred (src/session/signals.ts): the started session is then terminated instead of handed over, and the result
 * is the signal's exit code (143 for SIGTERM, 130 for SIGINT). In broker mode the broker starts and terminates it.
 */
export async function runSession(req: SessionRequest, deps: SessionDeps): Promise<number> {
  const plan = await planSession(req, deps)
  const {ctx} = deps
  const ssm = ssmOf(ctx)
  const backend = plan.broker
    ? await (await import('./broker.js')).brokerBackend(plan, req, deps, {dryRun: req.dryRun})
    : ssmBackend(ssm, await ssmEndpoint(ctx, ssm), plan, deps)
  if (req.dryRun) return showDryRun(plan, backend, deps)
  const deferred = deferSignals({
    source: deps.signals,
    onFirst: (signal) => deps.warn(`Stopping on ${signal}: the session is terminated as soon as ${plan.broker ? 'the broker' : 'SSM'} has started it.`),
  })
  const started = await backend.start().catch(async (error) => {
    deferred.release()
    await backend.close()
    throw error
  })
  const {response, input} = started
  let result: RunResult | undefined
  try {
    // loaded before the signal check: from the check until the client's own handlers nothing is awaited
    const native = plan.plugin ? undefined : await import('./native.js')
    if (deferred.signal) {
      // stopped before the hand-off: the session ends here (finally), and so does ssmx, as the signal would have it
      result = {code: signalExitCode(deferred.signal), signal: deferred.signal}
      return result.code
    }
    deps.onStarted?.(plan, response.SessionId)
    const running = plan.plugin
      ? runPlugin(pluginLaunch(plan, deps, backend, input, response), {spawn: deps.spawn, stdio: deps.stdio, interrupt: req.interrupt})
      : native!.runNative({ctx, ssm, response, target: plan.target.id, warn: deps.warn, io: deps.nativeIo, ...backend.native})
    // the plugin (or the client) has installed its signal handling synchronously: signals are its now
    deferred.release()
    result = await running
    return result.code
  } finally {
    if (req.terminate === 'always' || !result || result.code !== 0 || result.signal) await terminateSession(backend, response.SessionId, deps)
    await backend.close()
    // a signal before the hand-off: a second one does not cut TerminateSession short
    deferred.release()
  }
}

/** What the plugin is started with: the started session, the region, the profile and the endpoint. */
function pluginLaunch(
  plan: SessionPlan,
  deps: SessionDeps,
  backend: SessionBackend,
  input: StartSessionInput,
  response: PluginLaunch['response'],
): PluginLaunch {
  const {ctx} = deps
  return {
    plugin: plan.plugin!,
    response,
    region: ctx.region,
    profile: ctx.profile.explicit ? ctx.profile.name : '',
    parameters: {...input},
    endpoint: backend.endpoint,
    credentials: backend.pluginCredentials?.(),
  }
}

/** --dry-run: prints the plan (and what the plugin would get), starts nothing. */
async function showDryRun(plan: SessionPlan, backend: SessionBackend, deps: SessionDeps): Promise<number> {
  try {
    const shown = plan.plugin && pluginLaunch(plan, deps, backend, plan.input, {SessionId: '<session-id>', TokenValue: '<redacted>', StreamUrl: '<stream-url>'})
    for (const line of describePlan(plan, shown, await backend.describe?.())) deps.out(line)
    return 0
  } finally {
    await backend.close()
  }
}

/** Terminates the session; a failure is a warning, never an error. */
async function terminateSession(backend: SessionBackend, sessionId: string, deps: SessionDeps): Promise<void> {
  await backend.terminate(sessionId).then(
    () => deps.warn(`Session ${sessionId} terminated.`),
    (e) => deps.warn(`warning: could not terminate session ${sessionId}: ${isSsmxError(e) ? e.message : (e as Error).name}`),
  )
}
