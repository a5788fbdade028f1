import {expect} from 'chai'

import {
  INLINE_POLICY_LIMIT,
  type PolicyDocument,
  guardrailState,
  guardrailStatements,
  mergeGuardrail,
  parsePolicy,
  partitionOf,
  serializePolicy,
} from '../../../src/admin/guardrails/policy.js'
import {SsmxError} from '../../../src/errors.js'

const ALLOW = ['AWS-StartPortForwardingSession']
const mine = guardrailStatements({permissionSet: 'Developer', document: 'SSMX-RunAs-Developer', allowDocuments: ALLOW})

const EXISTING: PolicyDocument = {
  Version: '2012-10-17',
  Id: 'team-policy',
  Statement: [
    {Sid: 'ReadBuckets', Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::team-*', 'arn:aws:s3:::team-*/*']},
    {Effect: 'Deny', Action: 'iam:*', Resource: '*', Condition: {StringNotEquals: {'aws:RequestedRegion': 'eu-west-1'}}},
  ],
}

describe('guardrail policy', () => {
  it('allows StartSession with its own and the allowed documents under the document access check, and denies the rest by NotResource', () => {
    const [allow, deny, own] = mine
    expect(allow).to.deep.include({Effect: 'Allow', Action: 'ssm:StartSession', Condition: {BoolIfExists: {'ssm:SessionDocumentAccessCheck': 'true'}}})
    expect(allow.Resource).to.include.members([
      'arn:aws:ec2:*:*:instance/*',
      'arn:aws:ssm:*:*:managed-instance/*',
      'arn:aws:ssm:*:*:document/SSMX-RunAs-Developer',
      'arn:aws:ssm:*:*:document/AWS-StartPortForwardingSession',
    ])
    expect(deny).to.deep.include({Effect: 'Deny', Action: 'ssm:StartSession'})
    expect(deny.Resource).to.equal(undefined)
    expect(deny.NotResource).to.include.members(allow.Resource as string[])
    expect(JSON.stringify(deny)).not.to.include('SSM-SessionManagerRunShell')
    expect(own).to.deep.include({Action: ['ssm:TerminateSession', 'ssm:ResumeSession'], Resource: 'arn:aws:ssm:*:*:session/*'})
    expect(own.Condition).to.deep.equal({StringLike: {'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}'}})
    for (const s of mine) expect(s.Sid).to.match(/^SsmxGuardrail[A-Za-z0-9]+$/)
  })

  it('uses the partition of the IAM Identity Center instance', () => {
    expect(partitionOf('arn:aws-us-gov:sso:::instance/ssoins-1')).to.equal('aws-us-gov')
    const gov = guardrailStatements({permissionSet: 'D', document: 'SSMX-RunAs-D', allowDocuments: [], partition: 'aws-us-gov'})
    expect(JSON.stringify(gov)).not.to.match(/arn:aws:/)
  })

  it('merges into an existing policy: the other statements and keys survive unchanged and in order', () => {
    const merged = mergeGuardrail(structuredClone(EXISTING), mine)!
    expect(merged.Id).to.equal('team-policy')
    expect(merged.Version).to.equal('2012-10-17')
    expect(merged.Statement).to.deep.equal([...(EXISTING.Statement as unknown[]), ...mine])
  })

  it('replaces an older ssmx statement set instead of adding a second one', () => {
    const older = guardrailStatements({permissionSet: 'Developer', document: 'SSMX-RunAs-Old', allowDocuments: []})
    const withOld: PolicyDocument = {
      ...structuredClone(EXISTING),
      Statement: [...(EXISTING.Statement as []), ...older, {Sid: 'SsmxGuardrailRetired', Effect: 'Allow', Action: 'ssm:DescribeSessions', Resource: '*'}],
    }
    expect(guardrailState(withOld, mine)).to.equal('outdated')
    const merged = mergeGuardrail(withOld, mine)!
    const sids = (merged.Statement as Array<{Sid?: string}>).map((s) => s.Sid)
    expect(sids).to.deep.equal(['ReadBuckets', undefined, 'SsmxGuardrailStartOwnDocument', 'SsmxGuardrailDenyOtherDocuments', 'SsmxGuardrailOwnSessions'])
    expect(JSON.stringify(merged)).not.to.include('SSMX-RunAs-Old')
    expect(guardrailState(merged, mine)).to.equal('current')
  })

  it('recognises a current guardrail whatever the key order or formatting IAM Identity Center returns', () => {
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverseKeys(x)]),
            )
          : v
    const returned = JSON.stringify(reverseKeys(mergeGuardrail(EXISTING, [...mine].reverse())), null, 4)
    expect(guardrailState(parsePolicy(returned, 'Developer'), mine)).to.equal('current')
    expect(guardrailState(EXISTING, mine)).to.equal('missing')
    expect(guardrailState(undefined, mine)).to.equal('missing')
  })

  it('removal keeps every other statement, and leaves nothing (delete) when only ssmx statements were there', () => {
    const merged = mergeGuardrail(structuredClone(EXISTING), mine)
    expect(mergeGuardrail(merged, [])).to.deep.equal(EXISTING)
    expect(mergeGuardrail({Version: '2012-10-17', Statement: mine}, [])).to.equal(undefined)
  })

  it('accepts a single-statement policy and a policy without Version', () => {
    const single = parsePolicy('{"Statement":{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}}', 'X')
    const merged = mergeGuardrail(single, mine)!
    expect(merged.Version).to.equal('2012-10-17')
    expect(merged.Statement).to.have.length(4)
    expect((merged.Statement as unknown[])[0]).to.deep.equal({Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*'})
  })

  it('refuses to rewrite an inline policy that is not JSON', () => {
    expect(() => parsePolicy('{not json', 'Developer')).to.throw(SsmxError, /not valid JSON/)
  })

  it('checks the 32,768-character limit with an error that names the permission set and the sizes', () => {
    const filler = 'x'.repeat(INLINE_POLICY_LIMIT)
    const big = mergeGuardrail(
      {Version: '2012-10-17', Statement: [{Sid: 'Big', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${filler}`}]},
      mine,
    )!
    let error: unknown
    try {
      serializePolicy(big, 'Developer')
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(SsmxError)
    const e = error as SsmxError
    expect(e.message).to.include('"Developer"').and.include('32,768')
    expect(e.code).to.equal('config')
    expect(e.suggestions.join(' ')).to.include('customer managed policy')
    const fits = serializePolicy(mergeGuardrail(EXISTING, mine)!, 'Developer')
    expect(fits).not.to.include('\n')
    expect(fits.length).to.be.below(INLINE_POLICY_LIMIT)
  })
})
