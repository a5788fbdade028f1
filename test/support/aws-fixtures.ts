import {AWS_CONFIG, SSO_START_URL, Sandbox} from './cli.js'
import {FakeAws, toXml} from './fake-aws.js'

export const INSTANCE = 'i-0123456789abcdef0'
export const SESSION = {
  SessionId: 'alice-0abc123',
  TokenValue: 'TOKEN-VALUE-SECRET',
  StreamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/alice-0abc123?role=publish_subscribe',
}

export interface FakeInstance {
  id: string
  name?: string
  ip?: string
  state?: string
  platform?: string
  az?: string
  /** SSM agent ping status (default Online) */
  ping?: string
}

/** EC2 DescribeInstances answering from a list, honouring the tag:Name / private-ip-address / tag:K filters. */
export function describeInstances(instances: FakeInstance[]) {
  return (input: Record<string, unknown>) => {
    const filters: Array<{name: string; values: string[]}> = []
    for (let i = 1; input[`Filter.${i}.Name`]; i++) {
      const values: string[] = []
      for (let j = 1; input[`Filter.${i}.Value.${j}`] !== undefined; j++) values.push(String(input[`Filter.${i}.Value.${j}`]))
      filters.push({name: String(input[`Filter.${i}.Name`]), values})
    }
    const match = (inst: FakeInstance) =>
      filters.every((f) => {
        if (f.name === 'tag:Name') return inst.name !== undefined && f.values.includes(inst.name)
        if (f.name === 'private-ip-address') return inst.ip !== undefined && f.values.includes(inst.ip)
        if (f.name === 'instance-state-name') return f.values.includes(inst.state ?? 'running')
        if (f.name === 'instance-id') return f.values.includes(inst.id)
        return false
      })
    const items = instances.filter(match).map((inst) => ({
      instanceId: inst.id,
      privateIpAddress: inst.ip,
      platformDetails: inst.platform ?? 'Linux/UNIX',
      instanceState: {code: 16, name: inst.state ?? 'running'},
      tagSet: inst.name ? [{key: 'Name', value: inst.name}] : undefined,
      placement: inst.az ? {availabilityZone: inst.az} : undefined,
    }))
    return toXml({reservationSet: items.length ? [{reservationId: 'r-1', instancesSet: items}] : []})
  }
}

/** SSO portal role credentials + STS identity for a permission set. */
export function ssoIdentity(fake: FakeAws, permissionSet = 'Developer', account = '111122223333'): FakeAws {
  return fake
    .on('awsssoportal', 'GetRoleCredentials', () => ({
      roleCredentials: {accessKeyId: 'ASIAFAKE', secretAccessKey: 'SECRET-KEY', sessionToken: 'SESSION-TOKEN-SECRET', expiration: Date.now() + 3600_000},
    }))
    .on('sts', 'GetCallerIdentity', () =>
      toXml({
        Arn: `arn:aws:sts::${account}:assumed-role/AWSReservedSSO_${permissionSet}_0123456789abcdef/alice@example.com`,
        UserId: 'AROAFAKE:alice',
        Account: account,
      }),
    )
}

/**
 * The usual integration setup: a started FakeAws with the SSO identity, StartSession and TerminateSession,
 * and a Sandbox with AWS_CONFIG and valid SSO tokens for both profile forms. Stop/clean both after the test.
 */
export async function sessionSandbox(): Promise<{fake: FakeAws; box: Sandbox}> {
  const fake = await new FakeAws().start()
  ssoIdentity(fake)
  fake.on('ssm', 'StartSession', () => SESSION).on('ssm', 'TerminateSession', (i) => ({SessionId: i.SessionId}))
  const box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
  box.ssoToken('corp')
  box.ssoToken(SSO_START_URL)
  return {fake, box}
}

/** SSM DescribeInstanceInformation answering from the same list (one page; honours the InstanceIds filter). */
export function instanceInformation(instances: FakeInstance[], now = Date.now()) {
  return (input: Record<string, unknown>) => {
    const ids = (input.Filters as Array<{Key: string; Values: string[]}> | undefined)?.find((f) => f.Key === 'InstanceIds')?.Values
    return {
      InstanceInformationList: instances
        .filter((i) => !ids || ids.includes(i.id))
        .map((i) => ({
          InstanceId: i.id,
          PingStatus: i.ping ?? 'Online',
          LastPingDateTime: now / 1000 - 60,
          PlatformType: 'Linux',
          AgentVersion: '3.3.0.0',
          ResourceType: 'EC2Instance',
        })),
    }
  }
}
