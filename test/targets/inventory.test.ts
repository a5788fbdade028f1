import {DescribeInstancesCommand, EC2Client, type Instance} from '@aws-sdk/client-ec2'
import {DescribeInstanceInformationCommand, SSMClient} from '@aws-sdk/client-ssm'
import {mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import {ec2Port} from '../../src/aws/ec2.js'
import {ssmPort} from '../../src/aws/ssm.js'
import {EC2_ID_BATCH, filterInstances, formatInventory, fuzzyFilter, listInstances, staleNote} from '../../src/targets/inventory.js'

const NOW = new Date('2026-01-01T12:00:00Z')
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000)
const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`

describe('inventory: ssmx list data', () => {
  // created in before() and restored in after(): a mock made at load time would stub every SSMClient in the process
  const mocks = () => ({ssm: mockClient(SSMClient), ec2: mockClient(EC2Client)})
  let ssm: ReturnType<typeof mocks>['ssm']
  let ec2: ReturnType<typeof mocks>['ec2']
  before(() => ({ssm, ec2} = mocks()))
  afterEach(() => {
    ssm.reset()
    ec2.reset()
  })
  after(() => {
    ssm.restore()
    ec2.restore()
  })

  it('reads every SSM page, joins EC2 by instance-id filter in batches of 200 with paging, and sorts by name', async () => {
    const ids = Array.from({length: 250}, (_, i) => id(i + 1))
    ssm
      .on(DescribeInstanceInformationCommand, {NextToken: undefined})
      .resolves({
        InstanceInformationList: ids.slice(0, 150).map((InstanceId) => ({InstanceId, PingStatus: 'Online' as const, LastPingDateTime: minutesAgo(1)})),
        NextToken: 'p2',
      })
      .on(DescribeInstanceInformationCommand, {NextToken: 'p2'})
      .resolves({
        InstanceInformationList: [
          ...ids.slice(150).map((InstanceId) => ({InstanceId, PingStatus: 'Online' as const, LastPingDateTime: minutesAgo(1)})),
          {
            InstanceId: 'mi-0123456789abcdef0',
            PingStatus: 'ConnectionLost' as const,
            LastPingDateTime: minutesAgo(90),
            ResourceType: 'ManagedInstance' as const,
            Name: 'onprem-1',
            IPAddress: '10.9.9.9',
            PlatformName: 'Ubuntu',
            PlatformVersion: '22.04',
          },
        ],
      })
    const instance = (InstanceId: string): Instance => ({
      InstanceId,
      PrivateIpAddress: '10.0.0.1',
      PlatformDetails: 'Linux/UNIX',
      State: {Name: 'running'},
      Placement: {AvailabilityZone: 'eu-west-1a'},
      Tags: [{Key: 'Name', Value: `host-${InstanceId.slice(-3)}`}],
    })
    // the first batch comes back in two pages
    ec2.on(DescribeInstancesCommand).callsFake((input: {Filters: Array<{Values: string[]}>; NextToken?: string}) => {
      const values = input.Filters[0].Values
      if (values.length === EC2_ID_BATCH && !input.NextToken) return {Reservations: [{Instances: values.slice(0, 100).map(instance)}], NextToken: 'e2'}
      if (values.length === EC2_ID_BATCH) return {Reservations: [{Instances: values.slice(100).map(instance)}]}
      return {Reservations: [{Instances: values.map(instance)}]}
    })

    const items = await listInstances({ssm: ssmPort(new SSMClient({region: 'eu-west-1'})), ec2: ec2Port(new EC2Client({region: 'eu-west-1'})), now: () => NOW})

    const ssmInputs = ssm.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input)
    expect(ssmInputs).to.deep.equal([
      {MaxResults: 50, NextToken: undefined},
      {MaxResults: 50, NextToken: 'p2'},
    ])
    const ec2Inputs = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)
    expect(ec2Inputs).to.deep.equal([
      {Filters: [{Name: 'instance-id', Values: ids.slice(0, 200)}], MaxResults: 1000, NextToken: undefined},
      {Filters: [{Name: 'instance-id', Values: ids.slice(0, 200)}], MaxResults: 1000, NextToken: 'e2'},
      {Filters: [{Name: 'instance-id', Values: ids.slice(200)}], MaxResults: 1000, NextToken: undefined},
    ])
    expect(items).to.have.length(251)
    expect(items[0]).to.deep.equal({
      id: id(1),
      name: 'host-001',
      privateIp: '10.0.0.1',
      state: 'running',
      platform: 'Linux/UNIX',
      pingStatus: 'Online',
      lastPing: minutesAgo(1).toISOString(),
      agentVersion: undefined,
      availabilityZone: 'eu-west-1a',
      stale: false,
    })
    const onprem = items.find((i) => i.id.startsWith('mi-'))!
    expect(onprem).to.include({name: 'onprem-1', privateIp: '10.9.9.9', platform: 'Ubuntu 22.04', pingStatus: 'ConnectionLost', stale: true})
  })

  it('limits both calls to the given ids, and marks an Online agent silent for too long as stale', async () => {
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolves({InstanceInformationList: [{InstanceId: id(1), PingStatus: 'Online' as const, LastPingDateTime: minutesAgo(30)}]})
    ec2.on(DescribeInstancesCommand).resolves({Reservations: []})
    const items = await listInstances(
      {ssm: ssmPort(new SSMClient({region: 'eu-west-1'})), ec2: ec2Port(new EC2Client({region: 'eu-west-1'})), now: () => NOW},
      {ids: [id(1), id(2)]},
    )
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)[0].args[0].input).to.deep.equal({
      MaxResults: 50,
      NextToken: undefined,
      Filters: [{Key: 'InstanceIds', Values: [id(1), id(2)]}],
    })
    expect(items.map((i) => [i.id, i.stale])).to.deep.equal([[id(1), true]])
  })

  it('formats aligned columns with stale agents marked, and a footnote', () => {
    const lines = formatInventory(
      [
        {id: id(1), name: 'web-1', privateIp: '10.0.0.1', platform: 'Linux/UNIX', pingStatus: 'Online', lastPing: minutesAgo(2).toISOString(), stale: false},
        {
          id: id(2),
          name: 'database-primary',
          privateIp: '10.0.10.200',
          platform: 'Windows',
          pingStatus: 'ConnectionLost',
          lastPing: minutesAgo(180).toISOString(),
          stale: true,
        },
      ],
      NOW,
    )
    expect(lines).to.deep.equal([
      'NAME              INSTANCE             PRIVATE IP   PLATFORM    AGENT             LAST PING',
      `web-1             ${id(1)}  10.0.0.1     Linux/UNIX  Online            2m ago`,
      `database-primary  ${id(2)}  10.0.10.200  Windows     ConnectionLost !  3h ago`,
    ])
    expect(staleNote([{id: id(2), pingStatus: 'ConnectionLost', stale: true}])).to.match(/^! 1 stale agent: /)
    expect(staleNote([])).to.equal(undefined)
  })

  it('filters on every word: substring matches when there are any, else subsequences', () => {
    const items = [
      {id: id(1), name: 'web-prod-1', privateIp: '10.0.0.1', platform: 'Linux/UNIX', pingStatus: 'Online'},
      {id: id(2), name: 'worker-eu-beta', privateIp: '10.0.0.2', platform: 'Windows', pingStatus: 'Online'},
      {id: id(3), name: 'db', privateIp: '10.0.0.3', platform: 'Linux/UNIX', pingStatus: 'ConnectionLost'},
    ]
    expect(filterInstances(items, 'web').map((i) => i.name)).to.deep.equal(['web-prod-1'])
    expect(filterInstances(items, 'wb').map((i) => i.name)).to.deep.equal(['web-prod-1', 'worker-eu-beta'])
    expect(filterInstances(items, 'wpr').map((i) => i.name)).to.deep.equal(['web-prod-1'])
    expect(filterInstances(items, 'windows').map((i) => i.name)).to.deep.equal(['worker-eu-beta'])
    expect(filterInstances(items, 'lost').map((i) => i.name)).to.deep.equal(['db'])
    expect(filterInstances(items, '10.0.0.3 linux').map((i) => i.name)).to.deep.equal(['db'])
    expect(filterInstances(items, 'zzz')).to.deep.equal([])
    expect(fuzzyFilter(['b', 'a'], '', (s) => s)).to.deep.equal(['b', 'a'])
  })
})
