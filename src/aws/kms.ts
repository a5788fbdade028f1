/** KMS as the built-in session client uses it: the data key for session encryption. */
import {GenerateDataKeyCommand, type GenerateDataKeyCommandInput, KMSClient} from '@aws-sdk/client-kms'

import type {ClientSource} from './clients.js'

export function kmsPort(client: KMSClient) {
  return {
    generateDataKey: (input: GenerateDataKeyCommandInput) => client.send(new GenerateDataKeyCommand(input)),
  }
}

export type Kms = ReturnType<typeof kmsPort>

export const kms = (ctx: ClientSource): Kms => kmsPort(ctx.client(KMSClient, 'KMS'))
