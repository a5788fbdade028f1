import {mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {expect} from 'chai'
import {parse} from 'yaml'

import {SCP_DESCRIPTION} from '../../src/admin/artifacts.js'
import {renderAdmin, writeRendered} from '../../src/admin/render.js'
import {parseConfig} from '../../src/config/load.js'
import {SsmxError} from '../../src/errors.js'
import {ROOT} from '../support/cli.js'
import {lzaValidator} from './lza-schemas.js'

const LZA_CONFIG = {
  defaultRunAsUser: 'ec2-user',
  permissionSets: {Developer: {runAsUser: 'dev'}, 'Ops+Admin': {runAsUser: 'ops'}},
  admin: {
    regions: ['eu-west-1', 'us-east-1'],
    organizationalUnits: ['ou-ab12-cdefgh12', 'ou-ab12-zzzzzz99'],
    overrides: {'ou-ab12-zzzzzz99': {permissionSets: {Developer: {runAsUser: 'devops'}}}},
    scp: {targets: ['r-ab12', '444455556666']},
    lza: {organizationalUnits: {'ou-ab12-cdefgh12': 'Workloads/Prod', 'ou-ab12-zzzzzz99': 'Sandbox'}, accounts: {'444455556666': 'SharedServices'}},
  },
}

describe('admin render (files)', () => {
  const config = parseConfig(LZA_CONFIG)

  it('lays out the template, the SCP, the LZA entries and a README', () => {
    const r = renderAdmin(config, '1.0.0', {lza: true})
    expect(r.files.map((f) => f.path)).to.deep.equal([
      'ssmx-runas.template.yaml',
      'ssmx-protect-session-documents.scp.json',
      'lza/customizations-config.yaml',
      'lza/cloudformation/ssmx-runas.yaml',
      'lza/organization-config.yaml',
      'lza/service-control-policies/ssmx-protect-session-documents.json',
      'lza/iam-config.yaml',
      'lza/iam-policies/ssmx-guardrail-Developer.json',
      'lza/iam-policies/ssmx-guardrail-Ops_Admin.json',
      'README.md',
    ])
    const file = (p: string) => r.files.find((f) => f.path === p)!.content
    expect(file('lza/cloudformation/ssmx-runas.yaml')).to.equal(file('ssmx-runas.template.yaml'))
    expect(file('lza/service-control-policies/ssmx-protect-session-documents.json')).to.include('${PARTITION}')
    expect(file('ssmx-protect-session-documents.scp.json')).to.include('arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell').and.not.include('${')
    const readme = file('README.md')
    expect(readme).to.include('SELF_MANAGED').and.include('next pipeline run').and.include('SERVICE_MANAGED').and.include('at once')
    expect(readme).to.include('customizations.cloudFormationStackSets').and.include('serviceControlPolicies')
    for (const f of r.files.slice(0, -1)) expect(readme).to.include(`\`${f.path}\``)
  })

  it('is deterministic: the same configuration and version give the same bytes', () => {
    const a = renderAdmin(config, '1.0.0', {lza: true})
    const b = renderAdmin(parseConfig(structuredClone(LZA_CONFIG)), '1.0.0', {lza: true})
    expect(b.files).to.deep.equal(a.files)
  })

  it("writes LZA entries that LZA's own v1.15.5 schemas accept, naming OUs and accounts by name", () => {
    const r = renderAdmin(config, '1.0.0', {lza: true})
    const customizations = parse(r.files.find((f) => f.path === 'lza/customizations-config.yaml')!.content)
    expect(lzaValidator('customizations-config')(customizations)).to.deep.equal([])
    const stackSets = customizations.customizations.cloudFormationStackSets
    expect(stackSets.map((s: {name: string}) => s.name)).to.deep.equal(['ssmx-runas', 'ssmx-runas-ou-ab12-zzzzzz99'])
    expect(stackSets[0]).to.deep.include({
      template: 'cloudformation/ssmx-runas.yaml',
      capabilities: ['CAPABILITY_NAMED_IAM'],
      deploymentTargets: {organizationalUnits: ['Workloads/Prod']},
      regions: ['eu-west-1', 'us-east-1'],
    })
    expect(stackSets[1].deploymentTargets).to.deep.equal({organizationalUnits: ['Sandbox']})
    const devops = stackSets[1].parameters.find((p: {name: string}) => p.name === 'PermissionSets').value
    expect(JSON.parse(devops).Developer).to.deep.equal({document: 'SSMX-RunAs-Developer', runAsUser: 'devops'})

    const organization = parse(r.files.find((f) => f.path === 'lza/organization-config.yaml')!.content)
    const root = {enable: true, organizationalUnits: [], taggingPolicies: [], backupPolicies: [], ...organization}
    expect(lzaValidator('organization-config')(root)).to.deep.equal([])
    expect(organization.serviceControlPolicies).to.deep.equal([
      {
        name: 'ssmx-protect-session-documents',
        description: SCP_DESCRIPTION,
        policy: 'service-control-policies/ssmx-protect-session-documents.json',
        type: 'customerManaged',
        strategy: 'deny-list',
        deploymentTargets: {organizationalUnits: ['Root'], accounts: ['SharedServices']},
      },
    ])
  })

  it('the schema check is real: an unknown key fails it', () => {
    const validate = lzaValidator('customizations-config')
    expect(
      validate({
        customizations: {
          cloudFormationStackSets: [{name: 'x', template: 't.yaml', regions: ['eu-west-1'], deploymentTargets: {}, permissionModel: 'SERVICE_MANAGED'}],
        },
      }),
    ).to.have.length.above(0)
    // a missing required key, a capability LZA does not know, an empty name
    expect(validate({customizations: {cloudFormationStackSets: [{name: 'x', regions: [], deploymentTargets: {}}]}})).to.have.length(1)
    expect(
      validate({customizations: {cloudFormationStackSets: [{name: '', template: 't', regions: [], deploymentTargets: {}, capabilities: ['CAPABILITY_X']}]}}),
    ).to.have.length(2)
    const organization = lzaValidator('organization-config')
    const root = {enable: true, organizationalUnits: [], taggingPolicies: [], backupPolicies: []}
    const scp = {
      name: 'p',
      description: 'd',
      policy: 'p.json',
      type: 'customerManaged',
      strategy: 'deny-list',
      deploymentTargets: {organizationalUnits: ['Root']},
    }
    expect(organization({...root, serviceControlPolicies: [scp]})).to.deep.equal([])
    expect(organization({...root, serviceControlPolicies: [{...scp, description: undefined}]})).to.have.length(1)
    expect(organization({...root, serviceControlPolicies: [{...scp, deploymentTargets: {ous: ['Root']}}]})).to.have.length(1)
    expect(organization({...root, serviceControlPolicies: [{...scp, strategy: 'deny'}]})).to.have.length(1)
    // LZA's root requires its lists
    expect(organization({serviceControlPolicies: [scp]})).to.have.length(4)
  })

  it("the LZA schemas are the repository's own: no file outside it is read", () => {
    // a fresh clone has only itself: the schemas are modules of the test suite
    const source = readFileSync(join(ROOT, 'test', 'admin', 'lza-schemas.ts'), 'utf8')
    expect(source).not.to.match(/readFileSync|shared\/lza-schemas|from 'node:fs'/)
  })

  it('explains what LZA needs that the configuration lacks', () => {
    const missingNames = parseConfig({...LZA_CONFIG, admin: {...LZA_CONFIG.admin, lza: {}}})
    expect(() => renderAdmin(missingNames, '1.0.0', {lza: true})).to.throw(
      SsmxError,
      /no name is configured for 444455556666, ou-ab12-cdefgh12, ou-ab12-zzzzzz99/,
    )
    expect(() => renderAdmin(parseConfig({}), '1.0.0', {lza: true})).to.throw(SsmxError, /needs admin.regions and admin.organizationalUnits/)
    // without --lza neither is needed
    expect(renderAdmin(parseConfig({}), '1.0.0').files.map((f) => f.path)).to.deep.equal([
      'ssmx-runas.template.yaml',
      'ssmx-protect-session-documents.scp.json',
      'README.md',
    ])
  })

  it('leaves the SCP out when admin.scp.enabled is false', () => {
    const r = renderAdmin(parseConfig({...LZA_CONFIG, admin: {...LZA_CONFIG.admin, scp: {enabled: false}}}), '1.0.0', {lza: true})
    expect(r.files.map((f) => f.path).filter((p) => !p.startsWith('lza/iam-'))).to.deep.equal([
      'ssmx-runas.template.yaml',
      'lza/customizations-config.yaml',
      'lza/cloudformation/ssmx-runas.yaml',
      'README.md',
    ])
    expect(r.scpName).to.equal(undefined)
  })

  it('writes the files under the directory, creating it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmx-render-'))
    try {
      const r = renderAdmin(config, '1.0.0', {lza: true})
      const written = writeRendered(join(dir, 'out'), r.files)
      expect(written.map((p) => relative(join(dir, 'out'), p))).to.deep.equal(r.files.map((f) => f.path))
      for (const f of r.files) expect(readFileSync(join(dir, 'out', f.path), 'utf8')).to.equal(f.content)
      expect(readdirSync(join(dir, 'out', 'lza')).sort()).to.deep.equal([
        'cloudformation',
        'customizations-config.yaml',
        'iam-config.yaml',
        'iam-policies',
        'organization-config.yaml',
        'service-control-policies',
      ])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
