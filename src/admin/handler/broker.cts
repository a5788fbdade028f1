/*
 * ssmx session broker. Compiled to CommonJS (broker.cjs) and embedded byte for byte as the broker
 * function's inline code (Code.ZipFile → index.js, handler index.handler, nodejs24.x, async only).
 * Dependencies: Node.js and the AWS SDK v3 that the Lambda runtime ships. Wire contract:
 * src/broker/protocol.ts (types only; the runtime constants are repeated here and a test holds them equal).
 *
 * Invoked through its function URL (AuthType AWS_IAM, payload format 2.0). For every request it:
 *  - takes the caller ONLY from requestContext.authorizer.iam (never the body): an IAM Identity Center
 *    role session (AWSReservedSSO_<permission set>_<hex>/<user name>) of this account, whose role lives
 *    under /aws-reserved/sso.amazonaws.com/ (iam:GetRole);
 *  - decides the Linux user: the per-user override, else the permission set's (per-OU) user, else refuses;
 *  - never widens access: iam:SimulatePrincipalPolicy of ssm:StartSession for the caller's own role on the
 *    target (with the target's tags as context) must be a clear allow; configured target rules must match;
 *  - starts the session with a role of its own (SESSION_ROLE_ARN), assumed with the session tag
 *    SSMSessionRunAs=<linux user>, RoleSessionName and SourceIdentity = the user name, and a session policy
 *    that allows exactly this target and document (and the target rules' tags);
 *  - terminates, resumes, and fetches KMS data keys only for the caller's own sessions;
 *  - writes one JSON audit line per request (never a token) and answers JSON.
 */
import ec2 = require('@aws-sdk/client-ec2')
import iam = require('@aws-sdk/client-iam')
import kms = require('@aws-sdk/client-kms')
import ssm = require('@aws-sdk/client-ssm')
import sts = require('@aws-sdk/client-sts')

import type {BrokerDecision, BrokerErrorBody, SessionKind} from '../../broker/protocol.js'

// Repeated from src/broker/protocol.ts (this file ships alone); test/admin/broker-handler.test.ts holds them equal.
export const BROKER_MAX_BODY_BYTES = 8192
export const KIND_DOCUMENTS: Record<SessionKind, string> = {
  shell: 'SSM-SessionManagerRunShell',
  port: 'AWS-StartPortForwardingSession',
  'remote-port': 'AWS-StartPortForwardingSessionToRemoteHost',
  ssh: 'AWS-StartSSHSession',
}
/** The session tag Session Manager reads to pick the Linux user. */
export const RUN_AS_TAG = 'SSMSessionRunAs'
/** IAM Identity Center's roles live under this path (optionally followed by the IdC region). */
export const IDC_ROLE_PATH = '/aws-reserved/sso.amazonaws.com/'
/** Credentials for one StartSession call: the shortest STS allows. */
export const SESSION_CREDENTIAL_SECONDS = 900

const TARGET = /^(i-[0-9a-f]{8}(?:[0-9a-f]{9})?|mi-[0-9a-f]{17})$/
const SESSION_ID = /^[\w+=,.@-]{3,96}$/
const KMS_KEY = /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/+=,.@-]{1,256}|alias\/[\w/+=,.@-]{1,250}|[0-9a-fA-F-]{36})$/
const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?$|^[0-9a-fA-F:]{2,39}$/
const LINUX_USER = /^[a-z_A-Z][a-zA-Z0-9_.@-]{0,31}$/
const USER_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/(AWSReservedSSO_([\w+=,.@-]+)_([0-9a-f]{16}))\/(.+)$/
const MAX_REASON = 160
const KINDS = Object.keys(KIND_DOCUMENTS) as SessionKind[]

/** The broker's configuration: the function's environment, written by the template. */
export interface Settings {
  /** permission set → its Linux user (per-OU overrides already applied by the stack instance's parameters) */
  permissionSets: Record<string, {runAsUser: string; document?: string}>
  /** permission sets whose user came from an OU override (for `source`) */
  ouOverridden: string[]
  /** IdC user name (case-insensitive) → Linux user, whatever permission set they use */
  users: Record<string, string>
  /** permission set → instance tags a target must carry (tag key → allowed values) and the kinds it may use */
  targetRules: Record<string, {tags?: Record<string, string[]>; kinds?: SessionKind[]}>
  /** kinds whose documents the permission sets are denied directly (broker-only): not simulated on the document */
  brokerOnly: SessionKind[]
  sessionRoleArn: string
  version: string
}

export interface FunctionUrlEvent {
  version?: string
  body?: string | null
  isBase64Encoded?: boolean
  headers?: Record<string, string | undefined>
  requestContext?: {
    requestId?: string
    http?: {method?: string; path?: string; sourceIp?: string; userAgent?: string}
    authorizer?: {iam?: {accessKey?: string; accountId?: string; callerId?: string; userArn?: string; userId?: string}}
  }
}

export interface LambdaContext {
  awsRequestId?: string
  invokedFunctionArn?: string
}

export interface HttpResult {
  statusCode: number
  headers: Record<string, string>
  body: string
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the runtime's SDK clients, sent whichever command
type Sendable = {send: (command: any) => Promise<any>}

/** Everything the broker talks to; the default builds SDK clients from the runtime's environment. */
export interface Deps {
  settings: () => Settings
  iam: Sendable
  ec2: Sendable
  ssm: Sendable
  sts: Sendable
  /** clients acting with the assumed session role's credentials */
  asSessionRole: (credentials: {accessKeyId: string; secretAccessKey: string; sessionToken: string}) => {ssm: Sendable; kms: Sendable}
  log: (line: Record<string, unknown>) => void
  region: () => string
}

interface Caller {
  arn: string
  partition: string
  account: string
  roleName: string
  permissionSet: string
  user: string
}

class Answer extends Error {
  constructor(
    readonly status: number,
    readonly code: BrokerErrorBody['error']['code'],
    message: string,
    readonly decision?: BrokerDecision,
  ) {
    super(message)
  }
}

const badRequest = (message: string) => new Answer(400, 'bad-request', message)
const refused = (message: string, decision?: BrokerDecision) => new Answer(403, 'refused', message, decision)

const errorName = (e: unknown): string => (e && typeof e === 'object' && 'name' in e ? String((e as {name: unknown}).name) : 'Error')
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Runs one AWS call; a failure becomes a 502 naming the call (nothing started). */
async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof Answer) throw error
    throw new Answer(502, 'upstream', `${what} failed: ${errorName(error)}: ${errorText(error)}`)
  }
}

/** STS RoleSessionName / SourceIdentity: 2–64 of [A-Za-z0-9_+=,.@-]; anything else becomes `_`. */
export function stsName(user: string): string {
  let name = user.replace(/[^A-Za-z0-9_+=,.@-]/g, '_').slice(0, 64)
  if (name.length < 2) name = `${name}__`.slice(0, 2)
  if (/^aws:/i.test(name)) name = `_${name}`.slice(0, 64)
  return name
}

function parseJsonEnv<T>(name: string, fallback: T): T {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  return JSON.parse(text) as T
}

/** Reads the function's environment (set by the template) once per cold start. */
export function settingsFromEnv(): Settings {
  const sets = parseJsonEnv<Record<string, {runAsUser: string; document?: string}>>('SSMX_PERMISSION_SETS', {})
  return {
    permissionSets: sets,
    ouOverridden: (process.env.SSMX_OU_OVERRIDDEN ?? '').split(',').filter(Boolean),
    users: parseJsonEnv('SSMX_USERS', {}),
    targetRules: parseJsonEnv('SSMX_TARGET_RULES', {}),
    brokerOnly: (process.env.SSMX_BROKER_ONLY ?? '').split(',').filter((k): k is SessionKind => KINDS.includes(k as SessionKind)),
    sessionRoleArn: process.env.SSMX_SESSION_ROLE_ARN ?? '',
    version: process.env.SSMX_VERSION ?? 'unknown',
  }
}

// ---------------------------------------------------------------------------------------------
// request parsing

interface Start {
  action: 'start'
  target: string
  kind: SessionKind
  parameters?: Record<string, string[]>
  reason?: string
}
interface Decide {
  action: 'decide'
  target: string
  kind: SessionKind
}
interface BySession {
  action: 'terminate' | 'resume'
  sessionId: string
}
interface DataKey {
  action: 'datakey'
  sessionId: string
  target: string
  kmsKeyId: string
}
type Request = Start | Decide | BySession | DataKey

const FIELDS: Record<Request['action'], {required: string[]; optional: string[]}> = {
  start: {required: ['action', 'target', 'kind'], optional: ['parameters', 'reason']},
  decide: {required: ['action', 'target', 'kind'], optional: []},
  terminate: {required: ['action', 'sessionId'], optional: []},
  resume: {required: ['action', 'sessionId'], optional: []},
  datakey: {required: ['action', 'sessionId', 'target', 'kmsKeyId'], optional: []},
}

const PORT = (min: number) => (v: string) => /^\d{1,5}$/.test(v) && Number(v) >= min && Number(v) <= 65535

/** StartSession parameters each kind accepts: name → [required, check]. */
const KIND_PARAMETERS: Record<SessionKind, Record<string, [boolean, (v: string) => boolean]>> = {
  shell: {},
  port: {portNumber: [true, PORT(1)], localPortNumber: [false, PORT(0)]},
  'remote-port': {portNumber: [true, PORT(1)], localPortNumber: [false, PORT(0)], host: [true, (v) => HOST.test(v)]},
  ssh: {portNumber: [false, PORT(1)]},
}

function checkParameters(kind: SessionKind, value: unknown): Record<string, string[]> | undefined {
  if (value === undefined) value = {}
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest('parameters must be an object of string lists')
  const allowed = KIND_PARAMETERS[kind]
  const out: Record<string, string[]> = {}
  for (const [name, list] of Object.entries(value as Record<string, unknown>)) {
    const rule = allowed[name]
    if (!rule) throw badRequest(`parameter ${JSON.stringify(name)} is not accepted for a ${kind} session`)
    if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== 'string') throw badRequest(`parameter ${name} must be a list of one string`)
    if (!rule[1](list[0])) throw badRequest(`parameter ${name} has an invalid value ${JSON.stringify(list[0]).slice(0, 80)}`)
    out[name] = [list[0]]
  }
  for (const [name, [required]] of Object.entries(allowed)) if (required && !out[name]) throw badRequest(`parameter ${name} is required for a ${kind} session`)
  return Object.keys(out).length > 0 ? out : undefined
}

/** The body as a checked request: size, JSON, known action, no unknown fields, valid values. */
export function parseRequest(event: FunctionUrlEvent): Request {
  const raw = event.body ?? ''
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw
  if (Buffer.byteLength(text) > BROKER_MAX_BODY_BYTES) throw badRequest(`the request body is larger than ${BROKER_MAX_BODY_BYTES} bytes`)
  if (event.requestContext?.http?.method && event.requestContext.http.method !== 'POST') throw badRequest('only POST is accepted')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw badRequest('the request body is not JSON')
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the request body must be a JSON object')
  const b = body as Record<string, unknown>
  const action = b.action
  if (typeof action !== 'string' || !(action in FIELDS)) throw badRequest(`action must be one of ${Object.keys(FIELDS).join(', ')}`)
  const {required, optional} = FIELDS[action as Request['action']]
  const unknown = Object.keys(b).filter((k) => !required.includes(k) && !optional.includes(k))
  if (unknown.length > 0) throw badRequest(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u.slice(0, 40))).join(', ')}`)
  for (const k of required) if (b[k] === undefined) throw badRequest(`${k} is required`)
  if ('target' in b && (typeof b.target !== 'string' || !TARGET.test(b.target)))
    throw badRequest('target must be an instance id (i-…) or a managed node id (mi-…)')
  if ('kind' in b && (typeof b.kind !== 'string' || !KINDS.includes(b.kind as SessionKind))) throw badRequest(`kind must be one of ${KINDS.join(', ')}`)
  if ('sessionId' in b && (typeof b.sessionId !== 'string' || !SESSION_ID.test(b.sessionId))) throw badRequest('sessionId is not a session id')
  if ('kmsKeyId' in b && (typeof b.kmsKeyId !== 'string' || !KMS_KEY.test(b.kmsKeyId))) throw badRequest('kmsKeyId is not a KMS key id or ARN')
  if (action === 'start') {
    if (b.reason !== undefined && (typeof b.reason !== 'string' || b.reason.length > MAX_REASON || /\p{Cc}/u.test(b.reason))) {
      throw badRequest(`reason must be a single line of at most ${MAX_REASON} characters`)
    }
    const parameters = checkParameters(b.kind as SessionKind, b.parameters)
    return {
      action,
      target: b.target as string,
      kind: b.kind as SessionKind,
      ...(parameters ? {parameters} : {}),
      ...(b.reason ? {reason: b.reason as string} : {}),
    }
  }
  if (action === 'decide') return {action, target: b.target as string, kind: b.kind as SessionKind}
  if (action === 'datakey') return {action, sessionId: b.sessionId as string, target: b.target as string, kmsKeyId: b.kmsKeyId as string}
  return {action: action as 'terminate' | 'resume', sessionId: b.sessionId as string}
}

// ---------------------------------------------------------------------------------------------
// caller and decision

/** The caller from the function URL's IAM authorizer: an IdC role session of this account, or a refusal. */
export function callerOf(event: FunctionUrlEvent, functionAccount: string | undefined): Caller {
  const id = event.requestContext?.authorizer?.iam
  if (!id?.userArn) throw refused('the request carries no IAM caller (is the function URL AuthType AWS_IAM?)')
  const m = USER_ARN.exec(id.userArn)
  if (!m) throw refused(`${id.userArn} is not an IAM Identity Center role session (AWSReservedSSO_…): sign in with your permission set`)
  const [, partition, account, roleName, permissionSet, , user] = m as unknown as string[]
  if (id.accountId !== account || (functionAccount && account !== functionAccount)) {
    throw refused(`the caller's account ${account} is not this broker's account ${functionAccount ?? '?'}: use the broker of the account you signed in to`)
  }
  return {arn: id.userArn, partition: partition!, account: account!, roleName: roleName!, permissionSet: permissionSet!, user: user!}
}

export interface Mapping {
  linuxUser?: string
  source?: BrokerDecision['source']
}

/** Per-user override, else the permission set's (per-OU) user, else nothing (refuse: never a default). */
export function linuxUserFor(settings: Settings, caller: Pick<Caller, 'user' | 'permissionSet'>): Mapping {
  const key = Object.keys(settings.users).find((u) => u.toLowerCase() === caller.user.toLowerCase())
  if (key !== undefined) return {linuxUser: settings.users[key], source: 'user'}
  const entry = settings.permissionSets[caller.permissionSet]
  if (entry) return {linuxUser: entry.runAsUser, source: settings.ouOverridden.includes(caller.permissionSet) ? 'ou-permission-set' : 'permission-set'}
  return {}
}

const targetArn = (partition: string, region: string, account: string, target: string) =>
  target.startsWith('mi-')
    ? `arn:${partition}:ssm:${region}:${account}:managed-instance/${target}`
    : `arn:${partition}:ec2:${region}:${account}:instance/${target}`

/** AWS-owned documents have no account in their ARN; SSM-SessionManagerRunShell is the account's own. */
const documentArn = (partition: string, region: string, account: string, name: string) =>
  `arn:${partition}:ssm:${region}:${name.startsWith('AWS-') ? '' : account}:document/${name}`
/** In a policy: `*` for AWS-owned documents (matches their empty account; no account may create AWS-… names). */
const policyDocumentArn = (partition: string, region: string, account: string, name: string) =>
  `arn:${partition}:ssm:${region}:${name.startsWith('AWS-') ? '*' : account}:document/${name}`

async function targetTags(deps: Deps, target: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {}
  if (target.startsWith('mi-')) {
    const out = await call('ssm:ListTagsForResource', () =>
      deps.ssm.send(new ssm.ListTagsForResourceCommand({ResourceType: 'ManagedInstance', ResourceId: target})),
    )
    for (const t of out.TagList ?? []) if (t.Key) tags[t.Key] = t.Value ?? ''
    return tags
  }
  let NextToken: string | undefined
  do {
    const out = await call('ec2:DescribeTags', () =>
      deps.ec2.send(new ec2.DescribeTagsCommand({Filters: [{Name: 'resource-id', Values: [target]}], MaxResults: 1000, NextToken})),
    )
    for (const t of out.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? ''
    NextToken = out.NextToken
  } while (NextToken)
  return tags
}

/** The caller's role, with its path: only roles IAM Identity Center made (the path) count. */
async function callerRoleArn(deps: Deps, caller: Caller): Promise<string> {
  let role
  try {
    role = (await deps.iam.send(new iam.GetRoleCommand({RoleName: caller.roleName}))).Role
  } catch (error) {
    if (errorName(error) === 'NoSuchEntityException' || errorName(error) === 'NoSuchEntity')
      throw refused(`the role ${caller.roleName} does not exist in this account`)
    throw new Answer(502, 'upstream', `iam:GetRole failed: ${errorName(error)}: ${errorText(error)}`)
  }
  if (!role?.Arn || !role.Path?.startsWith(IDC_ROLE_PATH)) {
    throw refused(`the role ${caller.roleName} is not an IAM Identity Center role (its path is ${role?.Path ?? 'unknown'}, not ${IDC_ROLE_PATH}…)`)
  }
  return role.Arn
}

/**
 * Would the caller's own permission set let them start this session? IAM's policy simulator on the
 * caller's role for ssm:StartSession on the target (and on the document, unless the document is
 * broker-only), with the target's tags as context. Anything but an allow for every resource refuses.
 */
async function simulate(deps: Deps, roleArn: string, resources: string[], tags: Record<string, string>): Promise<{allowed: boolean; detail: string}> {
  const ContextEntries: Array<{ContextKeyName: string; ContextKeyValues: string[]; ContextKeyType: 'string' | 'boolean'}> = Object.entries(tags).flatMap(
    ([k, v]) =>
      ['ssm:resourceTag', 'aws:ResourceTag', 'ec2:ResourceTag'].map((prefix) => ({
        ContextKeyName: `${prefix}/${k}`,
        ContextKeyValues: [v],
        ContextKeyType: 'string' as const,
      })),
  )
  ContextEntries.push({ContextKeyName: 'ssm:SessionDocumentAccessCheck', ContextKeyValues: ['true'], ContextKeyType: 'boolean'})
  const out = await call('iam:SimulatePrincipalPolicy', () =>
    deps.iam.send(
      new iam.SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: ['ssm:StartSession'],
        ResourceArns: resources,
        ContextEntries,
      }),
    ),
  )
  const results = (out.EvaluationResults ?? []) as Array<{
    EvalResourceName?: string
    EvalDecision?: string
    OrganizationsDecisionDetail?: {AllowedByOrganizations?: boolean}
  }>
  for (const resource of resources) {
    const r = results.find((x) => x.EvalResourceName === resource) ?? (resources.length === 1 && results.length === 1 ? results[0] : undefined)
    if (!r) return {allowed: false, detail: `no simulation result for ${resource}`}
    if (r.EvalDecision !== 'allowed') return {allowed: false, detail: `${r.EvalDecision ?? 'no decision'} on ${resource}`}
    if (r.OrganizationsDecisionDetail && r.OrganizationsDecisionDetail.AllowedByOrganizations === false)
      return {allowed: false, detail: `denied by a service control policy on ${resource}`}
  }
  if (out.IsTruncated) return {allowed: false, detail: 'the simulation answer was truncated'}
  return {allowed: true, detail: 'allowed'}
}

interface Decided extends BrokerDecision {
  tags: Record<string, string>
  targetArn: string
  document: string
}

/** Everything `decide` answers and `start` needs; refusals throw with the decision attached. */
async function decide(deps: Deps, settings: Settings, caller: Caller, target: string, kind: SessionKind): Promise<Decided> {
  const base = {user: caller.user, permissionSet: caller.permissionSet}
  const refuse = (reason: string, mapping: Mapping = {}): never => {
    throw refused(reason, {...base, ...mapping, allowed: false, reason})
  }
  const mapping = linuxUserFor(settings, caller)
  if (!mapping.linuxUser) {
    refuse(
      `permission set ${caller.permissionSet} is not mapped to a Linux user in this account, and ${caller.user} has no per-user mapping: ask your platform team to add it to permissionSets (or admin.broker.users)`,
    )
  }
  if (!LINUX_USER.test(mapping.linuxUser!))
    refuse(`the configured Linux user ${JSON.stringify(mapping.linuxUser)} is not valid: ask your platform team`, mapping)
  const rules = settings.targetRules[caller.permissionSet]
  if (rules?.kinds && !rules.kinds.includes(kind))
    refuse(`permission set ${caller.permissionSet} may not open ${kind} sessions through the broker (allowed: ${rules.kinds.join(', ') || 'none'})`, mapping)
  const region = deps.region()
  const arn = targetArn(caller.partition, region, caller.account, target)
  const document = KIND_DOCUMENTS[kind]
  // independent reads, at once: the caller's role (with its path) and the target's tags
  const [roleArn, tags] = await Promise.all([callerRoleArn(deps, caller), targetTags(deps, target)])
  for (const [key, values] of Object.entries(rules?.tags ?? {})) {
    if (!(key in tags) || !values.includes(tags[key]!)) {
      refuse(
        `${target} does not match the target rules of ${caller.permissionSet}: tag ${key} must be ${values.join(' or ')} (it is ${key in tags ? JSON.stringify(tags[key]) : 'missing'})`,
        mapping,
      )
    }
  }
  const resources = [arn]
  if (kind !== 'shell' && !settings.brokerOnly.includes(kind)) resources.push(documentArn(caller.partition, region, caller.account, document))
  const simulation = await simulate(deps, roleArn, resources, tags)
  if (!simulation.allowed) {
    refuse(
      `your permission set ${caller.permissionSet} may not start a session on ${target} (${simulation.detail}); the broker never grants more than your own permissions`,
      mapping,
    )
  }
  return {...base, ...mapping, allowed: true, tags, targetArn: arn, document}
}

/**
 * The STS session policy for one start: exactly this target (and the target rules' tags, so AWS itself
 * enforces them) with this document; SSH keys only for the Linux user. It can only narrow the role.
 */
export function sessionPolicy(
  partition: string,
  region: string,
  account: string,
  d: {targetArn: string; document: string; linuxUser: string},
  ruleTags?: Record<string, string[]>,
): string {
  const tagCondition =
    ruleTags && Object.keys(ruleTags).length > 0
      ? {Condition: {StringEquals: Object.fromEntries(Object.entries(ruleTags).map(([k, v]) => [`ssm:resourceTag/${k}`, v]))}}
      : {}
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {Effect: 'Allow', Action: 'ssm:StartSession', Resource: d.targetArn, ...tagCondition},
      {Effect: 'Allow', Action: 'ssm:StartSession', Resource: policyDocumentArn(partition, region, account, d.document)},
      {Effect: 'Deny', Action: 'ec2-instance-connect:SendSSHPublicKey', Resource: '*', Condition: {StringNotEquals: {'ec2:osuser': d.linuxUser}}},
    ],
  })
}

/**
 * Credentials of the session role, acting for this user: with the SSMSessionRunAs tag for a start
 * (without the tag the role may not start sessions), without it to terminate, resume or get a data key.
 */
async function assumeSessionRole(deps: Deps, settings: Settings, caller: Caller, linuxUser?: string, policy?: string) {
  const name = stsName(caller.user)
  const out = await call('sts:AssumeRole', () =>
    deps.sts.send(
      new sts.AssumeRoleCommand({
        RoleArn: settings.sessionRoleArn,
        RoleSessionName: name,
        SourceIdentity: name,
        DurationSeconds: SESSION_CREDENTIAL_SECONDS,
        ...(linuxUser ? {Tags: [{Key: RUN_AS_TAG, Value: linuxUser}]} : {}),
        ...(policy ? {Policy: policy} : {}),
      }),
    ),
  )
  const c = out.Credentials
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Answer(502, 'upstream', 'sts:AssumeRole returned no credentials')
  return deps.asSessionRole({accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken})
}

/** The Reason of a broker session: names the permission set and the user; ownership is read back from it. */
export const reasonFor = (caller: Pick<Caller, 'user' | 'permissionSet'>, reason?: string): string =>
  `ssmx broker: ${caller.permissionSet} ${caller.user}${reason ? `: ${reason}` : ''}`.slice(0, 256)

interface SessionInfo {
  sessionId: string
  target?: string
  owner?: string
  reason?: string
}

/** The session, if it is the caller's: started by the session role as this user, with this permission set. */
async function ownSession(deps: Deps, settings: Settings, caller: Caller, sessionId: string): Promise<SessionInfo> {
  let found: SessionInfo | undefined
  for (const State of ['Active', 'History'] as const) {
    const out = await call('ssm:DescribeSessions', () =>
      deps.ssm.send(new ssm.DescribeSessionsCommand({State, Filters: [{key: 'SessionId', value: sessionId}]})),
    )
    const s = (out.Sessions ?? []).find((x: {SessionId?: string}) => x.SessionId === sessionId)
    if (s) {
      found = {sessionId, target: s.Target, owner: s.Owner, reason: s.Reason}
      break
    }
  }
  if (!found) throw new Answer(404, 'not-found', `no session ${sessionId} in this account and region`)
  const roleName = settings.sessionRoleArn.split('/').pop()
  const expectedOwner = `arn:${caller.partition}:sts::${caller.account}:assumed-role/${roleName}/${stsName(caller.user)}`
  const prefix = reasonFor(caller)
  const reasonMatches = found.reason === prefix || (found.reason ?? '').startsWith(`${prefix}: `)
  if (found.owner !== expectedOwner || !reasonMatches) throw refused(`session ${sessionId} is not yours (${caller.user}, ${caller.permissionSet})`)
  return found
}

// ---------------------------------------------------------------------------------------------
// the handler

const json = (statusCode: number, body: unknown): HttpResult => ({statusCode, headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})

export function defaultDeps(): Deps {
  const options = {maxAttempts: 3}
  let settings: Settings | undefined
  let clients: {iam: iam.IAMClient; ec2: ec2.EC2Client; ssm: ssm.SSMClient; sts: sts.STSClient} | undefined
  const get = () =>
    (clients ??= {iam: new iam.IAMClient(options), ec2: new ec2.EC2Client(options), ssm: new ssm.SSMClient(options), sts: new sts.STSClient(options)})
  return {
    settings: () => (settings ??= settingsFromEnv()),
    get iam() {
      return get().iam
    },
    get ec2() {
      return get().ec2
    },
    get ssm() {
      return get().ssm
    },
    get sts() {
      return get().sts
    },
    asSessionRole: (credentials) => ({ssm: new ssm.SSMClient({...options, credentials}), kms: new kms.KMSClient({...options, credentials})}),
    log: (line) => console.log(JSON.stringify(line)),
    region: () => process.env.AWS_REGION ?? '',
  }
}

/** The handler with its dependencies: what tests call with stubbed clients. */
export function makeHandler(deps: Deps) {
  return async (event: FunctionUrlEvent, context: LambdaContext = {}): Promise<HttpResult> => {
    const audit: Record<string, unknown> = {
      ssmx: 'broker-audit',
      requestId: context.awsRequestId ?? event.requestContext?.requestId,
      sourceIp: event.requestContext?.http?.sourceIp,
      caller: event.requestContext?.authorizer?.iam?.userArn ?? null,
    }
    let result: HttpResult
    try {
      const settings = deps.settings()
      const functionAccount = context.invokedFunctionArn?.split(':')[4]
      const caller = callerOf(event, functionAccount)
      Object.assign(audit, {user: caller.user, permissionSet: caller.permissionSet})
      const request = parseRequest(event)
      audit.action = request.action
      if ('target' in request) audit.target = request.target
      if ('kind' in request) audit.kind = request.kind
      if ('sessionId' in request) audit.sessionId = request.sessionId
      result = await act(deps, settings, caller, request, audit)
      audit.decision = 'allowed'
    } catch (error) {
      const answer = error instanceof Answer ? error : new Answer(500, 'upstream', `internal error: ${errorName(error)}`)
      if (!(error instanceof Answer)) audit.error = errorText(error)
      audit.decision =
        answer.code === 'bad-request' ? 'bad-request' : answer.code === 'refused' ? 'refused' : answer.code === 'not-found' ? 'not-found' : 'error'
      audit.why = answer.message
      if (answer.decision?.linuxUser) audit.linuxUser = answer.decision.linuxUser
      const body: BrokerErrorBody = {error: {code: answer.code, message: answer.message, ...(answer.decision ? {decision: answer.decision} : {})}}
      result = json(answer.status, body)
    }
    audit.status = result.statusCode
    deps.log(audit)
    return result
  }
}

async function act(deps: Deps, settings: Settings, caller: Caller, request: Request, audit: Record<string, unknown>): Promise<HttpResult> {
  const region = deps.region()
  switch (request.action) {
    case 'decide': {
      const d = await decide(deps, settings, caller, request.target, request.kind)
      Object.assign(audit, {linuxUser: d.linuxUser, source: d.source, why: 'decide only: nothing started'})
      return json(200, {user: d.user, permissionSet: d.permissionSet, linuxUser: d.linuxUser, source: d.source, allowed: true, version: settings.version})
    }
    case 'start':
      return startSession(deps, settings, caller, request, audit, region)
    case 'terminate':
    case 'resume':
      return bySession(deps, settings, caller, request, audit)
    case 'datakey':
      return dataKey(deps, settings, caller, request, audit)
  }
}

/** start: decides, then starts the session as the session role, scoped to this target, document and Linux user. */
async function startSession(
  deps: Deps,
  settings: Settings,
  caller: Caller,
  request: Start,
  audit: Record<string, unknown>,
  region: string,
): Promise<HttpResult> {
  const d = await decide(deps, settings, caller, request.target, request.kind)
  Object.assign(audit, {linuxUser: d.linuxUser, source: d.source})
  const policy = sessionPolicy(
    caller.partition,
    region,
    caller.account,
    {targetArn: d.targetArn, document: d.document, linuxUser: d.linuxUser!},
    settings.targetRules[caller.permissionSet]?.tags,
  )
  const as = await assumeSessionRole(deps, settings, caller, d.linuxUser!, policy)
  const out = await call('ssm:StartSession', () =>
    as.ssm.send(
      new ssm.StartSessionCommand({
        Target: request.target,
        DocumentName: d.document,
        ...(request.parameters ? {Parameters: request.parameters} : {}),
        Reason: reasonFor(caller, request.reason),
      }),
    ),
  )
  if (!out.SessionId || !out.TokenValue || !out.StreamUrl) throw new Answer(502, 'upstream', 'ssm:StartSession returned no session')
  Object.assign(audit, {sessionId: out.SessionId, why: `${d.source} mapping; ${caller.permissionSet} may start sessions on ${request.target}`})
  return json(200, {
    user: d.user,
    permissionSet: d.permissionSet,
    linuxUser: d.linuxUser,
    source: d.source,
    allowed: true,
    sessionId: out.SessionId,
    tokenValue: out.TokenValue,
    streamUrl: out.StreamUrl,
    document: d.document,
    version: settings.version,
  })
}

/** terminate and resume: only the caller's own session. */
async function bySession(deps: Deps, settings: Settings, caller: Caller, request: BySession, audit: Record<string, unknown>): Promise<HttpResult> {
  await ownSession(deps, settings, caller, request.sessionId)
  const as = await assumeSessionRole(deps, settings, caller)
  if (request.action === 'terminate') {
    await call('ssm:TerminateSession', () => as.ssm.send(new ssm.TerminateSessionCommand({SessionId: request.sessionId})))
    audit.why = 'own session terminated'
    return json(200, {sessionId: request.sessionId})
  }
  const out = await call('ssm:ResumeSession', () => as.ssm.send(new ssm.ResumeSessionCommand({SessionId: request.sessionId})))
  if (!out.TokenValue || !out.StreamUrl) throw new Answer(502, 'upstream', 'ssm:ResumeSession returned no token')
  audit.why = 'own session resumed'
  return json(200, {sessionId: out.SessionId ?? request.sessionId, tokenValue: out.TokenValue, streamUrl: out.StreamUrl})
}

/** datakey: the KMS data key for the caller's own session on its target. */
async function dataKey(deps: Deps, settings: Settings, caller: Caller, request: DataKey, audit: Record<string, unknown>): Promise<HttpResult> {
  const session = await ownSession(deps, settings, caller, request.sessionId)
  if (session.target !== request.target) throw refused(`session ${request.sessionId} is not on ${request.target}`)
  const as = await assumeSessionRole(deps, settings, caller)
  const out = await call('kms:GenerateDataKey', () =>
    as.kms.send(
      new kms.GenerateDataKeyCommand({
        KeyId: request.kmsKeyId,
        // 64 bytes, as the plugin and the built-in client ask: one half per direction (the agent checks the length)
        NumberOfBytes: 64,
        EncryptionContext: {'aws:ssm:SessionId': request.sessionId, 'aws:ssm:TargetId': request.target},
      }),
    ),
  )
  if (!out.CiphertextBlob || !out.Plaintext) throw new Answer(502, 'upstream', 'kms:GenerateDataKey returned no key')
  audit.why = 'data key for own session'
  return json(200, {ciphertextBlob: Buffer.from(out.CiphertextBlob).toString('base64'), plaintext: Buffer.from(out.Plaintext).toString('base64')})
}

let defaultHandler: ReturnType<typeof makeHandler> | undefined

export async function handler(event: FunctionUrlEvent, context: LambdaContext): Promise<HttpResult> {
  defaultHandler ??= makeHandler(defaultDeps())
  return defaultHandler(event, context)
}
