/** IAM as ssmx doctor uses it (the principal's tags); loaded on first use through ports.ts. */
import * as sdk from '@aws-sdk/client-iam'

import type {ClientSource} from './clients.js'

export function iamPort(client: sdk.IAMClient) {
  return {
    listUserTags: (userName: string) => client.send(new sdk.ListUserTagsCommand({UserName: userName})),
    listRoleTags: (roleName: string) => client.send(new sdk.ListRoleTagsCommand({RoleName: roleName})),
  }
}

export type Iam = ReturnType<typeof iamPort>

export const iam = (ctx: ClientSource): Iam => iamPort(ctx.client(sdk.IAMClient, 'IAM'))
