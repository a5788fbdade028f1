import {CloudFormationClient, DescribeStackSetCommand} from '@aws-sdk/client-cloudformation'
import {ListRootsCommand, OrganizationsClient} from '@aws-sdk/client-organizations'
import {expect} from 'chai'

import {AwsContext} from '../../src/aws/clients.js'
import {adminDeps, failedOperation} from '../../src/admin/deps.js'
import {AwsFault, FakeAws, toXml} from '../support/fake-aws.js'

/** The real SDK clients AwsContext builds, against a fake that throttles: the retry strategy must cover both services' throttling codes. */
describe('admin clients: throttling from CloudFormation and Organizations is retried', () => {
  let fake: FakeAws
  let ctx: AwsContext

  beforeEach(async () => {
    fake = await new FakeAws().start()
    ctx = await AwsContext.create({
      version: 'test',
      region: 'eu-west-1',
      env: {AWS_ENDPOINT_URL: fake.url, HOME: '/nonexistent'},
      credentials: async () => ({accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake'}),
    })
  })
  afterEach(() => fake.stop())

  const throttleTwice = (code: string, then: () => unknown) => {
    let n = 0
    return () => {
      if (++n <= 2) throw new AwsFault(code, 'Rate exceeded', 400)
      return then()
    }
  }

  it('CloudFormation "Throttling" (awsQuery) twice, then the answer', async () => {
    fake.on(
      'cloudformation',
      'DescribeStackSet',
      throttleTwice('Throttling', () => toXml({StackSet: {StackSetName: 'ssmx-runas', Status: 'ACTIVE'}})),
    )
    const out = await ctx.client(CloudFormationClient, 'CLOUDFORMATION').send(new DescribeStackSetCommand({StackSetName: 'ssmx-runas'}))
    expect(out.StackSet?.Status).to.equal('ACTIVE')
    expect(fake.calls('cloudformation', 'DescribeStackSet')).to.have.length(3)
  })

  it('Organizations "TooManyRequestsException" (JSON) twice, then the answer', async () => {
    fake.on(
      'organizations',
      'ListRoots',
      throttleTwice('TooManyRequestsException', () => ({Roots: [{Id: 'r-ab12'}]})),
    )
    const out = await ctx.client(OrganizationsClient, 'ORGANIZATIONS').send(new ListRootsCommand({}))
    expect(out.Roots?.[0].Id).to.equal('r-ab12')
    expect(fake.calls('organizations', 'ListRoots')).to.have.length(3)
  })

  it('a failure after the retries names the call that failed', async () => {
    fake.on('organizations', 'ListRoots', () => {
      throw new AwsFault('AccessDeniedException', 'not allowed')
    })
    const deps = adminDeps(ctx, 'SELF')
    const error = await deps.orgs.listRoots({}).catch((e: unknown) => e)
    expect(failedOperation(error)).to.equal('Organizations ListRoots')
  })
})
