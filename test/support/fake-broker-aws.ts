/**
 * The AWS side of the session broker, stateful, installed as handlers on a FakeAws: STS AssumeRole (session
 * tags, source identity, session policy recorded per issued key), IAM GetRole and SimulatePrincipalPolicy
 * (a per-role decision function), EC2 DescribeTags and SSM ListTagsForResource (instance tags), SSM
 * StartSession / DescribeSessions / TerminateSession / ResumeSession and KMS GenerateDataKey.
 *
 *   const world = new FakeBrokerAws().install(fake)
 *   world.idcRole('Developer', (resource, context) => resource.includes('i-0123') ? 'allowed' : 'implicitDeny')
 *   world.instance('i-0123456789abcdef0', {Environment: 'dev'})
 *   world.publish(fake, emulator.url)  // ssm:GetParameter answers the broker's URL and version parameters
 *   world.sessions  // what StartSession started, with the RunAs tag and the caller it was started as
 * StartSession answers `streamUrl(sessionId)` (default wss://ssmmessages…), so e2e tests can point it at a fake agent.
 */
import {randomBytes} from 'node:crypto'

import {BROKER_URL_PARAMETER, BROKER_VERSION_PARAMETER} from '../../src/broker/protocol.js'
import {AwsFault, type FakeAws, type RecordedRequest, toXml} from './fake-aws.js'
import {unflattenQuery} from './fake-organization.js'
import {TEST_ACCOUNT, TEST_REGION} from './function-url.js'

export type SimDecision = 'allowed' | 'implicitDeny' | 'explicitDeny'

export interface AssumedRole {
  accessKeyId: string
  roleArn: string
  sessionName: string
  sourceIdentity?: string
  tags: Record<string, string>
  policy?: string
  durationSeconds?: number
}

export interface FakeSession {
  sessionId: string
  target: string
  document: string
  parameters?: Record<string, string[]>
  reason?: string
  /** the SSMSessionRunAs session tag of the credentials that started it */
  runAs?: string
  owner: string
  sourceIdentity?: string
  status: 'Connected' | 'Terminated'
  tokenValue: string
}

const accessKeyOf = (req: RecordedRequest): string => /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? ''

export class FakeBrokerAws {
  readonly roles = new Map<string, {path: string; decide: (resource: string, context: Record<string, string>) => SimDecision}>()
  readonly tags = new Map<string, Record<string, string>>()
  readonly assumed = new Map<string, AssumedRole>()
  readonly sessions = new Map<string, FakeSession>()
  readonly dataKeys: Array<{keyId: string; context: Record<string, string>; by: string}> = []
  streamUrl = (sessionId: string) => `wss://ssmmessages.${this.region}.amazonaws.com/v1/data-channel/${sessionId}?role=publish_subscribe`
  private seq = 0

  constructor(
    readonly account = TEST_ACCOUNT,
    readonly region = TEST_REGION,
  ) {}

  /** An IAM Identity Center role for a permission set; `decide` answers the policy simulation of ssm:StartSession. */
  idcRole(permissionSet: string, decide: (resource: string, context: Record<string, string>) => SimDecision, o: {suffix?: string; path?: string} = {}): this {
    this.roles.set(`AWSReservedSSO_${permissionSet}_${o.suffix ?? '0123456789abcdef'}`, {path: o.path ?? '/aws-reserved/sso.amazonaws.com/eu-west-1/', decide})
    return this
  }

  instance(id: string, tags: Record<string, string> = {}): this {
    this.tags.set(id, tags)
    return this
  }

  /**
   * Publishes a broker URL and version as the template's SSM parameters do (BROKER_URL_PARAMETER,
   * BROKER_VERSION_PARAMETER), for clients that discover the broker: ssm:GetParameter answers them, and
   * ParameterNotFound for any other name.
   */
  publish(fake: FakeAws, url: string, version = '0.0.0-test'): this {
    const values: Record<string, string> = {[BROKER_URL_PARAMETER]: url, [BROKER_VERSION_PARAMETER]: version}
    fake.on('ssm', 'GetParameter', (input) => {
      const name = String(input.Name)
      if (!(name in values)) throw new AwsFault('ParameterNotFound', `Parameter ${name} not found.`)
      return {Parameter: {Name: name, Type: 'String', Value: values[name], Version: 1, ARN: `arn:aws:ssm:${this.region}:${this.account}:parameter${name}`}}
    })
    return this
  }

  /** The role session (ARN) that made a request, from its signing key. */
  caller(req: RecordedRequest): AssumedRole | undefined {
    return this.assumed.get(accessKeyOf(req))
  }

  install(fake: FakeAws): this {
    const w = this
    fake.on('sts', 'AssumeRole', (input) => {
      const i = unflattenQuery(input) as {
        RoleArn: string
        RoleSessionName: string
        SourceIdentity?: string
        Policy?: string
        DurationSeconds?: string
        Tags?: Array<{Key: string; Value: string}>
      }
      const accessKeyId = `ASIASESSION${String(++w.seq).padStart(6, '0')}`
      w.assumed.set(accessKeyId, {
        accessKeyId,
        roleArn: i.RoleArn,
        sessionName: i.RoleSessionName,
        sourceIdentity: i.SourceIdentity,
        tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value])),
        policy: i.Policy,
        durationSeconds: i.DurationSeconds ? Number(i.DurationSeconds) : undefined,
      })
      const roleName = i.RoleArn.split('/').pop()
      return toXml(
        {
          Credentials: {
            AccessKeyId: accessKeyId,
            SecretAccessKey: `secret-${accessKeyId}`,
            SessionToken: `token-${accessKeyId}`,
            Expiration: new Date(Date.now() + 900_000).toISOString(),
          },
          AssumedRoleUser: {
            AssumedRoleId: `AROABROKERSESSION:${i.RoleSessionName}`,
            Arn: `arn:aws:sts::${w.account}:assumed-role/${roleName}/${i.RoleSessionName}`,
          },
          ...(i.SourceIdentity ? {SourceIdentity: i.SourceIdentity} : {}),
        },
        'member',
      )
    })
    fake.on('iam', 'GetRole', (input) => {
      const role = w.roles.get(String(input.RoleName))
      if (!role) throw new AwsFault('NoSuchEntity', `The role with name ${String(input.RoleName)} cannot be found.`, 404)
      return toXml(
        {
          Role: {
            Path: role.path,
            RoleName: input.RoleName,
            RoleId: 'AROAIDCROLE',
            Arn: `arn:aws:iam::${w.account}:role${role.path}${String(input.RoleName)}`,
            CreateDate: '2026-01-01T00:00:00Z',
          },
        },
        'member',
      )
    })
    fake.on('iam', 'SimulatePrincipalPolicy', (input) => {
      const i = unflattenQuery(input) as {
        PolicySourceArn: string
        ResourceArns?: string[]
        ContextEntries?: Array<{ContextKeyName: string; ContextKeyValues: string[]}>
      }
      const roleName = i.PolicySourceArn.split('/').pop()!
      const role = w.roles.get(roleName)
      if (!role || !i.PolicySourceArn.includes(role.path)) throw new AwsFault('NoSuchEntity', `no role ${i.PolicySourceArn}`, 404)
      const context = Object.fromEntries((i.ContextEntries ?? []).map((c) => [c.ContextKeyName, c.ContextKeyValues[0] ?? '']))
      return toXml(
        {
          EvaluationResults: (i.ResourceArns ?? []).map((r) => ({
            EvalActionName: 'ssm:StartSession',
            EvalResourceName: r,
            EvalDecision: role.decide(r, context),
          })),
          IsTruncated: 'false',
        },
        'member',
      )
    })
    fake.on('ec2', 'DescribeTags', (input) => {
      const id = String(input['Filter.1.Value.1'] ?? '')
      return toXml({tagSet: Object.entries(w.tags.get(id) ?? {}).map(([key, value]) => ({resourceId: id, resourceType: 'instance', key, value}))})
    })
    fake.on('ssm', 'ListTagsForResource', (input) => ({
      TagList: Object.entries(w.tags.get(String(input.ResourceId)) ?? {}).map(([Key, Value]) => ({Key, Value})),
    }))
    fake.on('ssm', 'StartSession', (input, req) => {
      const by = w.caller(req)
      if (!by) throw new AwsFault('AccessDeniedException', 'StartSession by a principal the fake does not know')
      // the session role's own deny: never without an SSMSessionRunAs tag
      if (!by.tags.SSMSessionRunAs) throw new AwsFault('AccessDeniedException', 'explicit deny: no SSMSessionRunAs tag')
      const sessionId = `${by.sessionName}-${randomBytes(9).toString('hex')}`
      const tokenValue = `TOKEN-${randomBytes(12).toString('hex')}`
      const roleName = by.roleArn.split('/').pop()
      w.sessions.set(sessionId, {
        sessionId,
        target: String(input.Target),
        document: String(input.DocumentName ?? 'SSM-SessionManagerRunShell'),
        ...(input.Parameters ? {parameters: input.Parameters as Record<string, string[]>} : {}),
        ...(input.Reason ? {reason: String(input.Reason)} : {}),
        runAs: by.tags.SSMSessionRunAs,
        owner: `arn:aws:sts::${w.account}:assumed-role/${roleName}/${by.sessionName}`,
        sourceIdentity: by.sourceIdentity,
        status: 'Connected',
        tokenValue,
      })
      return {SessionId: sessionId, TokenValue: tokenValue, StreamUrl: w.streamUrl(sessionId)}
    })
    fake.on('ssm', 'DescribeSessions', (input) => {
      const filters = (input.Filters as Array<{key: string; value: string}> | undefined) ?? []
      const id = filters.find((f) => f.key === 'SessionId')?.value
      const state = input.State === 'Active' ? 'Connected' : 'Terminated'
      const found = [...w.sessions.values()].filter((s) => (!id || s.sessionId === id) && s.status === state)
      return {
        Sessions: found.map((s) => ({SessionId: s.sessionId, Target: s.target, Status: s.status, Owner: s.owner, Reason: s.reason, DocumentName: s.document})),
      }
    })
    const own = (input: Record<string, unknown>, req: RecordedRequest) => {
      const s = w.sessions.get(String(input.SessionId))
      const by = w.caller(req)
      if (!s) throw new AwsFault('DoesNotExistException', 'no such session')
      if (!by || !s.owner.endsWith(`/${by.sessionName}`)) throw new AwsFault('AccessDeniedException', 'not your session')
      return s
    }
    fake.on('ssm', 'TerminateSession', (input, req) => {
      own(input, req).status = 'Terminated'
      return {SessionId: input.SessionId}
    })
    fake.on('ssm', 'ResumeSession', (input, req) => {
      const s = own(input, req)
      s.tokenValue = `TOKEN-${randomBytes(12).toString('hex')}`
      return {SessionId: s.sessionId, TokenValue: s.tokenValue, StreamUrl: w.streamUrl(s.sessionId)}
    })
    fake.on('kms', 'GenerateDataKey', (input, req) => {
      const by = w.caller(req)
      w.dataKeys.push({keyId: String(input.KeyId), context: input.EncryptionContext as Record<string, string>, by: by?.sessionName ?? '?'})
      const plaintext = randomBytes(Number(input.NumberOfBytes ?? 32))
      return {KeyId: input.KeyId, CiphertextBlob: Buffer.concat([Buffer.from('ct:'), plaintext]).toString('base64'), Plaintext: plaintext.toString('base64')}
    })
    return this
  }
}
