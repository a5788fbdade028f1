import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {DescribeInstancesCommand, EC2Client} from '@aws-sdk/client-ec2'
import {DescribeInstanceInformationCommand, SSMClient} from '@aws-sdk/client-ssm'
import {type AwsClientStub, mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import {AwsContext} from '../../src/aws/clients.js'
import {isSsmxError} from '../../src/errors.js'
import {sshToInstance} from '../../src/session/ssh-command.js'
import {managedInstances} from '../../src/targets/managed.js'
import {withPingStatus} from '../../src/ui/chooser.js'

const ID = 'i-0123456789abcdef0'
const denied = () => Object.assign(new Error('not allowed'), {name: 'AccessDeniedException', $fault: 'client', $metadata: {}})

describe('targets/managed, the picker join and ssh: one inventory wiring', () => {
  let ssm: AwsClientStub<SSMClient>
  let ec2: AwsClientStub<EC2Client>
  let home: string
  let debug: string[]
  before(() => {
    ssm = mockClient(SSMClient)
    ec2 = mockClient(EC2Client)
    home = mkdtempSync(join(tmpdir(), 'ssmx-managed-'))
    mkdirSync(join(home, '.aws'))
    writeFileSync(join(home, '.aws', 'config'), '[profile dev]\nregion = eu-west-1\n')
  })
  after(() => {
    ssm.restore()
    ec2.restore()
    rmSync(home, {recursive: true, force: true})
  })
  beforeEach(() => {
    ssm.reset()
    ec2.reset()
    debug = []
    ssm.on(DescribeInstanceInformationCommand).resolves({InstanceInformationList: [{InstanceId: ID, PingStatus: 'Online', PlatformType: 'Linux'}]})
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{Instances: [{InstanceId: ID, PrivateIpAddress: '10.0.0.1', State: {Name: 'running'}, Tags: [{Key: 'Name', Value: 'web-1'}]}]}],
    })
  })
  const context = () =>
    AwsContext.create({
      version: '1',
      profile: 'dev',
      env: {HOME: home},
      debug: (l) => debug.push(l),
      credentials: async () => ({accessKeyId: 'a', secretAccessKey: 'b'}),
    })

  it('managedInstances: SSM joined with EC2, with the ids filter passed on', async () => {
    const items = await managedInstances(await context(), {ids: [ID]})
    expect(items.map((i) => [i.id, i.name, i.pingStatus])).to.deep.equal([[ID, 'web-1', 'Online']])
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)[0].args[0].input).to.deep.include({Filters: [{Key: 'InstanceIds', Values: [ID]}]})
  })

  it('managedInstances: an AWS error is mapped with the profile and what was being done', async () => {
    ssm.on(DescribeInstanceInformationCommand).rejects(denied())
    const error = await managedInstances(await context()).catch((e: unknown) => e)
    expect(isSsmxError(error) && [error.code, error.message]).to.deep.equal(['accessDenied', 'Access denied: listing managed instances.'])
  })

  it('the picker join: AccessDenied lists the matches as not managed and says why under --debug; other errors are not hidden', async () => {
    const candidates = [{id: ID, name: 'web-1', state: 'running'}]
    ssm.on(DescribeInstanceInformationCommand).rejects(denied())
    expect((await withPingStatus(await context(), candidates)).map((c) => (c as {pingStatus?: string}).pingStatus)).to.deep.equal(['NotManaged'])
    expect(debug.filter((l) => l.startsWith('picker:'))).to.deep.equal(['picker: no agent ping status (Access denied: listing managed instances.)'])
    ssm.on(DescribeInstanceInformationCommand).rejects(Object.assign(new Error('slow down'), {name: 'ThrottlingException', $metadata: {}}))
    const error = await withPingStatus(await context(), candidates).catch((e: unknown) => e)
    expect(isSsmxError(error) && error.code).to.equal('throttled')
  })

  it('ssh: checks the destination before building the context, then runs ssh with ssh-proxy (and the explicit profile) as ProxyCommand and the user', async () => {
    let built = 0
    const io = {context: async () => (built++, context()), note: () => {}, run: async (args: string[]) => (ran.push(args), 3)}
    const ran: string[][] = []
    const bad = await sshToInstance({destination: '@web-1', extra: []}, io).catch((e: unknown) => e)
    expect(isSsmxError(bad) && bad.code).to.equal('usage')
    expect(built).to.equal(0)
    expect(await sshToInstance({destination: `ec2-user@${ID}`, extra: ['--', 'uptime'], self: ['ssmx']}, io)).to.equal(3)
    expect(ran).to.deep.equal([['-o', 'ProxyCommand=ssmx ssh-proxy %h %p --profile dev', `ec2-user@${ID}`, '--', 'uptime']])
  })

  it('ssh --push-key without a user and no permission set to take it from is a usage error, before any key is pushed', async () => {
    mkdirSync(join(home, '.ssh'), {recursive: true})
    writeFileSync(join(home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBase64Key me@host\n')
    const error = await sshToInstance(
      {destination: ID, extra: [], pushKey: true, home, self: ['ssmx']},
      {context, note: () => {}, permissionSet: async () => undefined, run: async () => 0},
    ).catch((e: unknown) => e)
    expect(isSsmxError(error) && error.code).to.equal('usage')
    expect(isSsmxError(error) && error.message).to.match(/^--push-key needs the OS user the key is for/)
  })
})
