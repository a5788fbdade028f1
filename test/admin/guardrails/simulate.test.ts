/**
 * The generated policy evaluated by a real IAM policy simulator (@cloud-copilot/iam-simulate, AGPL:
 * a devDependency used by tests only). StartSession is authorized against the target and against the
 * session document (SSM-SessionManagerRunShell when none is named); each is one request here.
 */
import {runSimulation} from '@cloud-copilot/iam-simulate'
import {expect} from 'chai'

import {guardrailStatements, mergeGuardrail} from '../../../src/admin/guardrails/policy.js'

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
