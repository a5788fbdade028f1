import {expect} from 'chai'
import {parse} from 'yaml'

import {renderAdmin} from '../../src/admin/render.js'
import {parseConfig} from '../../src/config/load.js'
import {lzaValidator} from './lza-schemas.js'
import {parseTemplate} from './template-handler.js'

const OU_A = 'ou-ab12-cdefgh12'
const OU_B = 'ou-ab12-zzzzzz99'
const CONFIG = parseConfig({
  permissionSets: {Developer: {runAsUser: 'dev'}, DBA: {runAsUser: 'postgres'}},
  admin: {
    regions: ['eu-west-1'],
    organizationalUnits: [OU_A, OU_B],
    overrides: {[OU_B]: {permissionSets: {Developer: {runAsUser: 'devops'}}}},
    lza: {organizationalUnits: {[OU_A]: 'Workloads', [OU_B]: 'Sandbox'}},
    broker: {enabled: true, organizationId: 'o-abcdefghij', users: {'jane@example.com': 'dba'}},
  },
})

describe('admin render --lza with the session broker', () => {
  const out = renderAdmin(CONFIG, '1.2.3', {lza: true})
  const file = (path: string) => out.files.find((f) => f.path === path)!.content

  it("emits the same template (with the broker) for both paths, and LZA stack sets carrying the OU override of the broker's source", () => {
    const template = file('ssmx-runas.template.yaml')
    expect(file('lza/cloudformation/ssmx-runas.yaml')).to.equal(template)
    expect(parseTemplate(template).Resources.BrokerFunction.Properties.FunctionName).to.equal('ssmx-broker')
    const entries = parse(file('lza/customizations-config.yaml')).customizations.cloudFormationStackSets
    expect(lzaValidator('customizations-config')({customizations: {cloudFormationStackSets: entries}})).to.deep.equal([])
    const byName = Object.fromEntries(
      entries.map((e: {name: string; parameters: Array<{name: string; value: string}>}) => [
        e.name,
        Object.fromEntries(e.parameters.map((p) => [p.name, p.value])),
      ]),
    )
    expect(byName['ssmx-runas']).to.include({OuOverriddenPermissionSets: ''})
    expect(byName[`ssmx-runas-${OU_B}`]).to.include({OuOverriddenPermissionSets: 'Developer'})
    expect(JSON.parse(byName[`ssmx-runas-${OU_B}`].PermissionSets).Developer.runAsUser).to.equal('devops')
    for (const e of entries) expect(e.capabilities).to.deep.equal(['CAPABILITY_NAMED_IAM'])
  })

  it("the LZA SCP protects the broker too, with LZA's variables", () => {
    const scp = file('lza/service-control-policies/ssmx-protect-session-documents.json')
    expect(scp)
      .to.include('arn:${PARTITION}:lambda:*:*:function:ssmx-broker*')
      .and.include('SsmxBrokerNoDirectInvoke')
      .and.include('parameter/session-broker/ssmx/*')
    expect(scp.trim().length).to.be.at.most(5120)
  })

  it("the guardrail files pin SSH keys and the RunAs tag to the permission set's users", () => {
    const developer = JSON.parse(file('lza/iam-policies/ssmx-guardrail-Developer.json'))
    const bySid = Object.fromEntries(developer.Statement.map((s: {Sid: string}) => [s.Sid, s]))
    expect(bySid.SsmxGuardrailDenyOtherRunAsTag.Condition.StringNotEquals).to.deep.equal({'aws:PrincipalTag/SSMSessionRunAs': ['dev', 'devops']})
    expect(bySid.SsmxGuardrailSshKeyUser.Condition.StringNotEquals).to.deep.equal({'ec2:osuser': ['dev', 'devops', 'dba']})
    expect(bySid.SsmxGuardrailSshKeyOverride1.Condition).to.deep.equal({
      StringEquals: {'ec2:osuser': 'dba'},
      StringNotLike: {'aws:userid': ['*:jane@example.com']},
    })
  })

  it('the README says what the broker deploys', () => {
    expect(file('README.md')).to.include('The session broker').and.include('/session-broker/ssmx/url').and.include('o-abcdefghij')
  })
})
