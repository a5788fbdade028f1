/**
 * sessionSandbox() as mocha hooks: a fresh FakeAws + Sandbox per test (plus `instances` behind SSM
 * DescribeInstanceInformation and EC2 DescribeInstances when given), stopped and removed afterwards.
 */
import {type FakeInstance, describeInstances, instanceInformation, sessionSandbox} from './aws-fixtures.js'
import type {Sandbox} from './cli.js'
import type {FakeAws} from './fake-aws.js'

export interface SessionWorld {
  fake: FakeAws
  box: Sandbox
}

export function useSessionWorld(options: {instances?: FakeInstance[]; setup?: (fake: FakeAws) => void} = {}): SessionWorld {
  const world = {} as SessionWorld
  beforeEach(async () => {
    Object.assign(world, await sessionSandbox())
    if (options.instances) {
      world.fake
        .on('ssm', 'DescribeInstanceInformation', instanceInformation(options.instances))
        .on('ec2', 'DescribeInstances', describeInstances(options.instances))
    }
    options.setup?.(world.fake)
  })
  afterEach(async () => {
    await world.fake.stop()
    world.box.cleanup()
  })
  return world
}
