import {expect} from 'chai'
import {parse} from 'yaml'

import {LZA_OVERWRITE_NOTE, renderLzaGuardrails} from '../../../src/admin/guardrails/lza.js'
import {guardrailStatements} from '../../../src/admin/guardrails/policy.js'
import {configSchema} from '../../../src/config/schema.js'
import {lzaValidator} from '../lza-schemas.js'

const config = configSchema.parse({permissionSets: {Developer: {runAsUser: 'dev'}, 'Ops+Admin@eu': {runAsUser: 'ops'}}})

describe('LZA rendering of the guardrails', () => {
  const out = renderLzaGuardrails(config)

  it('writes one inline-policy file per permission set with exactly the ssmx statements', () => {
    expect(out.files.map((f) => f.path)).to.deep.equal(['iam-policies/ssmx-guardrail-Developer.json', 'iam-policies/ssmx-guardrail-Ops_Admin_eu.json'])
    const ops = JSON.parse(out.files[1].content)
    expect(ops).to.deep.equal({
      Version: '2012-10-17',
      Statement: guardrailStatements({
        permissionSet: 'Ops+Admin@eu',
        document: 'SSMX-RunAs-Ops_Admin_eu',
        allowDocuments: config.admin.guardrails.allowDocuments,
        runAsUsers: ['ops'],
      }),
    })
  })

  it("renders identityCenterPermissionSets entries that LZA's own iam-config schema accepts", () => {
    const validate = lzaValidator('iam-config')
    const yaml = parse(out.iamConfigYaml)
    expect(yaml.identityCenter.identityCenterPermissionSets).to.deep.equal(out.entries)
    // the fragment merges into an existing identityCenter block, which carries its own name
    const document = {homeRegion: 'eu-west-1', identityCenter: {name: 'identity-center', ...yaml.identityCenter}}
    expect(validate(document)).to.deep.equal([])
    expect(out.entries[1]).to.deep.equal({name: 'Ops+Admin@eu', policies: {inlinePolicy: 'iam-policies/ssmx-guardrail-Ops_Admin_eu.json'}})
    // and the schema does catch a wrong key
    expect(validate({identityCenter: {name: 'x', identityCenterPermissionSets: [{name: 'D', policies: {inline: 'x'}}]}})).to.have.length(1)
  })

  it('says that LZA overwrites an inline policy ssmx wrote', () => {
    expect(out.notes[0]).to.equal(LZA_OVERWRITE_NOTE)
    expect(LZA_OVERWRITE_NOTE).to.include('overwrites')
    expect(out.iamConfigYaml).to.include('# LZA owns the inline policy')
    expect(out.iamConfigYaml.split('\n').filter((l) => l.startsWith('#')).length).to.equal(4)
  })
})
