/**
 * The usual integration-test world, as mocha hooks: a FakeAws with an SSO identity, StartSession and
 * TerminateSession (plus `instances` behind SSM DescribeInstanceInformation and EC2 DescribeInstances
 * when given), and a Sandbox with the standard ~/.aws/config and a valid SSO token for "corp".
 */
import {type FakeInstance, SESSION, describeInstances, instanceInformation, ssoIdentity} from './aws-fixtures.js'
import {AWS_CONFIG, Sandbox} from './cli.js'
import {FakeAws} from './fake-aws.js'

export interface SessionWorld {
  fake: FakeAws
  box: Sandbox
}

export function useSessionWorld(options: {instances?: FakeInstance[]; setup?: (fake: FakeAws) => void} = {}): SessionWorld {
  const world = {} as SessionWorld
  beforeEach(async () => {
    world.fake = await new FakeAws().start()
    ssoIdentity(world.fake)
      .on('ssm', 'StartSession', () => SESSION)
      .on('ssm', 'TerminateSession', (i) => ({SessionId: i.SessionId}))
    if (options.instances) {
      world.fake.on('ssm', 'DescribeInstanceInformation', instanceInformation(options.instances)).on('ec2', 'DescribeInstances', describeInstances(options.instances))
    }
    options.setup?.(world.fake)
    world.box = new Sandbox(world.fake.url).awsConfig(AWS_CONFIG)
    world.box.ssoToken('corp')
  })
  afterEach(async () => {
    await world.fake.stop()
    world.box.cleanup()
  })
  return world
}
