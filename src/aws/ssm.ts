/**
 * SSM as ssmx uses it: a narrow port typed with the SDK's own input and output types. Built with the context's
 * settings (clients.ts); loaded statically, since every session command calls SSM.
 */
import * as sdk from '@aws-sdk/client-ssm'

import type {ClientSource} from './clients.js'
import {operation} from './port.js'

export type {InstanceInformation, StartSessionCommandInput as StartSessionInput} from '@aws-sdk/client-ssm'

export function ssmPort(client: sdk.SSMClient) {
  const call = operation(client)
  return {
    startSession: call(sdk.StartSessionCommand),
    resumeSession: (sessionId: string) => client.send(new sdk.ResumeSessionCommand({SessionId: sessionId})),
    terminateSession: (sessionId: string) => client.send(new sdk.TerminateSessionCommand({SessionId: sessionId})),
    /** one page; see pages() in paginate.ts */
    describeInstanceInformation: call(sdk.DescribeInstanceInformationCommand),
    getParameter: call(sdk.GetParameterCommand),
    describeDocument: (name: string) => client.send(new sdk.DescribeDocumentCommand({Name: name})),
    /** the endpoint the client sends to: the override, else the regional default (FIPS and dual-stack as configured) */
    endpoint: async (region: string, override?: string): Promise<string> => {
      if (override) return override.replace(/\/+$/, '')
      const useFIPS = await client.config.useFipsEndpoint()
      const useDualStack = await client.config.useDualstackEndpoint()
      return client.config.endpointProvider({Region: region, UseFIPS: useFIPS, UseDualStack: useDualStack}).url.toString().replace(/\/+$/, '')
    },
  }
}

export type Ssm = ReturnType<typeof ssmPort>

/** The context's SSM port (one client per context). */
export const ssm = (ctx: ClientSource): Ssm => ssmPort(ctx.client(sdk.SSMClient, 'SSM'))
