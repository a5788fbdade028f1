import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {expect} from 'chai'

import {AwsContext} from '../../src/aws/clients.js'
import {mapAwsError} from '../../src/aws/errors.js'
import {AWS_CONFIG, Sandbox} from '../support/cli.js'

describe('AwsContext additions for ssmx login', () => {
  let box: Sandbox
  beforeEach(() => {
    box = new Sandbox('http://127.0.0.1:9').awsConfig(
      `${AWS_CONFIG}\n[profile noregion]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Developer\n`,
    )
  })
  afterEach(() => box.cleanup())

  it('ssoRegionFallback: a profile without a region uses its sso_region instead of failing', async () => {
    const ctx = await AwsContext.create({profile: 'noregion', version: 'test', env: box.env, ssoRegionFallback: true})
    expect([ctx.region, ctx.regionSource]).to.deep.equal(['us-east-1', 'sso_region'])
    const error = await AwsContext.create({profile: 'noregion', version: 'test', env: box.env}).catch((e) => e)
    expect(error.code).to.equal('usage')
  })

  it('anonymousClient: the region given, the endpoint override, and no credential chain behind it', async () => {
    const ctx = await AwsContext.create({profile: 'dev', version: 'test', env: box.env})
    const client = ctx.anonymousClient(STSClient, 'STS', 'us-east-1')
    expect(await client.config.region()).to.equal('us-east-1')
    const endpoint = await client.config.endpoint!()
    expect([endpoint.hostname, endpoint.port]).to.deep.equal(['127.0.0.1', 9])
    expect(ctx.anonymousClient(STSClient, 'STS', 'us-east-1')).to.equal(client)
    expect(ctx.anonymousClient(STSClient, 'STS', 'eu-west-1')).not.to.equal(client)
    const error = await client.send(new GetCallerIdentityCommand({})).catch((e) => e)
    expect(error.name).to.equal('SsmxError')
    expect(error.message).to.equal('An anonymous AWS client was asked to sign a request.')
  })
})

describe('mapAwsError: network failures', () => {
  it('maps a refused connection to "cannot reach AWS" with the network fix', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'})
    const mapped = mapAwsError(error, {profile: 'dev', operation: 'SSM DescribeInstanceInformation'})
    expect(mapped.code).to.equal('unreachable')
    expect(mapped.exitCode).to.equal(11)
    expect(mapped.message).to.equal('Cannot reach AWS for SSM DescribeInstanceInformation: connect ECONNREFUSED 127.0.0.1:1')
    expect(mapped.suggestions[0]).to.include('Check your network')
  })
})
