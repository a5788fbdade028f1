import {expect} from 'chai'

import {buildArtifacts} from '../../src/admin/artifacts.js'
import {parseConfig} from '../../src/config/load.js'
import {SsmxError} from '../../src/errors.js'

const configError = (f: () => unknown): SsmxError => {
  try {
    f()
  } catch (error) {
    expect(error).to.be.instanceOf(SsmxError)
    expect((error as SsmxError).code).to.equal('config')
    expect((error as SsmxError).suggestions).to.not.be.empty
    return error as SsmxError
  }
  throw new Error('expected a config error')
}

describe('buildArtifacts (the contract with admin enforce/status/remove)', () => {
  const config = parseConfig({
    defaultRunAsUser: 'ec2-user',
    permissionSets: {Developer: {runAsUser: 'dev'}, 'Ops+Admin': {runAsUser: 'ops'}},
    admin: {
      organizationalUnits: ['ou-ab12-cdefgh12', 'ou-ab12-zzzzzz99', 'ou-ab12-yyyyyy88'],
      onDelete: 'disable-runas',
      overrides: {
        'ou-ab12-zzzzzz99': {defaultRunAsUser: 'ubuntu', permissionSets: {Developer: {runAsUser: 'devops'}}},
        'ou-ab12-yyyyyy88': {defaultRunAsUser: 'admin'},
      },
    },
  })

  it('gives the stack set parameters from the defaults and per-OU overrides of only what differs', () => {
    const a = buildArtifacts(config, '1.0.0')
    const permissionSets = {Developer: {document: 'SSMX-RunAs-Developer', runAsUser: 'dev'}, 'Ops+Admin': {document: 'SSMX-RunAs-Ops_Admin', runAsUser: 'ops'}}
    expect(a.parameters).to.deep.equal([
      {ParameterKey: 'DefaultRunAsUser', ParameterValue: 'ec2-user'},
      {ParameterKey: 'PermissionSets', ParameterValue: JSON.stringify(permissionSets)},
      {ParameterKey: 'OnDelete', ParameterValue: 'disable-runas'},
    ])
    expect(a.ouOverrides).to.deep.equal([
      {organizationalUnitId: 'ou-ab12-yyyyyy88', parameters: [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'admin'}]},
      {
        organizationalUnitId: 'ou-ab12-zzzzzz99',
        parameters: [
          {ParameterKey: 'DefaultRunAsUser', ParameterValue: 'ubuntu'},
          {
            ParameterKey: 'PermissionSets',
            ParameterValue: JSON.stringify({...permissionSets, Developer: {document: 'SSMX-RunAs-Developer', runAsUser: 'devops'}}),
          },
        ],
      },
    ])
    expect(a.documents).to.deep.equal(['SSMX-RunAs-Developer', 'SSMX-RunAs-Ops_Admin'])
    expect(a).to.include({scpName: 'ssmx-protect-session-documents'})
    expect(a.scpDescription.length).to.be.at.most(512)
    expect(a.functionRoleName('us-east-1')).to.equal('ssmx-runas-us-east-1')
  })

  it('refuses colliding or invalid document names', () => {
    expect(
      configError(() => buildArtifacts(parseConfig({permissionSets: {'Ops+Admin': {runAsUser: 'a'}, 'Ops=Admin': {runAsUser: 'b'}}}), '1.0.0')).message,
    ).to.match(/both map to the document "SSMX-RunAs-Ops_Admin"/)
    expect(configError(() => buildArtifacts(parseConfig({documentPrefix: '', permissionSets: {Ab: {runAsUser: 'a'}}}), '1.0.0')).message).to.match(
      /not a valid SSM document name/,
    )
  })

  it('refuses overrides for OUs not deployed to, or for unknown permission sets', () => {
    const base = {permissionSets: {Developer: {runAsUser: 'dev'}}}
    expect(
      configError(() =>
        buildArtifacts(
          parseConfig({...base, admin: {organizationalUnits: ['ou-ab12-cdefgh12'], overrides: {'ou-ab12-zzzzzz99': {defaultRunAsUser: 'x'}}}}),
          '1.0.0',
        ),
      ).message,
    ).to.match(/admin.overrides names ou-ab12-zzzzzz99, which is not in admin.organizationalUnits/)
    expect(
      configError(() => buildArtifacts(parseConfig({...base, admin: {overrides: {'ou-ab12-zzzzzz99': {permissionSets: {Tester: {runAsUser: 'x'}}}}}}), '1.0.0'))
        .message,
    ).to.match(/permissionSets names "Tester", not in permissionSets/)
  })

  it('reports malformed OUs and regions with the key, and mixed partitions', () => {
    expect(configError(() => parseConfig({admin: {organizationalUnits: ['Workloads']}})).message).to.match(/admin.organizationalUnits.0: must be an OU id/)
    expect(configError(() => parseConfig({admin: {regions: ['Ireland']}})).message).to.match(/admin.regions.0: must be an AWS region name/)
    expect(configError(() => buildArtifacts(parseConfig({admin: {regions: ['eu-west-1', 'cn-north-1']}}), '1.0.0')).message).to.match(/mixes partitions/)
  })

  it("refuses a permission-set map over CloudFormation's 4,096-byte parameter limit", () => {
    const permissionSets = Object.fromEntries(Array.from({length: 80}, (_, i) => [`PermissionSet${String(i).padStart(3, '0')}`, {runAsUser: `user${i}`}]))
    expect(configError(() => buildArtifacts(parseConfig({permissionSets}), '1.0.0')).message).to.match(
      /permissionSets map is \d+ bytes as a stack parameter; CloudFormation allows 4096/,
    )
  })
})
