/** STS as ssmx uses it; loaded on first use through ports.ts's sts(ctx). */
import * as sdk from '@aws-sdk/client-sts'

import type {ClientSource} from './clients.js'

export function stsPort(client: sdk.STSClient) {
  return {
    getCallerIdentity: () => client.send(new sdk.GetCallerIdentityCommand({})),
  }
}

export type Sts = ReturnType<typeof stsPort>

export const sts = (ctx: ClientSource): Sts => stsPort(ctx.client(sdk.STSClient, 'STS'))
