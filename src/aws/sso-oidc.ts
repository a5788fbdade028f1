/** IAM Identity Center's OIDC service as ssmx login uses it (device authorization); takes no AWS credentials. */
import {
  CreateTokenCommand,
  type CreateTokenCommandInput,
  RegisterClientCommand,
  type RegisterClientCommandInput,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
  type StartDeviceAuthorizationCommandInput,
} from '@aws-sdk/client-sso-oidc'

import type {AwsContext} from './clients.js'

export function ssoOidcPort(client: SSOOIDCClient) {
  return {
    registerClient: (input: RegisterClientCommandInput) => client.send(new RegisterClientCommand(input)),
    startDeviceAuthorization: (input: StartDeviceAuthorizationCommandInput) => client.send(new StartDeviceAuthorizationCommand(input)),
    createToken: (input: CreateTokenCommandInput) => client.send(new CreateTokenCommand(input)),
  }
}

export type SsoOidc = ReturnType<typeof ssoOidcPort>

/** An anonymous client in the IAM Identity Center region (AwsContext.anonymousClient). */
export const ssoOidc = (ctx: Pick<AwsContext, 'anonymousClient'>, region: string): SsoOidc =>
  ssoOidcPort(ctx.anonymousClient(SSOOIDCClient, 'SSO_OIDC', region))
