/** IAM as ssmx doctor uses it (the principal's tags); loaded on first use through ports.ts. */
import {IAMClient, ListRoleTagsCommand, ListUserTagsCommand} from '@aws-sdk/client-iam'

import type {ClientSource} from './clients.js'

export function iamPort(client: IAMClient) {
  return {
    listUserTags: (userName: string) => client.send(new ListUserTagsCommand({UserName: userName})),
    listRoleTags: (roleName: string) => client.send(new ListRoleTagsCommand({RoleName: roleName})),
  }
}

export type Iam = ReturnType<typeof iamPort>

export const iam = (ctx: ClientSource): Iam => iamPort(ctx.client(IAMClient, 'IAM'))
