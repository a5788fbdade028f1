/** KMS as the built-in session client uses it: the data key for session encryption. */
import * as sdk from '@aws-sdk/client-kms'

import type {ClientSource} from './clients.js'
import {operation} from './port.js'

export function kmsPort(client: sdk.KMSClient) {
  const call = operation(client)
  return {
    generateDataKey: call(sdk.GenerateDataKeyCommand),
  }
}

export type Kms = ReturnType<typeof kmsPort>

export const kms = (ctx: ClientSource): Kms => kmsPort(ctx.client(sdk.KMSClient, 'KMS'))
