/**
 * The generated policy evaluated by a real IAM policy simulator (@cloud-copilot/iam-simulate, AGPL:
 * a devDependency used by tests only). StartSession is authorized against the target and against the
 * session document (SSM-SessionManagerRunShell when none is named); each is one request here.
 */
import {runSimulation} from '@cloud-copilot/iam-simulate'
import {expect} from 'chai'

import {guardrailSpecFor, guardrailStatements, mergeGuardrail} from '../../../src/admin/guardrails/policy.js'
import {parseConfig} from '../../../src/config/load.js'

const ACCOUNT = '111122223333'
const PRINCIPAL = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_A_0123456789abcdef/alice@example.com`
const INSTANCE = `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0123456789abcdef0`
const MANAGED = `arn:aws:ssm:eu-west-1:${ACCOUNT}:managed-instance/mi-0123456789abcdef0`
const doc = (name: string, region = 'eu-west-1') => `arn:aws:ssm:${region}:${ACCOUNT}:document/${name}`
const ADMINISTRATOR_ACCESS = {Version: '2012-10-17', Statement: [{Effect: 'Allow', Action: '*', Resource: '*'}]}

// permission set A's inline policy: a team statement plus the ssmx guardrail
const inlineA = mergeGuardrail(
  {Version: '2012-10-17', Statement: [{Sid: 'Team', Effect: 'Allow', Action: 'ssm:DescribeInstanceInformation', Resource: '*'}]},
  guardrailStatements({permissionSet: 'A', document: 'SSMX-RunAs-A', allowDocuments: ['AWS-StartPortForwardingSession', 'AWS-StartSSHSession']}),
)

async function decide(resource: string, options: {administrator?: boolean; action?: string; context?: Record<string, string>} = {}): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: PRINCIPAL,
        action: options.action ?? 'ssm:StartSession',
        resource: {resource, accountId: ACCOUNT},
        contextVariables: options.context ?? {'ssm:SessionDocumentAccessCheck': 'true'},
      },
      identityPolicies: [
        {name: 'AwsSSOInlinePolicy', policy: inlineA},
        ...(options.administrator ? [{name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS}] : []),
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  )
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`)
  if (result.resultType !== 'single') throw new Error(`unexpected simulation result ${result.resultType}`)
  return result.result.analysis.result
}

describe('guardrail policy in the IAM policy simulator', () => {
  for (const administrator of [false, true]) {
    describe(administrator ? 'permission set A that also has AdministratorAccess (*:*)' : 'permission set A', () => {
      it('allows StartSession on an instance and a managed instance', async () => {
        expect(await decide(INSTANCE, {administrator})).to.equal('Allowed')
        expect(await decide(MANAGED, {administrator})).to.equal('Allowed')
      })

      it("allows A's own document, in any region", async () => {
        expect(await decide(doc('SSMX-RunAs-A'), {administrator})).to.equal('Allowed')
        expect(await decide(doc('SSMX-RunAs-A', 'ap-southeast-2'), {administrator})).to.equal('Allowed')
      })

      it("denies B's document", async () => {
        expect(await decide(doc('SSMX-RunAs-B'), {administrator})).to.equal('ExplicitlyDenied')
      })

      it('denies SSM-SessionManagerRunShell, named or implied by naming no document', async () => {
        expect(await decide(doc('SSM-SessionManagerRunShell'), {administrator})).to.equal('ExplicitlyDenied')
        expect(await decide(doc('SSM-SessionManagerRunShell'), {administrator, context: {}})).to.equal('ExplicitlyDenied')
      })

      it('denies other shell and command documents', async () => {
        expect(await decide(doc('AWS-StartInteractiveCommand'), {administrator})).to.equal('ExplicitlyDenied')
        expect(await decide(doc('AWS-StartNonInteractiveCommand'), {administrator})).to.equal('ExplicitlyDenied')
      })

      it('allows the configured port-forwarding and SSH documents', async () => {
        expect(await decide(doc('AWS-StartPortForwardingSession'), {administrator})).to.equal('Allowed')
        expect(await decide(doc('AWS-StartSSHSession'), {administrator})).to.equal('Allowed')
      })
    })
  }

  it('denies a port-forwarding document that is not configured', async () => {
    expect(await decide(doc('AWS-StartPortForwardingSessionToRemoteHost'), {administrator: true})).to.equal('ExplicitlyDenied')
  })

  it("allows terminating and resuming the caller's own sessions only", async () => {
    const session = `arn:aws:ssm:eu-west-1:${ACCOUNT}:session/alice@example.com-0a1b2c3d4e5f67890`
    const own = {'aws:userid': 'AROAEXAMPLEID:alice@example.com', 'ssm:resourceTag/aws:ssmmessages:session-id': 'AROAEXAMPLEID:alice@example.com'}
    const other = {...own, 'ssm:resourceTag/aws:ssmmessages:session-id': 'AROAEXAMPLEID:bob@example.com'}
    expect(await decide(session, {action: 'ssm:TerminateSession', context: own})).to.equal('Allowed')
    expect(await decide(session, {action: 'ssm:ResumeSession', context: own})).to.equal('Allowed')
    expect(await decide(session, {action: 'ssm:TerminateSession', context: other})).to.equal('ImplicitlyDenied')
  })
})

describe('guardrail RunAs pins in the IAM policy simulator (both modes)', () => {
  const config = parseConfig({
    permissionSets: {A: {runAsUser: 'app'}},
    admin: {
      organizationalUnits: ['ou-ab12-aaaaaaaa'],
      overrides: {'ou-ab12-aaaaaaaa': {permissionSets: {A: {runAsUser: 'app2'}}}},
      broker: {enabled: true, organizationId: 'o-abcdefghij', users: {'jane@example.com': 'dba'}},
    },
  })
  const spec = guardrailSpecFor(config, {permissionSet: 'A', document: 'SSMX-RunAs-A', runAsUser: 'app'})
  const statements = guardrailStatements(spec)
  // iam-simulate looks ec2:osuser up under ec2 instead of ec2-instance-connect and rejects it as a context key; the
  // string conditions are evaluated the same for any string key, so the key is renamed for the simulator only
  const OSUSER = 'aws:RequestTag/osuser'
  const policy = JSON.parse(JSON.stringify({Version: '2012-10-17', Statement: statements}).replaceAll('ec2:osuser', OSUSER))

  async function run(action: string, resource: string, context: Record<string, string>): Promise<string> {
    const result = await runSimulation(
      {
        request: {principal: PRINCIPAL, action, resource: {resource, accountId: ACCOUNT}, contextVariables: context},
        identityPolicies: [
          {name: 'AwsSSOInlinePolicy', policy},
          {name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS},
        ],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    )
    if (result.resultType !== 'single') throw new Error(JSON.stringify(result))
    return result.result.analysis.result
  }

  it("the spec: the permission set's users (per-OU overrides included), per-user overrides, no broker-only documents by default", () => {
    expect(spec).to.deep.include({runAsUsers: ['app', 'app2'], userOverrides: {dba: ['jane@example.com']}})
    expect(spec.brokerOnlyDocuments).to.equal(undefined)
  })

  it("a stray SSMSessionRunAs principal tag naming another user is denied; the permission set's users and no tag pass", async () => {
    const base = {'ssm:SessionDocumentAccessCheck': 'true'}
    expect(await run('ssm:StartSession', INSTANCE, {...base, 'aws:PrincipalTag/SSMSessionRunAs': 'root'})).to.equal('ExplicitlyDenied')
    expect(await run('ssm:StartSession', INSTANCE, {...base, 'aws:PrincipalTag/SSMSessionRunAs': 'app'})).to.equal('Allowed')
    expect(await run('ssm:StartSession', INSTANCE, {...base, 'aws:PrincipalTag/SSMSessionRunAs': 'app2'})).to.equal('Allowed')
    expect(await run('ssm:StartSession', INSTANCE, base)).to.equal('Allowed')
  })

  it("EC2 Instance Connect pushes keys only for the permission set's users, and the override user only for that person", async () => {
    const push = (osuser: string | undefined, user = 'alice@example.com') =>
      run('ec2-instance-connect:SendSSHPublicKey', INSTANCE, {'aws:userid': `AROAEXAMPLE:${user}`, ...(osuser ? {[OSUSER]: osuser} : {})})
    expect(await push('app')).to.equal('Allowed')
    expect(await push('app2')).to.equal('Allowed')
    expect(await push('root')).to.equal('ExplicitlyDenied')
    expect(await push('ec2-user')).to.equal('ExplicitlyDenied')
    expect(await push('dba')).to.equal('ExplicitlyDenied')
    expect(await push('dba', 'jane@example.com')).to.equal('Allowed')
    expect(await push(undefined)).to.equal('ExplicitlyDenied')
  })

  it('broker-only shells: the permission set may no longer start its own document directly (the broker is the only route)', async () => {
    const only = guardrailStatements(
      guardrailSpecFor(parseConfig({...config, admin: {...config.admin, broker: {...config.admin.broker, only: ['shell', 'port']}}}), {
        permissionSet: 'A',
        document: 'SSMX-RunAs-A',
        runAsUser: 'app',
      }),
    )
    const onlyPolicy = {Version: '2012-10-17', Statement: only}
    const decideOnly = async (resource: string) => {
      const result = await runSimulation(
        {
          request: {
            principal: PRINCIPAL,
            action: 'ssm:StartSession',
            resource: {resource, accountId: ACCOUNT},
            contextVariables: {'ssm:SessionDocumentAccessCheck': 'true'},
          },
          identityPolicies: [
            {name: 'AwsSSOInlinePolicy', policy: onlyPolicy},
            {name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS},
          ],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      )
      if (result.resultType !== 'single') throw new Error(JSON.stringify(result))
      return result.result.analysis.result
    }
    expect(await decideOnly(doc('SSMX-RunAs-A'))).to.equal('ExplicitlyDenied')
    expect(await decideOnly(doc('SSM-SessionManagerRunShell'))).to.equal('ExplicitlyDenied')
    expect(await decideOnly(doc('AWS-StartPortForwardingSession'))).to.equal('ExplicitlyDenied')
    // not broker-only: still direct
    expect(await decideOnly(doc('AWS-StartSSHSession'))).to.equal('Allowed')
    expect(await decideOnly(INSTANCE)).to.equal('Allowed')
  })
})
