/** EC2 Instance Connect as `ssmx ssh --push-key` uses it; loaded on first use through ports.ts. */
import * as sdk from '@aws-sdk/client-ec2-instance-connect'

import type {ClientSource} from './clients.js'
import {operation} from './port.js'

export function ec2InstanceConnectPort(client: sdk.EC2InstanceConnectClient) {
  const call = operation(client)
  return {
    sendSshPublicKey: call(sdk.SendSSHPublicKeyCommand),
  }
}

export type Ec2InstanceConnect = ReturnType<typeof ec2InstanceConnectPort>

export const ec2InstanceConnect = (ctx: ClientSource): Ec2InstanceConnect =>
  ec2InstanceConnectPort(ctx.client(sdk.EC2InstanceConnectClient, 'EC2_INSTANCE_CONNECT'))
