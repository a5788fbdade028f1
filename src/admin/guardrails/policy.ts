import {KIND_DOCUMENTS} from '../../broker/protocol.js'
import type {SsmxConfig} from '../../config/schema.js'
import {SsmxError} from '../../errors.js'

/**
 * The ssmx guardrail: a marked statement set merged into a permission set's inline policy that pins
 * `ssm:StartSession` to the permission set's own RunAs document.
 *
 * Why an Allow *and* a Deny: `BoolIfExists ssm:SessionDocumentAccessCheck = true` on the Allow makes
 * Session Manager check the caller's access to the session document (the default
 * SSM-SessionManagerRunShell too, when none is named), but an Allow restricts nothing when another
 * policy of the permission set (AdministratorAccess, PowerUserAccess) allows `ssm:*` or `*`. The Deny
 * does: it names every StartSession resource the permission set may use in `NotResource` (the session
 * targets, its own document, the configured port-forwarding / SSH documents), so any other document,
 * in any region and account, is denied, and so is naming no document (SSM-SessionManagerRunShell).
 */
export const SID_PREFIX = 'SsmxGuardrail'
/** IAM Identity Center's limit for a permission set's inline policy, whitespace included. */
export const INLINE_POLICY_LIMIT = 32_768

export interface Statement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Action: string | string[]
  Resource?: string | string[]
  NotResource?: string | string[]
  Condition?: Record<string, Record<string, string | string[]>>
  [key: string]: unknown
}

export interface PolicyDocument {
  Version?: string
  Statement: Statement | Statement[]
  [key: string]: unknown
}

export interface GuardrailSpec {
  permissionSet: string
  /** the permission set's own RunAs document (documentNameFor) */
  document: string
  /** admin.guardrails.allowDocuments: port forwarding, SSH */
  allowDocuments: readonly string[]
  /** from the IdC instance ARN; `aws` by default */
  partition?: string
  /**
   * the permission set's Linux users (its own and its per-OU overrides): a stray SSMSessionRunAs principal tag
   * naming another user is denied, and EC2 Instance Connect may push keys only for these users
   */
  runAsUsers?: string[]
  /** per-user overrides (admin.broker.users): Linux user → the IdC user names that may push keys for it */
  userOverrides?: Record<string, string[]>
  /** documents only the broker may start (admin.broker.only): taken out of what the permission set may start directly */
  brokerOnlyDocuments?: string[]
}

const RUN_AS_TAG = 'aws:PrincipalTag/SSMSessionRunAs'

/** The guardrail's input for a configured permission set: documents, Linux users, per-user overrides, broker-only kinds. */
export function guardrailSpecFor(config: SsmxConfig, entry: {permissionSet: string; document: string; runAsUser: string}, partition?: string): GuardrailSpec {
  const runAsUsers = new Set([entry.runAsUser])
  for (const o of Object.values(config.admin.overrides)) {
    const user = o.permissionSets?.[entry.permissionSet]?.runAsUser
    if (user) runAsUsers.add(user)
  }
  const broker = config.admin.broker
  const userOverrides: Record<string, string[]> = {}
  for (const [user, linuxUser] of Object.entries(broker.enabled ? broker.users : {})) (userOverrides[linuxUser] ??= []).push(user)
  const brokerOnlyDocuments = broker.enabled ? broker.only.map((kind) => (kind === 'shell' ? entry.document : KIND_DOCUMENTS[kind])) : []
  return {
    permissionSet: entry.permissionSet,
    document: entry.document,
    allowDocuments: config.admin.guardrails.allowDocuments,
    ...(partition ? {partition} : {}),
    runAsUsers: [...runAsUsers].sort(),
    ...(Object.keys(userOverrides).length > 0 ? {userOverrides} : {}),
    ...(brokerOnlyDocuments.length > 0 ? {brokerOnlyDocuments} : {}),
  }
}

/** The partition of an ARN (`arn:aws-us-gov:sso:::instance/…` → `aws-us-gov`), `aws` when it is not one. */
export const partitionOf = (arn: string | undefined): string => /^arn:([^:]+):/.exec(arn ?? '')?.[1] ?? 'aws'

/** Every session target type StartSession authorizes: EC2 instances, managed (hybrid) instances, ECS tasks. */
const targetArns = (p: string) => [`arn:${p}:ec2:*:*:instance/*`, `arn:${p}:ssm:*:*:managed-instance/*`]
const otherTargetArns = (p: string) => [`arn:${p}:ecs:*:*:task/*`]
/**
 * A document in any region and account: customer documents carry the account, AWS-owned ones
 * (`arn:aws:ssm:eu-west-1::document/AWS-StartSSHSession`) an empty one, which `*` matches too.
 */
const documentArn = (p: string, name: string) => `arn:${p}:ssm:*:*:document/${name}`

/** The ssmx statements for one permission set, deterministic for the same input. */
export function guardrailStatements(spec: GuardrailSpec): Statement[] {
  const p = spec.partition ?? 'aws'
  const brokerOnly = new Set(spec.brokerOnlyDocuments ?? [])
  const documents = [...new Set([spec.document, ...spec.allowDocuments])].filter((d) => !brokerOnly.has(d)).map((d) => documentArn(p, d))
  return [
    {
      Sid: `${SID_PREFIX}StartOwnDocument`,
      Effect: 'Allow',
      Action: 'ssm:StartSession',
      Resource: [...targetArns(p), ...documents],
      Condition: {BoolIfExists: {'ssm:SessionDocumentAccessCheck': 'true'}},
    },
    {
      Sid: `${SID_PREFIX}DenyOtherDocuments`,
      Effect: 'Deny',
      Action: 'ssm:StartSession',
      NotResource: [...targetArns(p), ...otherTargetArns(p), ...documents],
    },
    {
      // A session's id is `<role session name>-<suffix>`, while aws:userid of an IAM Identity Center
      // role is `AROA…:<role session name>`, so `session/${aws:userid}-*` never matches; Session Manager
      // tags each session with its starter's aws:userid instead (AWS's sample for federated users).
      Sid: `${SID_PREFIX}OwnSessions`,
      Effect: 'Allow',
      Action: ['ssm:TerminateSession', 'ssm:ResumeSession'],
      Resource: `arn:${p}:ssm:*:*:session/*`,
      Condition: {StringLike: {'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}'}},
    },
    ...(spec.runAsUsers ? runAsStatements(spec, spec.runAsUsers) : []),
  ]
}

/**
 * Both modes' hole and the defense in depth: a SSMSessionRunAs principal tag (an ABAC attribute) naming another
 * user than the permission set's fails loudly (a negated condition is true for a missing key, hence the Null);
 * EC2 Instance Connect pushes keys only for the permission set's users, or a per-user override's user for
 * exactly those IdC users (aws:userid of an IdC role session is `<role id>:<user name>`).
 */
function runAsStatements(spec: GuardrailSpec, runAsUsers: string[]): Statement[] {
  const overrides = Object.entries(spec.userOverrides ?? {})
    .filter(([linuxUser]) => !runAsUsers.includes(linuxUser))
    .sort(([a], [b]) => (a < b ? -1 : 1))
  return [
    {
      Sid: `${SID_PREFIX}DenyOtherRunAsTag`,
      Effect: 'Deny',
      Action: 'ssm:StartSession',
      Resource: '*',
      Condition: {StringNotEquals: {[RUN_AS_TAG]: runAsUsers}, Null: {[RUN_AS_TAG]: 'false'}},
    },
    {
      Sid: `${SID_PREFIX}SshKeyUser`,
      Effect: 'Deny',
      Action: 'ec2-instance-connect:SendSSHPublicKey',
      Resource: '*',
      Condition: {StringNotEquals: {'ec2:osuser': [...runAsUsers, ...overrides.map(([u]) => u)]}},
    },
    ...overrides.map(([linuxUser, users], i): Statement => ({
      Sid: `${SID_PREFIX}SshKeyOverride${i + 1}`,
      Effect: 'Deny',
      Action: 'ec2-instance-connect:SendSSHPublicKey',
      Resource: '*',
      Condition: {StringEquals: {'ec2:osuser': linuxUser}, StringNotLike: {'aws:userid': [...users].sort().map((u) => `*:${u}`)}},
    })),
  ]
}

export const isGuardrailStatement = (s: unknown): boolean =>
  Boolean(s && typeof s === 'object' && typeof (s as Statement).Sid === 'string' && (s as Statement).Sid!.startsWith(SID_PREFIX))

/** Parses an inline policy; `undefined` for none. A policy that is not JSON is an error, never overwritten. */
export function parsePolicy(text: string | undefined, permissionSet: string): PolicyDocument | undefined {
  if (text === undefined || text.trim() === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new SsmxError(
      'compliance',
      `The inline policy of permission set "${permissionSet}" is not valid JSON; ssmx will not rewrite it.`,
      ['Fix the inline policy in the IAM Identity Center console, then run again.'],
      {cause: error},
    )
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SsmxError('compliance', `The inline policy of permission set "${permissionSet}" is not a policy document.`, [
      'Fix it in the IAM Identity Center console, then run again.',
    ])
  }
  const doc = parsed as PolicyDocument
  return {...doc, Statement: doc.Statement ?? []}
}

const statementsOf = (doc: PolicyDocument | undefined): Statement[] => (doc === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement])

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  )

export type GuardrailState = 'current' | 'outdated' | 'missing'

/** Whether a policy carries exactly the wanted ssmx statements (order and key order ignored). */
export function guardrailState(doc: PolicyDocument | undefined, wanted: Statement[]): GuardrailState {
  const present = statementsOf(doc).filter(isGuardrailStatement)
  if (present.length === 0) return 'missing'
  const key = (ss: Statement[]) => ss.map(canonical).sort().join('\n')
  return key(present) === key(wanted) ? 'current' : 'outdated'
}

/**
 * The policy with the ssmx statements replaced by `wanted` (or removed, for `[]`): every other
 * statement and top-level key survives unchanged and in order. `undefined` when no statement is left.
 */
export function mergeGuardrail(doc: PolicyDocument | undefined, wanted: Statement[]): PolicyDocument | undefined {
  const others = statementsOf(doc).filter((s) => !isGuardrailStatement(s))
  const statements = [...others, ...wanted]
  if (statements.length === 0) return undefined
  return {...doc, Version: doc?.Version ?? '2012-10-17', Statement: statements}
}

/** The text written to IAM Identity Center: minified, checked against the 32,768-character limit. */
export function serializePolicy(doc: PolicyDocument, permissionSet: string): string {
  const text = JSON.stringify(doc)
  if (text.length > INLINE_POLICY_LIMIT) {
    const ours = JSON.stringify(statementsOf(doc).filter(isGuardrailStatement)).length
    throw new SsmxError(
      'config',
      `The inline policy of permission set "${permissionSet}" would be ${text.length.toLocaleString('en-US')} characters with the ssmx guardrail (${ours.toLocaleString('en-US')} of them ssmx's); IAM Identity Center allows ${INLINE_POLICY_LIMIT.toLocaleString('en-US')}.`,
      ['Move some of its other statements into a customer managed policy attached to the permission set, or shorten admin.guardrails.allowDocuments.'],
    )
  }
  return text
}

/** Pretty form for diffs and rendered files. */
export const prettyPolicy = (doc: PolicyDocument | undefined): string => (doc ? `${JSON.stringify(doc, null, 2)}\n` : '')
