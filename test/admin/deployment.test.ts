import type {StackSet} from '@aws-sdk/client-cloudformation'
import {expect} from 'chai'

import {AUTO_DEPLOYMENT, CAPABILITIES, MANAGED_EXECUTION, compareStackSet, needsRepair, planInstances} from '../../src/admin/deployment.js'
import {isSsmxError} from '../../src/errors.js'
import {ARTIFACTS, OU_A, OU_B, STACK_SET} from './support.js'

const deployed: StackSet = {
  StackSetName: STACK_SET,
  PermissionModel: 'SERVICE_MANAGED',
  TemplateBody: ARTIFACTS.templateBody,
  Parameters: ARTIFACTS.parameters,
  Capabilities: [...CAPABILITIES],
  AutoDeployment: AUTO_DEPLOYMENT,
  ManagedExecution: MANAGED_EXECUTION,
}

describe('admin deployment comparison', () => {
  it('compareStackSet names every setting enforce writes that differs, and nothing when all match', () => {
    expect(compareStackSet(deployed, ARTIFACTS)).to.deep.equal([])
    expect(compareStackSet({...deployed, TemplateBody: `${ARTIFACTS.templateBody}\n\n`}, ARTIFACTS), 'whitespace at the ends').to.deep.equal([])
    expect(
      compareStackSet(
        {
          ...deployed,
          TemplateBody: 'Resources: {}',
          Parameters: [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'root'}],
          AutoDeployment: {Enabled: true, RetainStacksOnAccountRemoval: true},
          ManagedExecution: {Active: false},
          Capabilities: [],
        },
        ARTIFACTS,
      ),
    ).to.deep.equal(['template differs', 'parameters differ', 'auto-deployment settings differ', 'managed execution is off', 'capabilities differ'])
  })

  it('compareStackSet refuses a self-managed stack set of that name (exit code config)', () => {
    let error: unknown
    try {
      compareStackSet({...deployed, PermissionModel: 'SELF_MANAGED'}, ARTIFACTS)
    } catch (e) {
      error = e
    }
    expect(isSsmxError(error) && error.code).to.equal('config')
  })

  it('needsRepair: not current, failed, cancelled, inoperable, failed import, or drifted; running and skipped are left alone', () => {
    const i = (Status: string, DetailedStatus: string, DriftStatus = 'IN_SYNC') =>
      needsRepair({Status, StackInstanceStatus: {DetailedStatus}, DriftStatus} as never)
    expect(i('CURRENT', 'SUCCEEDED')).to.equal(false)
    expect(i('CURRENT', 'SUCCEEDED', 'NOT_CHECKED')).to.equal(false)
    expect(i('CURRENT', 'SKIPPED_SUSPENDED_ACCOUNT')).to.equal(false)
    expect(i('CURRENT', 'RUNNING')).to.equal(false)
    for (const failed of ['FAILED', 'CANCELLED', 'INOPERABLE', 'FAILED_IMPORT']) expect(i('CURRENT', failed), failed).to.equal(true)
    expect(i('OUTDATED', 'SUCCEEDED')).to.equal(true)
    expect(i('INOPERABLE', 'SUCCEEDED')).to.equal(true)
    expect(i('CURRENT', 'SUCCEEDED', 'DRIFTED')).to.equal(true)
  })

  it('planInstances: create where not deployed, update on changed overrides, repair, delete where no longer configured', () => {
    const overridesFor = (ou: string) => (ou === OU_B ? ARTIFACTS.ouOverrides[0].parameters : [])
    const plan = planInstances(
      {
        reasons: [],
        targets: new Map([
          [OU_A, new Set(['eu-west-1', 'us-east-1'])],
          [OU_B, new Set(['eu-west-1', 'ap-southeast-1'])],
        ]),
        repairs: new Map([[`${OU_A}|us-east-1`, {count: 2, reason: 'drifted'}]]),
        overrides: new Map([
          [OU_A, []],
          [OU_B, []],
        ]),
      },
      {ous: [OU_A, OU_B], regions: ['eu-west-1', 'us-east-1'], overridesFor},
    )
    expect(plan.map((i) => `${i.organizationalUnitId} ${i.region} ${i.change}${i.reason ? ` (${i.reason})` : ''}`)).to.deep.equal([
      `${OU_A} eu-west-1 unchanged`,
      `${OU_A} us-east-1 repair (2 instances to repair (drifted))`,
      `${OU_B} eu-west-1 update (parameter overrides change)`,
      `${OU_B} us-east-1 create`,
      `${OU_B} ap-southeast-1 delete (no longer configured)`,
    ])
    expect(planInstances(undefined, {ous: [OU_A], regions: ['eu-west-1'], overridesFor}).map((i) => i.change)).to.deep.equal(['create'])
  })
})
