/** EC2 Instance Connect as `ssmx ssh --push-key` uses it; loaded on first use through ports.ts. */
import {EC2InstanceConnectClient, SendSSHPublicKeyCommand, type SendSSHPublicKeyCommandInput} from '@aws-sdk/client-ec2-instance-connect'

import type {ClientSource} from './clients.js'

export function ec2InstanceConnectPort(client: EC2InstanceConnectClient) {
  return {
    sendSshPublicKey: (input: SendSSHPublicKeyCommandInput) => client.send(new SendSSHPublicKeyCommand(input)),
  }
}

export type Ec2InstanceConnect = ReturnType<typeof ec2InstanceConnectPort>

export const ec2InstanceConnect = (ctx: ClientSource): Ec2InstanceConnect =>
  ec2InstanceConnectPort(ctx.client(EC2InstanceConnectClient, 'EC2_INSTANCE_CONNECT'))
