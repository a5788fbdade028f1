import {runSimulation} from '@cloud-copilot/iam-simulate'
import {expect} from 'chai'

import {MAX_SCP_CHARACTERS, renderScp} from '../../src/admin/scp.js'
import {parseConfig} from '../../src/config/load.js'
import {SsmxError} from '../../src/errors.js'

const ACCOUNT = '111122223333'
const CONFIG = parseConfig({
  permissionSets: {Developer: {runAsUser: 'dev'}, DBA: {runAsUser: 'postgres', document: 'Team-DBA-Session'}},
  admin: {regions: ['eu-west-1', 'us-east-1'], scp: {exemptPrincipals: ['arn:aws:iam::*:role/platform/BreakGlass']}},
})
const ALLOW_ALL = {Version: '2012-10-17', Statement: [{Effect: 'Allow', Action: '*', Resource: '*'}]}
const DOCUMENT_ACTIONS = [
  'ssm:UpdateDocument',
  'ssm:UpdateDocumentDefaultVersion',
  'ssm:DeleteDocument',
  'ssm:CreateDocument',
  'ssm:UpdateDocumentMetadata',
  'ssm:ModifyDocumentPermission',
]
// configured regions and others: the SCP covers every region
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2', 'sa-east-1']
const DOCUMENTS = ['SSM-SessionManagerRunShell', 'SSMX-RunAs-Developer', 'Team-DBA-Session', 'SSMX-RunAs-RemovedLater']

const role = (path: string) => `arn:aws:iam::${ACCOUNT}:role/${path}`

/** Simulates an admin-powered principal's request under FullAWSAccess + the ssmx SCP. */
async function decide(scp: string, principalRoleArn: string, action: string, resource: string, context: Record<string, string> = {}): Promise<string> {
  const name = principalRoleArn.split('/').pop()
  const result = await runSimulation(
    {
      identityPolicies: [{name: 'AdministratorAccess', policy: ALLOW_ALL}],
      serviceControlPolicies: [
        {
          orgIdentifier: 'ou-ab12-cdefgh12',
          policies: [
            {name: 'FullAWSAccess', policy: ALLOW_ALL},
            {name: 'ssmx', policy: JSON.parse(scp)},
          ],
        },
      ],
      resourceControlPolicies: [],
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/someone`,
        action,
        resource: {resource, accountId: ACCOUNT},
        contextVariables: {'aws:PrincipalArn': principalRoleArn, ...context},
      },
    },
    {},
  )
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors))
  return result.overallResult
}

const documentArn = (region: string, name: string) => `arn:aws:ssm:${region}:${ACCOUNT}:document/${name}`

describe('ssmx SCP (evaluated with @cloud-copilot/iam-simulate)', () => {
  const scp = renderScp(CONFIG, 'concrete')

  it("is minified JSON within Organizations' 5,120 characters", () => {
    expect(scp).to.equal(JSON.stringify(JSON.parse(scp)))
    expect(scp.length).to.be.at.most(MAX_SCP_CHARACTERS)
  })

  for (const [who, arn] of [
    ['an IAM Identity Center admin (AWSReservedSSO_…)', role('aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef')],
    ['a plain admin role', role('Admin')],
    ['a role merely named like ssmx in another path', role('team/ssmx-runas-eu-west-1-copy')],
  ] as const) {
    it(`denies ${who} every document change, in any region, on SSM-SessionManagerRunShell and the ssmx documents`, async () => {
      for (const action of DOCUMENT_ACTIONS) {
        for (const region of REGIONS) {
          for (const document of DOCUMENTS) {
            expect(await decide(scp, arn, action, documentArn(region, document)), `${action} ${region} ${document}`).to.equal('ExplicitlyDenied')
          }
        }
      }
    })
  }

  it("denies admins changes to the function's role and code, and leaves their other documents alone", async () => {
    const admin = role('Admin')
    expect(await decide(scp, admin, 'iam:PutRolePolicy', role('ssmx-runas-eu-west-1'))).to.equal('ExplicitlyDenied')
    expect(await decide(scp, admin, 'iam:UpdateAssumeRolePolicy', role('ssmx-runas-eu-west-1'))).to.equal('ExplicitlyDenied')
    expect(await decide(scp, admin, 'iam:CreateRole', role('ssmx-runas-evil'))).to.equal('ExplicitlyDenied')
    expect(await decide(scp, admin, 'lambda:UpdateFunctionCode', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ssmx-runas`)).to.equal('ExplicitlyDenied')
    expect(await decide(scp, admin, 'ssm:UpdateDocument', documentArn('eu-west-1', 'MyTeam-Runbook'))).to.equal('Allowed')
    expect(await decide(scp, admin, 'ssm:GetDocument', documentArn('eu-west-1', 'SSM-SessionManagerRunShell'))).to.equal('Allowed')
    expect(await decide(scp, admin, 'ssm:StartSession', documentArn('eu-west-1', 'SSMX-RunAs-Developer'))).to.equal('Allowed')
  })

  for (const [who, arn] of [
    ["the RunAs function's role", role('ssmx-runas-eu-west-1')],
    ['a service-managed StackSet execution role', role('stacksets-exec-0123456789abcdef0123456789abcdef')],
    ['the self-managed StackSet execution role', role('AWSCloudFormationStackSetExecutionRole')],
    ["LZA's roles (AWSAccelerator*)", role('AWSAccelerator-CDKDeployRole')],
    ["LZA's CDK roles (cdk-accel*)", role('cdk-accel-cfn-exec-role-111122223333-eu-west-1')],
    ['the management account access role', role('AWSControlTowerExecution')],
    ['a configured exempt principal', role('platform/BreakGlass')],
  ] as const) {
    it(`allows ${who}`, async () => {
      for (const action of DOCUMENT_ACTIONS) {
        expect(await decide(scp, arn, action, documentArn('ap-southeast-2', 'SSM-SessionManagerRunShell')), action).to.equal('Allowed')
        expect(await decide(scp, arn, action, documentArn('eu-west-1', 'SSMX-RunAs-Developer')), action).to.equal('Allowed')
      }
      expect(await decide(scp, arn, 'iam:PutRolePolicy', role('ssmx-runas-eu-west-1'))).to.equal('Allowed')
    })
  }

  it('follows the configured LZA prefix and management role', async () => {
    const custom = renderScp(parseConfig({admin: {scp: {acceleratorPrefix: 'ACME', managementAccountAccessRole: 'OrganizationAccountAccessRole'}}}))
    const resource = documentArn('eu-west-1', 'SSM-SessionManagerRunShell')
    expect(await decide(custom, role('ACME-PipelineRole'), 'ssm:UpdateDocument', resource)).to.equal('Allowed')
    expect(await decide(custom, role('OrganizationAccountAccessRole'), 'ssm:UpdateDocument', resource)).to.equal('Allowed')
    expect(await decide(custom, role('AWSAccelerator-CDKDeployRole'), 'ssm:UpdateDocument', resource)).to.equal('ExplicitlyDenied')
  })

  it('the LZA form uses ${PARTITION}, ${ACCELERATOR_PREFIX}, ${MANAGEMENT_ACCOUNT_ACCESS_ROLE} and equals the concrete one once LZA substitutes them', () => {
    const lza = renderScp(CONFIG, 'lza')
    expect(lza).to.include('arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*').and.include('role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}')
    // only the configured exempt principal stays as written
    expect(lza.replaceAll('arn:aws:iam::*:role/platform/BreakGlass', '')).to.not.include('arn:aws:')
    const substituted = lza
      .replaceAll('${PARTITION}', 'aws')
      .replaceAll('${ACCELERATOR_PREFIX}', 'AWSAccelerator')
      .replaceAll('${MANAGEMENT_ACCOUNT_ACCESS_ROLE}', 'AWSControlTowerExecution')
    expect(substituted).to.equal(scp)
  })

  it('uses the partition of the configured regions, and refuses mixed partitions', () => {
    expect(renderScp(parseConfig({admin: {regions: ['cn-north-1', 'cn-northwest-1']}})))
      .to.include('arn:aws-cn:ssm:*:*:document/SSM-SessionManagerRunShell')
      .and.not.include('arn:aws:')
    expect(() => renderScp(parseConfig({admin: {regions: ['eu-west-1', 'us-gov-west-1']}}))).to.throw(SsmxError, /mixes partitions/)
  })

  it('an over-limit configuration is a config error, not a truncated policy', () => {
    const permissionSets = Object.fromEntries(
      Array.from({length: 90}, (_, i) => [`Team${i}`, {runAsUser: 'u', document: `Explicit-Document-Name-Number-${i}`}]),
    )
    const error = (() => {
      try {
        renderScp(parseConfig({permissionSets}))
      } catch (e) {
        return e as SsmxError
      }
    })()
    expect(error).to.be.instanceOf(SsmxError)
    expect(error!.code).to.equal('config')
    expect(error!.message).to.match(/The ssmx SCP would be \d+ characters; Organizations allows 5120/)
  })
})

describe('ssmx SCP with the session broker (evaluated with @cloud-copilot/iam-simulate)', () => {
  const config = parseConfig({
    permissionSets: {Developer: {runAsUser: 'dev'}, DBA: {runAsUser: 'postgres', document: 'Team-DBA-Session'}},
    admin: {
      regions: ['eu-west-1', 'us-east-1'],
      scp: {exemptPrincipals: ['arn:aws:iam::*:role/platform/BreakGlass']},
      broker: {enabled: true, organizationId: 'o-abcdefghij'},
    },
  })
  const scp = renderScp(config, 'concrete')
  const fn = (region = 'eu-west-1') => `arn:aws:lambda:${region}:${ACCOUNT}:function:ssmx-broker`
  const idcRole = role('aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef')

  const invoke = (principalRoleArn: string, action: string, context: Record<string, string> = {}) => decide(scp, principalRoleArn, action, fn(), context)

  it('stays within 5,120 characters', () => {
    expect(scp.length).to.be.at.most(MAX_SCP_CHARACTERS)
    expect(renderScp(config, 'lza').length).to.be.at.most(MAX_SCP_CHARACTERS)
  })

  it('denies admins every change to the broker function, its URL and auth type, resource policy, concurrency, both roles and the published parameters', async () => {
    for (const who of [role('Admin'), idcRole]) {
      for (const action of [
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
        'lambda:UpdateFunctionUrlConfig',
        'lambda:DeleteFunctionUrlConfig',
        'lambda:CreateFunctionUrlConfig',
        'lambda:AddPermission',
        'lambda:RemovePermission',
        'lambda:PutFunctionConcurrency',
        'lambda:DeleteFunctionConcurrency',
        'lambda:DeleteFunction',
        'lambda:CreateAlias',
        'lambda:PublishVersion',
      ]) {
        expect(await decide(scp, who, action, fn('ap-southeast-2')), action).to.equal('ExplicitlyDenied')
      }
      for (const r of ['ssmx-broker-eu-west-1', 'ssmx-broker-session-eu-west-1']) {
        for (const action of ['iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DeleteRole', 'iam:PassRole']) {
          expect(await decide(scp, who, action, role(r)), `${action} ${r}`).to.equal('ExplicitlyDenied')
        }
      }
      for (const name of ['url', 'version']) {
        for (const action of ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:LabelParameterVersion']) {
          expect(await decide(scp, who, action, `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/session-broker/ssmx/${name}`), `${action} ${name}`).to.equal(
            'ExplicitlyDenied',
          )
        }
      }
    }
  })

  it('lets StackSet execution and the exempt principals deploy it', async () => {
    for (const who of [role('stacksets-exec-0123456789abcdef0123456789abcdef'), role('platform/BreakGlass')]) {
      expect(await decide(scp, who, 'lambda:UpdateFunctionUrlConfig', fn())).to.equal('Allowed')
      expect(await decide(scp, who, 'iam:UpdateAssumeRolePolicy', role('ssmx-broker-session-eu-west-1'))).to.equal('Allowed')
      expect(await decide(scp, who, 'ssm:PutParameter', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/session-broker/ssmx/url`)).to.equal('Allowed')
    }
  })

  it('only IAM Identity Center roles may call it, and only through the URL: a direct Invoke is denied to everyone', async () => {
    expect(await invoke(idcRole, 'lambda:InvokeFunctionUrl')).to.equal('Allowed')
    expect(await invoke(idcRole, 'lambda:InvokeFunction', {'lambda:InvokedViaFunctionUrl': 'true'})).to.equal('Allowed')
    expect(await invoke(idcRole, 'lambda:InvokeFunction')).to.equal('ExplicitlyDenied')
    expect(await invoke(idcRole, 'lambda:InvokeFunction', {'lambda:InvokedViaFunctionUrl': 'false'})).to.equal('ExplicitlyDenied')
    for (const other of [role('Admin'), role('team/AWSReservedSSO_Fake_0123456789abcdef'), role('stacksets-exec-0123456789abcdef0123456789abcdef')]) {
      expect(await invoke(other, 'lambda:InvokeFunctionUrl'), other).to.equal('ExplicitlyDenied')
      expect(await invoke(other, 'lambda:InvokeFunction', {'lambda:InvokedViaFunctionUrl': 'true'}), other).to.equal('ExplicitlyDenied')
    }
  })

  it('without the broker, the SCP does not mention it', () => {
    expect(renderScp(parseConfig({permissionSets: {Developer: {runAsUser: 'dev'}}})))
      .to.not.include('ssmx-broker')
      .and.not.include('session-broker')
  })
})
