/**
 * EC2 as ssmx uses it. EC2's client is large (its schemas alone are over a megabyte): load it through ports.ts's
 * ec2(ctx), which imports this module on the first call; the bundler keeps only the commands used here.
 */
import * as sdk from '@aws-sdk/client-ec2'

import type {ClientSource} from './clients.js'
import {operation} from './port.js'

export type {Filter, Instance} from '@aws-sdk/client-ec2'

export function ec2Port(client: sdk.EC2Client) {
  const call = operation(client)
  return {
    /** one page; see pages() in paginate.ts */
    describeInstances: call(sdk.DescribeInstancesCommand),
    describeRegions: call(sdk.DescribeRegionsCommand),
  }
}

export type Ec2 = ReturnType<typeof ec2Port>

export const ec2 = (ctx: ClientSource): Ec2 => ec2Port(ctx.client(sdk.EC2Client, 'EC2'))
