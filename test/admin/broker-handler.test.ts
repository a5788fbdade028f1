/**
 * The broker's decisions, unit by unit: the handler code taken from the rendered template, its SDK clients
 * stubbed with aws-sdk-client-mock (CommonJS classes, the ones the inline code requires), asserting the exact
 * input of every AWS call and every refusal path.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import {type AwsClientStub, mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import {buildArtifacts} from '../../src/admin/artifacts.js'
import {BROKER_MAX_BODY_BYTES, KIND_DOCUMENTS} from '../../src/broker/protocol.js'
import {parseConfig} from '../../src/config/load.js'
import {ROOT} from '../support/cli.js'
import {parseTemplate} from './template-handler.js'

const require = createRequire(import.meta.url)
const ssm = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm')
const sts = require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts')
const iam = require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam')
const ec2 = require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2')
const kms = require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms')

const ACCOUNT = '111122223333'
const REGION = 'eu-west-1'
const INSTANCE = 'i-0123456789abcdef0'
const INSTANCE_ARN = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${INSTANCE}`
const SESSION_ROLE = `arn:aws:iam::${ACCOUNT}:role/ssmx-broker-session-${REGION}`
const IDC_PATH = '/aws-reserved/sso.amazonaws.com/eu-west-1/'
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ssmx-broker`

interface Settings {
  permissionSets: Record<string, {runAsUser: string; document?: string}>
  ouOverridden: string[]
  users: Record<string, string>
  targetRules: Record<string, {tags?: Record<string, string[]>; kinds?: string[]}>
  brokerOnly: string[]
  sessionRoleArn: string
  version: string
}

interface BrokerModule {
  makeHandler: (deps: unknown) => (event: unknown, context?: unknown) => Promise<{statusCode: number; headers: Record<string, string>; body: string}>
  stsName: (user: string) => string
  BROKER_MAX_BODY_BYTES: number
  KIND_DOCUMENTS: Record<string, string>
  settingsFromEnv: () => Settings
}

const CONFIG = parseConfig({
  permissionSets: {Developer: {runAsUser: 'dev'}, DBA: {runAsUser: 'postgres'}, Ops_Team: {runAsUser: 'ops'}},
  admin: {
    organizationalUnits: ['ou-ab12-aaaaaaaa'],
    regions: [REGION],
    broker: {
      enabled: true,
      organizationId: 'o-abcdefghij',
      users: {'jane@example.com': 'dba'},
      targetRules: {DBA: {tags: {Tier: ['db']}, kinds: ['shell', 'port']}},
    },
  },
})

function loadBroker(templateBody: string): {module: BrokerModule; cleanup: () => void} {
  const dir = mkdtempSync(join(ROOT, 'dist', 'lambda-'))
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n')
  writeFileSync(join(dir, 'index.js'), parseTemplate(templateBody).Resources.BrokerFunction.Properties.Code.ZipFile as string)
  return {module: require(join(dir, 'index.js')) as BrokerModule, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

const idc = (permissionSet: string, user: string, o: {account?: string; suffix?: string} = {}) => ({
  accessKey: 'ASIACALLER',
  accountId: o.account ?? ACCOUNT,
  callerId: 'AROACALLER',
  userArn: `arn:aws:sts::${o.account ?? ACCOUNT}:assumed-role/AWSReservedSSO_${permissionSet}_${o.suffix ?? '0123456789abcdef'}/${user}`,
  userId: `AROACALLER:${user}`,
})

function event(body: unknown, caller: unknown = idc('Developer', 'alice@example.com'), raw = false) {
  return {
    version: '2.0',
    body: raw ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {requestId: 'req-1', http: {method: 'POST', path: '/', sourceIp: '198.51.100.7'}, ...(caller ? {authorizer: {iam: caller}} : {})},
  }
}

describe("session broker handler (the template's inline code, SDK clients stubbed)", () => {
  let broker: BrokerModule
  let cleanup: () => void
  let settings: Settings
  const clients = {
    iam: new iam.IAMClient({region: REGION}),
    ec2: new ec2.EC2Client({region: REGION}),
    ssm: new ssm.SSMClient({region: REGION}),
    sts: new sts.STSClient({region: REGION}),
    sessionSsm: new ssm.SSMClient({region: REGION}),
    sessionKms: new kms.KMSClient({region: REGION}),
  }
  let m: {
    iam: AwsClientStub<any>
    ec2: AwsClientStub<any>
    ssm: AwsClientStub<any>
    sts: AwsClientStub<any>
    sessionSsm: AwsClientStub<any>
    sessionKms: AwsClientStub<any>
  }
  let logged: Array<Record<string, any>>
  let sessionCredentials: unknown[]

  before(() => {
    const artifacts = buildArtifacts(CONFIG, '9.9.9')
    ;({module: broker, cleanup} = loadBroker(artifacts.templateBody))
    // the settings exactly as the template's Environment carries them (PermissionSets: the parameter's value)
    const vars = parseTemplate(artifacts.templateBody).Resources.BrokerFunction.Properties.Environment.Variables as Record<string, unknown>
    const saved = {...process.env}
    Object.assign(process.env, {
      SSMX_PERMISSION_SETS: artifacts.parameters.find((p) => p.ParameterKey === 'PermissionSets')!.ParameterValue,
      SSMX_OU_OVERRIDDEN: '',
      SSMX_USERS: vars.SSMX_USERS,
      SSMX_TARGET_RULES: vars.SSMX_TARGET_RULES,
      SSMX_BROKER_ONLY: vars.SSMX_BROKER_ONLY,
      SSMX_SESSION_ROLE_ARN: SESSION_ROLE,
      SSMX_VERSION: vars.SSMX_VERSION,
    })
    try {
      settings = broker.settingsFromEnv()
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    }
  })
  after(() => cleanup())

  beforeEach(() => {
    m = {
      iam: mockClient(clients.iam),
      ec2: mockClient(clients.ec2),
      ssm: mockClient(clients.ssm),
      sts: mockClient(clients.sts),
      sessionSsm: mockClient(clients.sessionSsm),
      sessionKms: mockClient(clients.sessionKms),
    }
    logged = []
    sessionCredentials = []
    m.iam
      .on(iam.GetRoleCommand)
      .callsFake((i: {RoleName: string}) => ({Role: {RoleName: i.RoleName, Path: IDC_PATH, Arn: `arn:aws:iam::${ACCOUNT}:role${IDC_PATH}${i.RoleName}`}}))
    m.iam.on(iam.SimulatePrincipalPolicyCommand).callsFake((i: {ResourceArns: string[]}) => ({
      EvaluationResults: i.ResourceArns.map((r) => ({EvalActionName: 'ssm:StartSession', EvalResourceName: r, EvalDecision: 'allowed'})),
      IsTruncated: false,
    }))
    m.ec2.on(ec2.DescribeTagsCommand).resolves({
      Tags: [
        {Key: 'Environment', Value: 'dev'},
        {Key: 'Tier', Value: 'web'},
      ],
    })
    m.sts
      .on(sts.AssumeRoleCommand)
      .resolves({Credentials: {AccessKeyId: 'ASIASESSION', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date()}})
    m.sessionSsm.on(ssm.StartSessionCommand).resolves({
      SessionId: 'alice_example.com-0a1b2c3d4e5f',
      TokenValue: 'SECRET-TOKEN-VALUE',
      StreamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/alice_example.com-0a1b2c3d4e5f',
    })
  })
  afterEach(() => {
    for (const stub of Object.values(m)) stub.restore()
  })

  const invoke = async (e: unknown, s: Partial<Settings> = {}) => {
    const handler = broker.makeHandler({
      settings: () => ({...settings, ...s}),
      iam: clients.iam,
      ec2: clients.ec2,
      ssm: clients.ssm,
      sts: clients.sts,
      asSessionRole: (credentials: unknown) => {
        sessionCredentials.push(credentials)
        return {ssm: clients.sessionSsm, kms: clients.sessionKms}
      },
      log: (line: Record<string, unknown>) => logged.push(line),
      region: () => REGION,
    })
    const res = await handler(e, {awsRequestId: 'req-1', invokedFunctionArn: FUNCTION_ARN})
    return {status: res.statusCode, body: JSON.parse(res.body), headers: res.headers}
  }
  const started = () => m.sessionSsm.commandCalls(ssm.StartSessionCommand).length + m.sts.commandCalls(sts.AssumeRoleCommand).length
  const input = (stub: AwsClientStub<any>, command: unknown, n = 0) => stub.commandCalls(command as never)[n]!.args[0].input

  it("repeats the protocol's runtime constants exactly", () => {
    expect(broker.BROKER_MAX_BODY_BYTES).to.equal(BROKER_MAX_BODY_BYTES)
    expect(broker.KIND_DOCUMENTS).to.deep.equal(KIND_DOCUMENTS)
  })

  it('reads its settings from the environment the template gives it', () => {
    expect(settings).to.deep.equal({
      permissionSets: {
        DBA: {document: 'SSMX-RunAs-DBA', runAsUser: 'postgres'},
        Developer: {document: 'SSMX-RunAs-Developer', runAsUser: 'dev'},
        Ops_Team: {document: 'SSMX-RunAs-Ops_Team', runAsUser: 'ops'},
      },
      ouOverridden: [],
      users: {'jane@example.com': 'dba'},
      targetRules: {DBA: {tags: {Tier: ['db']}, kinds: ['shell', 'port']}},
      brokerOnly: [],
      sessionRoleArn: SESSION_ROLE,
      version: '9.9.9',
    })
  })

  it("start (shell): simulates the caller's role, assumes the session role tagged with the Linux user, starts the session", async () => {
    const res = await invoke(event({action: 'start', target: INSTANCE, kind: 'shell', reason: 'deploy 42'}))
    expect(res.status, JSON.stringify(res.body)).to.equal(200)
    expect(res.body).to.deep.equal({
      user: 'alice@example.com',
      permissionSet: 'Developer',
      linuxUser: 'dev',
      source: 'permission-set',
      allowed: true,
      sessionId: 'alice_example.com-0a1b2c3d4e5f',
      tokenValue: 'SECRET-TOKEN-VALUE',
      streamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/alice_example.com-0a1b2c3d4e5f',
      document: 'SSM-SessionManagerRunShell',
      version: '9.9.9',
    })
    expect(input(m.iam, iam.GetRoleCommand)).to.deep.equal({RoleName: 'AWSReservedSSO_Developer_0123456789abcdef'})
    expect(input(m.ec2, ec2.DescribeTagsCommand)).to.deep.equal({Filters: [{Name: 'resource-id', Values: [INSTANCE]}], MaxResults: 1000, NextToken: undefined})
    expect(input(m.iam, iam.SimulatePrincipalPolicyCommand)).to.deep.equal({
      PolicySourceArn: `arn:aws:iam::${ACCOUNT}:role${IDC_PATH}AWSReservedSSO_Developer_0123456789abcdef`,
      ActionNames: ['ssm:StartSession'],
      ResourceArns: [INSTANCE_ARN],
      ContextEntries: [
        ...['ssm:resourceTag', 'aws:ResourceTag', 'ec2:ResourceTag'].map((p) => ({
          ContextKeyName: `${p}/Environment`,
          ContextKeyValues: ['dev'],
          ContextKeyType: 'string',
        })),
        ...['ssm:resourceTag', 'aws:ResourceTag', 'ec2:ResourceTag'].map((p) => ({
          ContextKeyName: `${p}/Tier`,
          ContextKeyValues: ['web'],
          ContextKeyType: 'string',
        })),
        {ContextKeyName: 'ssm:SessionDocumentAccessCheck', ContextKeyValues: ['true'], ContextKeyType: 'boolean'},
      ],
    })
    const assume = input(m.sts, sts.AssumeRoleCommand)
    expect(assume).to.deep.equal({
      RoleArn: SESSION_ROLE,
      RoleSessionName: 'alice@example.com',
      SourceIdentity: 'alice@example.com',
      DurationSeconds: 900,
      Tags: [{Key: 'SSMSessionRunAs', Value: 'dev'}],
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {Effect: 'Allow', Action: 'ssm:StartSession', Resource: INSTANCE_ARN},
          {Effect: 'Allow', Action: 'ssm:StartSession', Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:document/SSM-SessionManagerRunShell`},
          {Effect: 'Deny', Action: 'ec2-instance-connect:SendSSHPublicKey', Resource: '*', Condition: {StringNotEquals: {'ec2:osuser': 'dev'}}},
        ],
      }),
    })
    expect(sessionCredentials).to.deep.equal([{accessKeyId: 'ASIASESSION', secretAccessKey: 'secret', sessionToken: 'token'}])
    expect(input(m.sessionSsm, ssm.StartSessionCommand)).to.deep.equal({
      Target: INSTANCE,
      DocumentName: 'SSM-SessionManagerRunShell',
      Reason: 'ssmx broker: Developer alice@example.com: deploy 42',
    })
    // the broker's own clients never start sessions
    expect(m.ssm.commandCalls(ssm.StartSessionCommand)).to.have.length(0)
    expect(logged).to.have.length(1)
    expect(logged[0]).to.deep.include({
      ssmx: 'broker-audit',
      requestId: 'req-1',
      caller: idc('Developer', 'alice@example.com').userArn,
      user: 'alice@example.com',
      permissionSet: 'Developer',
      action: 'start',
      target: INSTANCE,
      kind: 'shell',
      linuxUser: 'dev',
      source: 'permission-set',
      decision: 'allowed',
      status: 200,
      sessionId: 'alice_example.com-0a1b2c3d4e5f',
    })
    expect(JSON.stringify(logged)).to.not.include('SECRET-TOKEN-VALUE').and.not.include('ASIASESSION').and.not.include('secret')
  })

  it('start (port): validated parameters go to StartSession; the document is simulated too when it is not broker-only', async () => {
    const res = await invoke(event({action: 'start', target: INSTANCE, kind: 'port', parameters: {portNumber: ['5432'], localPortNumber: ['0']}}))
    expect(res.status).to.equal(200)
    expect(input(m.iam, iam.SimulatePrincipalPolicyCommand).ResourceArns).to.deep.equal([
      INSTANCE_ARN,
      `arn:aws:ssm:${REGION}::document/AWS-StartPortForwardingSession`,
    ])
    expect(input(m.sessionSsm, ssm.StartSessionCommand)).to.deep.equal({
      Target: INSTANCE,
      DocumentName: 'AWS-StartPortForwardingSession',
      Parameters: {portNumber: ['5432'], localPortNumber: ['0']},
      Reason: 'ssmx broker: Developer alice@example.com',
    })
    const policy = JSON.parse(input(m.sts, sts.AssumeRoleCommand).Policy)
    expect(policy.Statement[1].Resource).to.equal(`arn:aws:ssm:${REGION}:*:document/AWS-StartPortForwardingSession`)
    // broker-only kinds are not simulated on the document (the caller's policy denies it by design)
    m.iam.resetHistory()
    await invoke(event({action: 'start', target: INSTANCE, kind: 'port', parameters: {portNumber: ['5432']}}), {brokerOnly: ['shell', 'port']})
    expect(input(m.iam, iam.SimulatePrincipalPolicyCommand).ResourceArns).to.deep.equal([INSTANCE_ARN])
  })

  it('a managed node (mi-…): its tags come from SSM, its ARN is a managed-instance', async () => {
    m.ssm.on(ssm.ListTagsForResourceCommand).resolves({TagList: [{Key: 'Site', Value: 'lab'}]})
    const res = await invoke(event({action: 'decide', target: 'mi-0123456789abcdef0', kind: 'shell'}))
    expect(res.status).to.equal(200)
    expect(input(m.ssm, ssm.ListTagsForResourceCommand)).to.deep.equal({ResourceType: 'ManagedInstance', ResourceId: 'mi-0123456789abcdef0'})
    expect(input(m.iam, iam.SimulatePrincipalPolicyCommand).ResourceArns).to.deep.equal([
      `arn:aws:ssm:${REGION}:${ACCOUNT}:managed-instance/mi-0123456789abcdef0`,
    ])
  })

  it('a per-user override wins over the permission set (source: user); the STS names are sanitised', async () => {
    const res = await invoke(event({action: 'start', target: INSTANCE, kind: 'shell'}, idc('Developer', 'Jane@Example.com')))
    expect(res.status).to.equal(200)
    expect(res.body).to.include({linuxUser: 'dba', source: 'user', permissionSet: 'Developer'})
    expect(input(m.sts, sts.AssumeRoleCommand).Tags).to.deep.equal([{Key: 'SSMSessionRunAs', Value: 'dba'}])
    expect(broker.stsName('Jane Doe (contractor)')).to.equal('Jane_Doe__contractor_')
    expect(broker.stsName('x')).to.equal('x_')
    expect(broker.stsName('a'.repeat(80))).to.have.length(64)
  })

  it("a per-OU override (the OU's PermissionSets parameter) is reported as its source", async () => {
    const res = await invoke(event({action: 'decide', target: INSTANCE, kind: 'shell'}), {
      permissionSets: {Developer: {runAsUser: 'devops'}},
      ouOverridden: ['Developer'],
    })
    expect(res.body).to.deep.equal({
      user: 'alice@example.com',
      permissionSet: 'Developer',
      linuxUser: 'devops',
      source: 'ou-permission-set',
      allowed: true,
      version: '9.9.9',
    })
  })

  it('the permission set is the role name split at the last _ (names may contain _)', async () => {
    const res = await invoke(event({action: 'decide', target: INSTANCE, kind: 'shell'}, idc('Ops_Team', 'bob')))
    expect(res.body).to.include({permissionSet: 'Ops_Team', linuxUser: 'ops'})
  })

  it('decide starts nothing', async () => {
    const res = await invoke(event({action: 'decide', target: INSTANCE, kind: 'shell'}))
    expect(res.status).to.equal(200)
    expect(started()).to.equal(0)
    expect(logged[0]).to.include({decision: 'allowed', action: 'decide', linuxUser: 'dev'})
  })

  describe('refusals (403, nothing started)', () => {
    const refusedWith = async (e: unknown, reason: RegExp, s: Partial<Settings> = {}) => {
      const res = await invoke(e, s)
      expect(res.status, JSON.stringify(res.body)).to.equal(403)
      expect(res.body.error.code).to.equal('refused')
      expect(res.body.error.message).to.match(reason)
      expect(started()).to.equal(0)
      expect(logged.at(-1)).to.include({decision: 'refused', status: 403})
      expect(logged.at(-1)!.why).to.match(reason)
      return res.body
    }

    it('an unmapped permission set, with the reason and who to ask; never a default user', async () => {
      const body = await refusedWith(
        event({action: 'start', target: INSTANCE, kind: 'shell'}, idc('ReadOnly', 'alice@example.com')),
        /permission set ReadOnly is not mapped to a Linux user.*ask your platform team/,
      )
      expect(body.error.decision).to.deep.include({user: 'alice@example.com', permissionSet: 'ReadOnly', allowed: false})
      expect(body.error.decision.linuxUser).to.equal(undefined)
    })

    it('no IAM caller, an IAM user, a hand-made role, another account', async () => {
      await refusedWith(event({action: 'decide', target: INSTANCE, kind: 'shell'}, null), /no IAM caller/)
      await refusedWith(
        event({action: 'decide', target: INSTANCE, kind: 'shell'}, {...idc('Developer', 'a'), userArn: `arn:aws:iam::${ACCOUNT}:user/alice`}),
        /not an IAM Identity Center role session/,
      )
      await refusedWith(
        event({action: 'decide', target: INSTANCE, kind: 'shell'}, {...idc('Developer', 'a'), userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice`}),
        /not an IAM Identity Center role session/,
      )
      await refusedWith(
        event({action: 'decide', target: INSTANCE, kind: 'shell'}, idc('Developer', 'alice', {account: '999999999999'})),
        /account 999999999999 is not this broker's account 111122223333/,
      )
      await refusedWith(
        event({action: 'decide', target: INSTANCE, kind: 'shell'}, {...idc('Developer', 'alice'), accountId: '999999999999'}),
        /is not this broker's account/,
      )
    })

    it('a role that only copies the IdC name (wrong path), or does not exist', async () => {
      m.iam.on(iam.GetRoleCommand).resolves({
        Role: {
          RoleName: 'AWSReservedSSO_Developer_0123456789abcdef',
          Path: '/',
          Arn: `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Developer_0123456789abcdef`,
        } as never,
      })
      await refusedWith(
        event({action: 'start', target: INSTANCE, kind: 'shell'}),
        /not an IAM Identity Center role \(its path is \/, not \/aws-reserved\/sso.amazonaws.com\/…\)/,
      )
      m.iam.on(iam.GetRoleCommand).rejects(Object.assign(new Error('not found'), {name: 'NoSuchEntityException'}))
      await refusedWith(event({action: 'start', target: INSTANCE, kind: 'shell'}), /does not exist in this account/)
      expect(m.iam.commandCalls(iam.SimulatePrincipalPolicyCommand)).to.have.length(0)
    })

    for (const decision of ['implicitDeny', 'explicitDeny'] as const) {
      it(`the caller's own permission set may not reach the target (simulation: ${decision})`, async () => {
        m.iam
          .on(iam.SimulatePrincipalPolicyCommand)
          .resolves({EvaluationResults: [{EvalActionName: 'ssm:StartSession', EvalResourceName: INSTANCE_ARN, EvalDecision: decision}]})
        const body = await refusedWith(
          event({action: 'start', target: INSTANCE, kind: 'shell'}),
          new RegExp(`may not start a session on ${INSTANCE} \\(${decision} on .*never grants more`),
        )
        expect(body.error.decision).to.include({linuxUser: 'dev', allowed: false})
      })
    }

    it('fails closed: no result for the resource, an SCP deny, a truncated answer', async () => {
      m.iam.on(iam.SimulatePrincipalPolicyCommand).resolves({EvaluationResults: []})
      await refusedWith(event({action: 'start', target: INSTANCE, kind: 'shell'}), /no simulation result/)
      m.iam.on(iam.SimulatePrincipalPolicyCommand).resolves({
        EvaluationResults: [
          {
            EvalActionName: 'ssm:StartSession',
            EvalResourceName: INSTANCE_ARN,
            EvalDecision: 'allowed',
            OrganizationsDecisionDetail: {AllowedByOrganizations: false},
          },
        ],
      })
      await refusedWith(event({action: 'start', target: INSTANCE, kind: 'shell'}), /service control policy/)
      m.iam
        .on(iam.SimulatePrincipalPolicyCommand)
        .resolves({EvaluationResults: [{EvalActionName: 'ssm:StartSession', EvalResourceName: INSTANCE_ARN, EvalDecision: 'allowed'}], IsTruncated: true})
      await refusedWith(event({action: 'start', target: INSTANCE, kind: 'shell'}), /truncated/)
    })

    it("target rules: a target without the permission set's tags, or a kind it may not use", async () => {
      await refusedWith(
        event({action: 'start', target: INSTANCE, kind: 'shell'}, idc('DBA', 'carol')),
        /does not match the target rules of DBA: tag Tier must be db \(it is "web"\)/,
      )
      await refusedWith(
        event({action: 'start', target: INSTANCE, kind: 'ssh'}, idc('DBA', 'carol')),
        /may not open ssh sessions through the broker \(allowed: shell, port\)/,
      )
    })

    it('a simulation error is a 502 naming the call, nothing started', async () => {
      m.iam
        .on(iam.SimulatePrincipalPolicyCommand)
        .rejects(Object.assign(new Error('User is not authorized to perform iam:SimulatePrincipalPolicy'), {name: 'AccessDenied'}))
      const res = await invoke(event({action: 'start', target: INSTANCE, kind: 'shell'}))
      expect(res.status).to.equal(502)
      expect(res.body.error).to.include({
        code: 'upstream',
        message: 'iam:SimulatePrincipalPolicy failed: AccessDenied: User is not authorized to perform iam:SimulatePrincipalPolicy',
      })
      expect(started()).to.equal(0)
      expect(logged[0]).to.include({decision: 'error', status: 502})
    })
  })

  it('target rules that match pass the tags on as a session policy condition, so AWS enforces them too', async () => {
    m.ec2.on(ec2.DescribeTagsCommand).resolves({Tags: [{Key: 'Tier', Value: 'db'}]})
    const res = await invoke(event({action: 'start', target: INSTANCE, kind: 'shell'}, idc('DBA', 'carol')))
    expect(res.status).to.equal(200)
    const policy = JSON.parse(input(m.sts, sts.AssumeRoleCommand).Policy)
    expect(policy.Statement[0]).to.deep.equal({
      Effect: 'Allow',
      Action: 'ssm:StartSession',
      Resource: INSTANCE_ARN,
      Condition: {StringEquals: {'ssm:resourceTag/Tier': ['db']}},
    })
    expect(policy.Statement[2].Condition).to.deep.equal({StringNotEquals: {'ec2:osuser': 'postgres'}})
  })

  it('StartSession failing is a 502 naming the call', async () => {
    m.sessionSsm.on(ssm.StartSessionCommand).rejects(Object.assign(new Error('Target is not connected.'), {name: 'TargetNotConnected'}))
    const res = await invoke(event({action: 'start', target: INSTANCE, kind: 'shell'}))
    expect(res.status).to.equal(502)
    expect(res.body.error.message).to.equal('ssm:StartSession failed: TargetNotConnected: Target is not connected.')
  })

  describe('bad input (400, no AWS call)', () => {
    const cases: Array<[string, unknown, RegExp, boolean?]> = [
      [
        'an oversized body',
        JSON.stringify({action: 'decide', target: INSTANCE, kind: 'shell', pad: 'x'.repeat(BROKER_MAX_BODY_BYTES)}),
        /larger than 8192 bytes/,
        true,
      ],
      ['malformed JSON', '{"action":', /not JSON/, true],
      ['an empty body', '', /not JSON/, true],
      ['a JSON array', '[]', /must be a JSON object/, true],
      ['an unknown action', {action: 'shell', target: INSTANCE}, /action must be one of/],
      [
        'a caller spoofed in the body',
        {action: 'start', target: INSTANCE, kind: 'shell', user: 'root@example.com', permissionSet: 'Admin'},
        /unknown fields "user", "permissionSet"/,
      ],
      ['an invalid target', {action: 'start', target: 'i-123; rm -rf /', kind: 'shell'}, /target must be an instance id/],
      ['a name instead of an id', {action: 'decide', target: 'web-1', kind: 'shell'}, /target must be an instance id/],
      ['an unknown kind', {action: 'start', target: INSTANCE, kind: 'command'}, /kind must be one of/],
      [
        'parameters on a shell',
        {action: 'start', target: INSTANCE, kind: 'shell', parameters: {commands: ['id']}},
        /parameter "commands" is not accepted for a shell session/,
      ],
      ['a port out of range', {action: 'start', target: INSTANCE, kind: 'port', parameters: {portNumber: ['70000']}}, /portNumber has an invalid value/],
      ['a port that is not a number', {action: 'start', target: INSTANCE, kind: 'port', parameters: {portNumber: ['22 ']}}, /portNumber has an invalid value/],
      ['a missing port', {action: 'start', target: INSTANCE, kind: 'port'}, /portNumber is required/],
      ['two values', {action: 'start', target: INSTANCE, kind: 'port', parameters: {portNumber: ['1', '2']}}, /list of one string/],
      [
        'a bad remote host',
        {action: 'start', target: INSTANCE, kind: 'remote-port', parameters: {portNumber: ['5432'], host: ['db;x']}},
        /host has an invalid value/,
      ],
      ['a multi-line reason', {action: 'start', target: INSTANCE, kind: 'shell', reason: 'a\nb'}, /reason must be a single line/],
      ['an invalid session id', {action: 'terminate', sessionId: '../x'}, /not a session id/],
      ['an invalid KMS key', {action: 'datakey', sessionId: 'alice-0a1b', target: INSTANCE, kmsKeyId: 'not a key'}, /not a KMS key/],
    ]
    for (const [name, body, message, raw] of cases) {
      it(name, async () => {
        const res = await invoke(event(body, idc('Developer', 'alice@example.com'), raw))
        expect(res.status, JSON.stringify(res.body)).to.equal(400)
        expect(res.body.error.code).to.equal('bad-request')
        expect(res.body.error.message).to.match(message)
        for (const stub of Object.values(m)) expect(stub.calls()).to.have.length(0)
        expect(logged[0]).to.include({decision: 'bad-request', status: 400})
      })
    }

    it('a base64 body (as function URLs pass non-text content types) is decoded', async () => {
      const e = {...event(''), body: Buffer.from(JSON.stringify({action: 'decide', target: INSTANCE, kind: 'shell'})).toString('base64'), isBase64Encoded: true}
      expect((await invoke(e)).status).to.equal(200)
    })
  })

  describe('own sessions only: terminate, resume, datakey', () => {
    const ownSession = {
      SessionId: 'alice_example.com-0a1b2c3d4e5f',
      Target: INSTANCE,
      Status: 'Connected' as const,
      Owner: `arn:aws:sts::${ACCOUNT}:assumed-role/ssmx-broker-session-${REGION}/alice_example.com`,
      Reason: 'ssmx broker: Developer alice_example.com',
    }
    const aliceSession = {
      ...ownSession,
      SessionId: 'alice@example.com-0a1b2c3d4e5f',
      Owner: `arn:aws:sts::${ACCOUNT}:assumed-role/ssmx-broker-session-${REGION}/alice@example.com`,
      Reason: 'ssmx broker: Developer alice@example.com: deploy',
    }

    it("terminate: checks the session is the caller's, then terminates it as the caller's role session (no RunAs tag)", async () => {
      m.ssm.on(ssm.DescribeSessionsCommand).resolves({Sessions: [aliceSession]})
      m.sessionSsm.on(ssm.TerminateSessionCommand).resolves({SessionId: aliceSession.SessionId})
      const res = await invoke(event({action: 'terminate', sessionId: aliceSession.SessionId}))
      expect(res.status, JSON.stringify(res.body)).to.equal(200)
      expect(res.body).to.deep.equal({sessionId: aliceSession.SessionId})
      expect(input(m.ssm, ssm.DescribeSessionsCommand)).to.deep.equal({State: 'Active', Filters: [{key: 'SessionId', value: aliceSession.SessionId}]})
      expect(input(m.sts, sts.AssumeRoleCommand)).to.deep.equal({
        RoleArn: SESSION_ROLE,
        RoleSessionName: 'alice@example.com',
        SourceIdentity: 'alice@example.com',
        DurationSeconds: 900,
      })
      expect(input(m.sessionSsm, ssm.TerminateSessionCommand)).to.deep.equal({SessionId: aliceSession.SessionId})
    })

    it('resume: returns the new token; looks in the history when the session is not active', async () => {
      m.ssm.on(ssm.DescribeSessionsCommand, {State: 'Active'} as never).resolves({Sessions: []})
      m.ssm.on(ssm.DescribeSessionsCommand, {State: 'History'} as never).resolves({Sessions: [aliceSession]})
      m.sessionSsm.on(ssm.ResumeSessionCommand).resolves({SessionId: aliceSession.SessionId, TokenValue: 'RESUMED-TOKEN', StreamUrl: 'wss://x'})
      const res = await invoke(event({action: 'resume', sessionId: aliceSession.SessionId}))
      expect(res.status, JSON.stringify(res.body)).to.equal(200)
      expect(res.body).to.deep.equal({sessionId: aliceSession.SessionId, tokenValue: 'RESUMED-TOKEN', streamUrl: 'wss://x'})
      expect(JSON.stringify(logged)).to.not.include('RESUMED-TOKEN')
    })

    it("another user's session, or one this user started with another permission set, or by hand: 403, nothing done", async () => {
      for (const other of [
        {
          ...aliceSession,
          Owner: `arn:aws:sts::${ACCOUNT}:assumed-role/ssmx-broker-session-${REGION}/bob@example.com`,
          Reason: 'ssmx broker: Developer bob@example.com',
        },
        // same sanitised session name, another human: the Reason names the exact user
        {...aliceSession, Reason: 'ssmx broker: Developer alice@example.comX'},
        {...aliceSession, Reason: 'ssmx broker: DBA alice@example.com'},
        {...aliceSession, Owner: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/alice@example.com`},
      ]) {
        m.ssm.on(ssm.DescribeSessionsCommand).resolves({Sessions: [other]})
        for (const action of ['terminate', 'resume']) {
          const res = await invoke(event({action, sessionId: aliceSession.SessionId}))
          expect(res.status, JSON.stringify(other)).to.equal(403)
          expect(res.body.error.message).to.match(/is not yours/)
        }
      }
      expect(m.sts.commandCalls(sts.AssumeRoleCommand)).to.have.length(0)
      expect(m.sessionSsm.calls()).to.have.length(0)
    })

    it('an unknown session: 404', async () => {
      m.ssm.on(ssm.DescribeSessionsCommand).resolves({Sessions: []})
      const res = await invoke(event({action: 'terminate', sessionId: 'alice@example.com-ffff'}))
      expect(res.status).to.equal(404)
      expect(res.body.error.code).to.equal('not-found')
    })

    it("datakey: GenerateDataKey with the session's encryption context, own session on its own target only", async () => {
      m.ssm.on(ssm.DescribeSessionsCommand).resolves({Sessions: [aliceSession]})
      m.sessionKms.on(kms.GenerateDataKeyCommand).resolves({CiphertextBlob: Buffer.from('cipher'), Plaintext: Buffer.from('plain'), KeyId: 'k'})
      const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-1111-2222-3333-444455556666`
      const res = await invoke(event({action: 'datakey', sessionId: aliceSession.SessionId, target: INSTANCE, kmsKeyId: key}))
      expect(res.status, JSON.stringify(res.body)).to.equal(200)
      expect(res.body).to.deep.equal({ciphertextBlob: Buffer.from('cipher').toString('base64'), plaintext: Buffer.from('plain').toString('base64')})
      expect(input(m.sessionKms, kms.GenerateDataKeyCommand)).to.deep.equal({
        KeyId: key,
        NumberOfBytes: 64,
        EncryptionContext: {'aws:ssm:SessionId': aliceSession.SessionId, 'aws:ssm:TargetId': INSTANCE},
      })
      const wrong = await invoke(event({action: 'datakey', sessionId: aliceSession.SessionId, target: 'i-0fedcba9876543210', kmsKeyId: key}))
      expect(wrong.status).to.equal(403)
      expect(m.sessionKms.commandCalls(kms.GenerateDataKeyCommand)).to.have.length(1)
    })
  })
})
