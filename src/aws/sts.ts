/** STS as ssmx uses it; loaded on first use through ports.ts's sts(ctx). */
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'

import type {ClientSource} from './clients.js'

export function stsPort(client: STSClient) {
  return {
    getCallerIdentity: () => client.send(new GetCallerIdentityCommand({})),
  }
}

export type Sts = ReturnType<typeof stsPort>

export const sts = (ctx: ClientSource): Sts => stsPort(ctx.client(STSClient, 'STS'))
