import {Agent as HttpAgent} from 'node:http'
import {Agent as HttpsAgent} from 'node:https'

import {SSMClient} from '@aws-sdk/client-ssm'
import {expect} from 'chai'

import {AwsContext} from '../../src/aws/clients.js'
import {mapAwsError} from '../../src/aws/errors.js'
import {describeProxy, nodeSupportsProxyEnv, proxyConfigured, proxyRequestHandler, redactUrlCredentials} from '../../src/aws/proxy.js'
import {websocketAgent} from '../../src/native/channel.js'

type AgentWithOptions = {options: Record<string, unknown>; keepAlive: boolean; maxSockets: number}

/** The agents the SDK's NodeHttpHandler built for a client (its resolved config). */
async function agentsOf(client: SSMClient): Promise<{https: AgentWithOptions; http: AgentWithOptions}> {
  const handler = client.config.requestHandler as unknown as {
    configProvider: Promise<{httpsAgent: AgentWithOptions; httpAgentProvider: () => Promise<AgentWithOptions>}>
  }
  const config = await handler.configProvider
  return {https: config.httpsAgent, http: await config.httpAgentProvider()}
}

describe('aws/proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY', () => {
  it('knows the Node.js versions whose agents take proxyEnv: 22.21+, 24.5+, 25+', () => {
    const yes = ['22.21.0', '22.22.1', '24.5.0', '24.21.0', 'v25.0.0', '26.1.0']
    const no = ['20.19.0', '22.20.0', '22.1.0', '23.11.0', '24.4.1', 'v24.0.0']
    expect(yes.filter((v) => !nodeSupportsProxyEnv(v))).to.deep.equal([])
    expect(no.filter((v) => nodeSupportsProxyEnv(v))).to.deep.equal([])
  })

  it('a proxy is configured by any of the four variables, not by NO_PROXY or an empty value', () => {
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) expect(proxyConfigured({[name]: 'http://p:3128'}), name).to.equal(true)
    expect(proxyConfigured({NO_PROXY: '*', HTTPS_PROXY: ''})).to.equal(false)
    expect(proxyRequestHandler({NO_PROXY: '*'})).to.equal(undefined)
  })

  it('redacts user:password in proxy URLs, wherever they are in a text', () => {
    expect(redactUrlCredentials('http://user:secret@proxy:3128')).to.equal('http://<redacted>@proxy:3128')
    expect(redactUrlCredentials('tunnel via https://a%40b:p%3Ass@proxy.corp:8443/ failed; http://plain:3128 ok')).to.equal(
      'tunnel via https://<redacted>@proxy.corp:8443/ failed; http://plain:3128 ok',
    )
    const mapped = mapAwsError(Object.assign(new Error('connect ECONNREFUSED via http://user:secret@proxy:3128'), {code: 'ECONNREFUSED'}), {
      profile: 'dev',
      operation: 'StartSession',
    })
    expect(mapped.message).to.equal('Cannot reach AWS for StartSession: connect ECONNREFUSED via http://<redacted>@proxy:3128')
  })

  it('a credential provider that cannot reach AWS (proxy down) is a network error, not "no credentials"', () => {
    const error = Object.assign(new Error('Error: connect ECONNREFUSED 127.0.0.1:3128'), {name: 'CredentialsProviderError'})
    const mapped = mapAwsError(error, {profile: 'dev', operation: 'StartSession'})
    expect(mapped.message).to.equal('Cannot reach AWS for StartSession: Error: connect ECONNREFUSED 127.0.0.1:3128')
    expect(mapped.suggestions[0]).to.include('HTTPS_PROXY, NO_PROXY')
  })

  it('describes the proxy for doctor: each variable in effect, redacted, lower-case first as Node reads them', () => {
    expect(describeProxy({})).to.equal(undefined)
    expect(describeProxy({HTTPS_PROXY: 'http://u:pw@proxy:3128', https_proxy: 'http://lower:3128', NO_PROXY: '.internal,10.0.0.0/8'})).to.equal(
      'https via http://lower:3128 (https_proxy); except .internal,10.0.0.0/8 (NO_PROXY)',
    )
    expect(describeProxy({HTTP_PROXY: 'http://u:pw@proxy:3128'})).to.equal('https direct (no HTTPS_PROXY); http via http://<redacted>@proxy:3128 (HTTP_PROXY)')
  })

  describe('the SDK clients AwsContext builds', () => {
    const credentials = async () => ({accessKeyId: 'AKIDTEST', secretAccessKey: 'SECRET'})
    const create = (env: NodeJS.ProcessEnv) => AwsContext.create({version: '9.9.9', region: 'eu-west-1', credentials, env: {HOME: '/nonexistent', ...env}})

    it("no proxy variable: the SDK's own request handler and agents, untouched", async () => {
      const ctx = await create({NO_PROXY: '127.0.0.1'})
      expect(ctx.requestHandler).to.equal(undefined)
      expect(ctx.proxyEnv).to.equal(undefined)
      const agents = await agentsOf(ctx.client(SSMClient, 'SSM'))
      expect(agents.https.options).to.not.have.property('proxyEnv')
      expect(agents.http.options).to.not.have.property('proxyEnv')
    })

    it("HTTPS_PROXY: both agents get proxyEnv (so NO_PROXY applies too), with the SDK's keepAlive and maxSockets", async () => {
      const env = {HOME: '/nonexistent', HTTPS_PROXY: 'http://user:secret@proxy:3128', NO_PROXY: '.internal'}
      const lines: string[] = []
      const ctx = await AwsContext.create({version: '9.9.9', region: 'eu-west-1', credentials, env, debug: (l) => lines.push(l)})
      expect(ctx.proxyEnv).to.equal(env)
      const agents = await agentsOf(ctx.client(SSMClient, 'SSM'))
      for (const agent of [agents.https, agents.http]) {
        expect(agent.options.proxyEnv).to.equal(env)
        expect([agent.keepAlive, agent.maxSockets]).to.deep.equal([true, 50])
      }
      expect(lines).to.deep.equal(['proxy: https via http://<redacted>@proxy:3128 (HTTPS_PROXY); except .internal (NO_PROXY)'])
    })

    it("a client's own requestHandler (extra) still wins", async () => {
      const ctx = await create({HTTPS_PROXY: 'http://proxy:3128'})
      const own = {handle: async () => ({response: {}}), metadata: {handlerProtocol: 'http/1.1'}}
      const client = ctx.client(SSMClient, 'SSM', {region: 'us-east-1', requestHandler: own})
      expect(client.config.requestHandler).to.equal(own)
    })
  })

  it("the native client's websocket gets an agent only with a proxy: https for wss:, http for ws:", () => {
    const env = {HTTPS_PROXY: 'http://proxy:3128'}
    expect(websocketAgent('wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/s', undefined)).to.deep.equal({})
    const secure = websocketAgent('wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/s', env).agent as unknown as AgentWithOptions
    expect(secure).to.be.instanceOf(HttpsAgent)
    expect(secure.options.proxyEnv).to.equal(env)
    expect(websocketAgent('ws://127.0.0.1:1/v1/data-channel/s', env).agent).to.be.instanceOf(HttpAgent).and.not.instanceOf(HttpsAgent)
  })
})
