/** IAM Identity Center's OIDC service as ssmx login uses it (device authorization); takes no AWS credentials. */
import * as sdk from '@aws-sdk/client-sso-oidc'

import type {AwsContext} from './clients.js'
import {operation} from './port.js'

export function ssoOidcPort(client: sdk.SSOOIDCClient) {
  const call = operation(client)
  return {
    registerClient: call(sdk.RegisterClientCommand),
    startDeviceAuthorization: call(sdk.StartDeviceAuthorizationCommand),
    createToken: call(sdk.CreateTokenCommand),
  }
}

export type SsoOidc = ReturnType<typeof ssoOidcPort>

/** An anonymous client in the IAM Identity Center region (AwsContext.anonymousClient). */
export const ssoOidc = (ctx: Pick<AwsContext, 'anonymousClient'>, region: string): SsoOidc =>
  ssoOidcPort(ctx.anonymousClient(sdk.SSOOIDCClient, 'SSO_OIDC', region))
