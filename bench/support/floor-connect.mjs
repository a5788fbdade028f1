// The floor for any Node implementation of `connect`: import the SDK, call StartSession, hand the response
// to session-manager-plugin the way the AWS CLI does, wait for it. No flags, no config, no checks.
// Usage: node bench/support/floor-connect.mjs <instance-id> <endpoint-url>   (region and credentials from the environment)
import {spawn} from 'node:child_process'

import {SSMClient, StartSessionCommand} from '@aws-sdk/client-ssm'

const [target, endpoint] = process.argv.slice(2)
const ssm = new SSMClient({endpoint})
const parameters = {Target: target}
const response = await ssm.send(new StartSessionCommand(parameters))
const {$metadata: _, ...body} = response
const child = spawn(
  'session-manager-plugin',
  ['AWS_SSM_START_SESSION_RESPONSE', await ssm.config.region(), 'StartSession', '', JSON.stringify(parameters), endpoint],
  {stdio: 'inherit', env: {...process.env, AWS_SSM_START_SESSION_RESPONSE: JSON.stringify(body)}},
)
child.on('exit', (code) => process.exit(code ?? 1))
