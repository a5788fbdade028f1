import {expect} from 'chai'

import {parsePrincipalArn, permissionSetFromRoleName} from '../../src/identity/arn.js'

const sso = (name: string) => `arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_${name}_0123456789abcdef/alice@example.com`

describe('identity/arn', () => {
  it('reads the permission set from an AWSReservedSSO_ assumed role', () => {
    expect(parsePrincipalArn(sso('Developer'))).to.deep.equal({
      arn: sso('Developer'),
      partition: 'aws',
      account: '111122223333',
      kind: 'assumed-role',
      roleName: 'AWSReservedSSO_Developer_0123456789abcdef',
      permissionSet: 'Developer',
    })
  })

  for (const name of ['Ops_Admin', 'Ops+Admin', 'Ops@eu', 'Data.Eng', 'a=b', 'x,y', 'read-only', 'A_b+c=d,e.f@g-h', 'Admin_0123456789abcdef']) {
    it(`keeps every permission-set character: ${name}`, () => {
      expect(parsePrincipalArn(sso(name)).permissionSet).to.equal(name)
    })
  }

  it('works in other partitions, with a slash-free session name or one with @', () => {
    const arn = 'arn:aws-us-gov:sts::111122223333:assumed-role/AWSReservedSSO_Gov_fedcba9876543210/bob'
    expect(parsePrincipalArn(arn)).to.deep.include({partition: 'aws-us-gov', permissionSet: 'Gov'})
  })

  it('an IAM user and a plain role have no permission set', () => {
    expect(parsePrincipalArn('arn:aws:iam::111122223333:user/ci')).to.deep.equal({
      arn: 'arn:aws:iam::111122223333:user/ci',
      partition: 'aws',
      account: '111122223333',
      kind: 'user',
    })
    const role = parsePrincipalArn('arn:aws:sts::111122223333:assumed-role/Deployer/session')
    expect(role).to.deep.include({kind: 'assumed-role', roleName: 'Deployer'})
    expect(role.permissionSet).to.equal(undefined)
    expect(parsePrincipalArn('arn:aws:iam::111122223333:root').kind).to.equal('root')
    expect(parsePrincipalArn('arn:aws:sts::111122223333:federated-user/bob').kind).to.equal('federated-user')
  })

  it('roles that only look like SSO roles are not permission sets', () => {
    const lookalikes = [
      'AWSReservedSSO_Dev',
      'AWSReservedSSO_Dev_0123456789ABCDEF',
      'AWSReservedSSO_Dev_0123456789abcde',
      'MyAWSReservedSSO_Dev_0123456789abcdef',
      'AWSReservedSSO_ThisNameIsLongerThanThirtyTwoChars_0123456789abcdef',
    ]
    for (const role of lookalikes) expect(permissionSetFromRoleName(role), role).to.equal(undefined)
  })

  it('anything else is "other" with what can be read', () => {
    expect(parsePrincipalArn('arn:aws:s3:::bucket')).to.deep.include({kind: 'other', account: ''})
    expect(parsePrincipalArn('')).to.deep.include({kind: 'other', partition: 'aws'})
  })
})
