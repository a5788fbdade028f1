/**
 * EC2 as ssmx uses it. EC2's client is large (its schemas alone are over a megabyte): load it through ports.ts's
 * ec2(ctx), which imports this module on the first call; the named imports let the bundler keep only what is used.
 */
import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  DescribeRegionsCommand,
  type DescribeRegionsCommandInput,
  EC2Client,
} from '@aws-sdk/client-ec2'

import type {ClientSource} from './clients.js'

export type {Filter, Instance} from '@aws-sdk/client-ec2'

export function ec2Port(client: EC2Client) {
  return {
    /** one page; see pages() in paginate.ts */
    describeInstances: (input: DescribeInstancesCommandInput) => client.send(new DescribeInstancesCommand(input)),
    describeRegions: (input: DescribeRegionsCommandInput) => client.send(new DescribeRegionsCommand(input)),
  }
}

export type Ec2 = ReturnType<typeof ec2Port>

export const ec2 = (ctx: ClientSource): Ec2 => ec2Port(ctx.client(EC2Client, 'EC2'))
