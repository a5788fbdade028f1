import {DescribeInstancesCommand, EC2Client, type Instance} from '@aws-sdk/client-ec2'
import {type AwsClientStub, mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import {ec2Port} from '../../src/aws/ec2.js'
import {SsmxError} from '../../src/errors.js'
import {type Candidate, isTargetId, resolveTarget, targetFilter} from '../../src/targets/resolve.js'

const STATES = {Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped']}
const instance = (id: string, name?: string, ip?: string, state = 'running'): Instance => ({
  InstanceId: id,
  PrivateIpAddress: ip,
  State: {Name: state as 'running'},
  PlatformDetails: 'Linux/UNIX',
  Tags: name ? [{Key: 'Name', Value: name}] : [],
})

describe('targets/resolve', () => {
  let ec2mock: AwsClientStub<EC2Client>
  // created in before(), not at load time, so the prototype stubs never leak into other files' tests
  before(() => {
    ec2mock = mockClient(EC2Client)
  })
  const ec2 = ec2Port(new EC2Client({region: 'eu-west-1'}))
  const inputs = () => ec2mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)

  beforeEach(() => ec2mock.reset())
  after(() => ec2mock.restore())

  it('validates i- and mi- ids locally, with no call', async () => {
    expect(await resolveTarget('i-0123456789abcdef0', {ec2})).to.deep.equal({id: 'i-0123456789abcdef0'})
    expect(await resolveTarget('i-0123abcd', {ec2})).to.deep.equal({id: 'i-0123abcd'})
    expect(await resolveTarget(' mi-0123456789abcdef0 ', {ec2})).to.deep.equal({id: 'mi-0123456789abcdef0'})
    expect(ec2mock.calls()).to.have.length(0)
  })

  for (const bad of ['i-12345', 'i-0123456789ABCDEF0', 'i-0123456789abcdef0x', 'mi-0123abcd', 'i-']) {
    it(`rejects the invalid id ${bad} with no call`, async () => {
      const error = (await resolveTarget(bad, {ec2}).catch((e: unknown) => e)) as SsmxError
      expect(error).to.be.instanceOf(SsmxError)
      expect(error.code).to.equal('target')
      expect(error.message).to.include('is not a valid instance id')
      expect(ec2mock.calls()).to.have.length(0)
    })
  }

  it('isTargetId', () => {
    expect(isTargetId('i-0123456789abcdef0')).to.equal(true)
    expect(isTargetId('web-1')).to.equal(false)
  })

  it('an empty target is a usage error', async () => {
    const error = (await resolveTarget('  ', {ec2}).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('usage')
  })

  const cases: Array<[string, {Name: string; Values: string[]}]> = [
    ['web-1', {Name: 'tag:Name', Values: ['web-1']}],
    ['10.0.1.23', {Name: 'private-ip-address', Values: ['10.0.1.23']}],
    ['ip-10-0-1-23.eu-west-1.compute.internal', {Name: 'private-dns-name', Values: ['ip-10-0-1-23.eu-west-1.compute.internal']}],
    ['ip-10-0-1-23.ec2.internal', {Name: 'private-dns-name', Values: ['ip-10-0-1-23.ec2.internal']}],
    ['tag:Role=bastion', {Name: 'tag:Role', Values: ['bastion']}],
    ['tag:team:app=a=b', {Name: 'tag:team:app', Values: ['a=b']}],
    ['999.1.1.1', {Name: 'tag:Name', Values: ['999.1.1.1']}],
  ]
  for (const [query, filter] of cases) {
    it(`looks up ${query} with the filter ${filter.Name}`, async () => {
      ec2mock.on(DescribeInstancesCommand).resolves({Reservations: [{Instances: [instance('i-0123456789abcdef0', 'web-1', '10.0.1.23')]}]})
      const found = await resolveTarget(query, {ec2})
      expect(found).to.deep.equal({id: 'i-0123456789abcdef0', name: 'web-1', privateIp: '10.0.1.23', state: 'running', platform: 'Linux/UNIX'})
      expect(inputs()).to.deep.equal([{Filters: [filter, STATES], NextToken: undefined}])
      expect(targetFilter(query).filter).to.deep.equal(filter)
    })
  }

  it('follows NextToken through every page', async () => {
    ec2mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({Reservations: [{Instances: [instance('i-0aaaaaaaaaaaaaaa1', 'web', '10.0.0.1', 'stopped')]}], NextToken: 'page-2'})
      .resolvesOnce({Reservations: [{Instances: [instance('i-0aaaaaaaaaaaaaaa2', 'web', '10.0.0.2')]}]})
    expect((await resolveTarget('web', {ec2})).id).to.equal('i-0aaaaaaaaaaaaaaa2')
    expect(inputs().map((i) => i.NextToken)).to.deep.equal([undefined, 'page-2'])
  })

  it('several running matches: an error listing id, name, IP and state when there is no picker', async () => {
    ec2mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{Instances: [instance('i-0aaaaaaaaaaaaaaa1', 'api', '10.0.0.1'), instance('i-0aaaaaaaaaaaaaaa2', 'api', '10.0.0.2')]}],
    })
    const error = (await resolveTarget('api', {ec2}).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('target')
    expect(error.message).to.equal(
      '2 running instances match Name tag "api":\n  i-0aaaaaaaaaaaaaaa1  api  10.0.0.1  running\n  i-0aaaaaaaaaaaaaaa2  api  10.0.0.2  running',
    )
  })

  it('several running matches go to the chooser (the picker seam) when there is one', async () => {
    ec2mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instance('i-0aaaaaaaaaaaaaaa1', 'api'),
            instance('i-0aaaaaaaaaaaaaaa2', 'api'),
            instance('i-0aaaaaaaaaaaaaaa3', 'api', undefined, 'stopped'),
          ],
        },
      ],
    })
    let offered: Candidate[] = []
    const chosen = await resolveTarget('api', {ec2, choose: async (list, query) => ((offered = list), expect(query).to.equal('api'), list[1])})
    expect(offered.map((c) => c.id)).to.deep.equal(['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'])
    expect(chosen.id).to.equal('i-0aaaaaaaaaaaaaaa2')
  })

  it('no match: a clear error', async () => {
    ec2mock.on(DescribeInstancesCommand).resolves({Reservations: []})
    const error = (await resolveTarget('tag:Role=db', {ec2}).catch((e: unknown) => e)) as SsmxError
    expect(error.code).to.equal('target')
    expect(error.message).to.equal('No running instance matches tag Role=db.')
    expect(error.suggestions.join(' ')).to.match(/region and profile/)
  })

  it('only stopped matches: the error lists them', async () => {
    ec2mock.on(DescribeInstancesCommand).resolves({Reservations: [{Instances: [instance('i-0aaaaaaaaaaaaaaa1', 'db', '10.0.0.9', 'stopped')]}]})
    const error = (await resolveTarget('db', {ec2}).catch((e: unknown) => e)) as SsmxError
    expect(error.suggestions[0]).to.include('i-0aaaaaaaaaaaaaaa1  db  10.0.0.9  stopped')
  })
})
