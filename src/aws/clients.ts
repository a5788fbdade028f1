import {ConfiguredRetryStrategy} from '@smithy/core/retry'
import type {AwsCredentialIdentityProvider} from '@smithy/types'

import {SsmxError} from '../errors.js'
import {ssoCredentialCache} from './credential-cache.js'
import {type AwsFiles, type AwsProfile, isSsoProfile, loadAwsFiles, profileName, resolveProfile} from './profile.js'
import {PROXY_NODE_VERSIONS, describeProxy, nodeSupportsProxyEnv, proxyRequestHandler, redactUrlCredentials} from './proxy.js'
import {redact} from './redact.js'

export type RegionSource = '--region' | 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'profile' | 'sso_region'

export interface AwsContextOptions {
  profile?: string
  region?: string
  /** --endpoint-url: like the AWS CLI's, it applies to the command's own service, endpointService */
  endpointUrl?: string
  /** the AWS_ENDPOINT_URL_<SERVICE> suffix of the service endpointUrl overrides (default SSM) */
  endpointService?: string
  /** receives one line per AWS call when --debug is on */
  debug?: (line: string) => void
  /** receives warnings (stderr): a proxy variable this Node.js cannot honour */
  warn?: (line: string) => void
  version: string
  env?: NodeJS.ProcessEnv
  /** overrides the SDK's credential chain (tests, cached credentials) */
  credentials?: AwsCredentialIdentityProvider
  /** when no region is set, use the profile's sso_region instead of failing (ssmx login needs no other region) */
  ssoRegionFallback?: boolean
}

/** What a port factory needs from the context: its client builder (tests hand in their own). */
export type ClientSource = Pick<AwsContext, 'client'>

type ClientCtor<C> = new (config: Record<string, unknown>) => C

/** Attempts per AWS call, the first included; throttling and transient errors are retried with capped backoff. */
export const MAX_ATTEMPTS = 6
const MAX_BACKOFF_MS = 5_000

/** Capped exponential backoff with full jitter: 100 ms, 200, 400… never more than 5 s a wait. */
export const backoff = (attempt: number, random = Math.random): number => Math.round(Math.min(MAX_BACKOFF_MS, 100 * 2 ** (attempt - 1)) * (0.5 + random() / 2))

/**
 * The one place that knows profile, region, endpoint and credentials, and builds every SDK client
 * with the same settings: retries with capped backoff, user agent `ssmx/<version>`, debug logging.
 */
export class AwsContext {
  readonly profile: {name: string; explicit: boolean}
  readonly profileData?: AwsProfile
  readonly region: string
  readonly regionSource: RegionSource
  readonly credentials: AwsCredentialIdentityProvider
  /** the SDK's requestHandler when HTTPS_PROXY/HTTP_PROXY is set (see proxy.ts), else undefined: the SDK's default */
  readonly requestHandler?: ReturnType<typeof proxyRequestHandler>
  private readonly clients = new Map<unknown, unknown>()

  private constructor(
    readonly options: AwsContextOptions,
    readonly files: AwsFiles,
    init: {
      profile: {name: string; explicit: boolean}
      profileData?: AwsProfile
      region: string
      regionSource: RegionSource
      credentials: AwsCredentialIdentityProvider
      requestHandler?: ReturnType<typeof proxyRequestHandler>
    },
  ) {
    this.profile = init.profile
    this.profileData = init.profileData
    this.region = init.region
    this.regionSource = init.regionSource
    this.credentials = init.credentials
    this.requestHandler = init.requestHandler
  }

  /** the environment Node's proxy support reads (for the native client's websocket), or undefined when no proxy is set */
  get proxyEnv(): NodeJS.ProcessEnv | undefined {
    return this.requestHandler?.httpsAgent.proxyEnv
  }

  static async create(options: AwsContextOptions): Promise<AwsContext> {
    const env = options.env ?? process.env
    const files = await loadAwsFiles(env)
    const profile = profileName(options.profile, env)
    const profileData = resolveProfile(files, profile.name)
    if (!profileData && profile.explicit && !options.credentials) throw unknownProfile(files, profile.name)
    const [region, regionSource] = contextRegion(options, env, profileData, profile.name)
    const requestHandler = proxyRequestHandler(env)
    if (requestHandler) {
      if (!nodeSupportsProxyEnv()) warnOldNode(options.warn ?? ((line) => process.stderr.write(`${line}\n`)))
      options.debug?.(`proxy: ${describeProxy(env)}`)
    }
    const credentials = options.credentials ?? defaultCredentials(options, env, profile, profileData, requestHandler)
    return new AwsContext(options, files, {profile, profileData, region, regionSource, credentials, requestHandler})
  }

  /** The endpoint override for a service, in the AWS SDK's order, or undefined for the default endpoint. */
  endpointOverride(serviceEnvName: string): string | undefined {
    const env = this.options.env ?? process.env
    if (serviceEnvName === (this.options.endpointService ?? 'SSM') && this.options.endpointUrl) return this.options.endpointUrl
    if (/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined
    const configServiceKey = serviceEnvName.toLowerCase()
    return (
      env[`AWS_ENDPOINT_URL_${serviceEnvName}`] ??
      env.AWS_ENDPOINT_URL ??
      (configServiceKey === 'ssm' ? this.profileData?.ssmEndpointUrl : undefined) ??
      this.profileData?.endpointUrl
    )
  }

  /**
   * One SDK client per class, built with the shared settings.
   * @param serviceEnvName the service's AWS_ENDPOINT_URL_<NAME> suffix, e.g. `SSM`, `EC2`, `STS`
   */
  client<C extends object>(Ctor: ClientCtor<C>, serviceEnvName: string, extra: Record<string, unknown> = {}): C {
    const key = extra.region ? `${Ctor.name}:${String(extra.region)}` : Ctor
    const cached = this.clients.get(key)
    if (cached) return cached as C
    const endpoint = this.endpointOverride(serviceEnvName)
    const client = new Ctor({
      region: this.region,
      credentials: this.credentials,
      retryStrategy: new ConfiguredRetryStrategy(MAX_ATTEMPTS, (attempt: number) => backoff(attempt)),
      customUserAgent: `ssmx/${this.options.version}`,
      ...(endpoint ? {endpoint} : {}),
      ...(this.requestHandler ? {requestHandler: this.requestHandler} : {}),
      ...extra,
    })
    if (this.options.debug) addDebugLogging(client as unknown as DebuggableClient, serviceEnvName, this.options.debug)
    this.clients.set(key, client)
    return client
  }

  /**
   * A client for operations that take no AWS credentials (SSO OIDC device authorization, in the profile's
   * sso_region), with the shared settings and endpoint overrides; signing with it is an error, never a
   * silent walk through the credential chain.
   */
  anonymousClient<C extends object>(Ctor: ClientCtor<C>, serviceEnvName: string, region: string): C {
    return this.client(Ctor, serviceEnvName, {region, credentials: NO_CREDENTIALS})
  }
}

function unknownProfile(files: AwsFiles, name: string): SsmxError {
  const known = Object.keys(files.profiles).sort()
  return new SsmxError('credentials', `The profile "${name}" is not in ${files.configPath}.`, [
    known.length > 0 ? `Known profiles: ${known.join(', ')}` : 'No profiles are configured.',
    `Create it with: aws configure sso --profile ${name}`,
  ])
}

/** The region and where it came from; with ssoRegionFallback the profile's sso_region; throws when there is none. */
function contextRegion(options: AwsContextOptions, env: NodeJS.ProcessEnv, profileData: AwsProfile | undefined, profile: string): [string, RegionSource] {
  let [region, regionSource] = resolveRegion(options.region, env, profileData)
  if (!region && options.ssoRegionFallback && profileData?.ssoRegion) [region, regionSource] = [profileData.ssoRegion, 'sso_region']
  if (!region) {
    throw new SsmxError('usage', 'No AWS region is set.', [`Pass --region, set AWS_REGION, or add "region = …" to the profile "${profile}".`])
  }
  return [region, regionSource]
}

/** The SDK's credential chain, loaded on first use, behind ssmx's SSO role-credential cache for an SSO profile. */
function defaultCredentials(
  options: AwsContextOptions,
  env: NodeJS.ProcessEnv,
  profile: {name: string; explicit: boolean},
  profileData: AwsProfile | undefined,
  requestHandler: ReturnType<typeof proxyRequestHandler>,
): AwsCredentialIdentityProvider {
  const hasEnvCredentials = Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
  const useProfile = profile.explicit || !hasEnvCredentials
  // the SDK's chain is loaded on first use: an SSO profile with cached role credentials never needs it
  let chain: AwsCredentialIdentityProvider | undefined
  const fromChain: AwsCredentialIdentityProvider = async (props) => {
    if (!chain) {
      const {fromNodeProviderChain} = await import('@aws-sdk/credential-providers')
      // no region here: the SSO providers would use it instead of the profile's sso_region (the portal and the
      // token refresh live in IAM Identity Center's region); STS takes the calling client's region by itself
      chain = fromNodeProviderChain({...(useProfile ? {profile: profile.name} : {}), ...(requestHandler ? {clientConfig: {requestHandler}} : {})})
    }
    return chain(props)
  }
  return useProfile && isSsoProfile(profileData) ? ssoCredentialCache({profile: profileData!, inner: fromChain, env, debug: options.debug}) : fromChain
}

const NO_CREDENTIALS: AwsCredentialIdentityProvider = async () => {
  throw new SsmxError('bug', 'An anonymous AWS client was asked to sign a request.', ['This is a bug in ssmx: please report it with the output of --debug.'])
}

let warnedOldNode = false

/** Once a process: this Node.js has no proxyEnv, so AWS calls would silently bypass the proxy. */
function warnOldNode(warn: (line: string) => void): void {
  if (warnedOldNode) return
  warnedOldNode = true
  warn(
    `! HTTPS_PROXY/HTTP_PROXY is set, but Node.js ${process.versions.node} cannot send requests through a proxy: ssmx connects directly. Use Node.js ${PROXY_NODE_VERSIONS}.`,
  )
}

function resolveRegion(flag: string | undefined, env: NodeJS.ProcessEnv, profile: AwsProfile | undefined): [string | undefined, RegionSource] {
  if (flag) return [flag, '--region']
  if (env.AWS_REGION) return [env.AWS_REGION, 'AWS_REGION']
  if (env.AWS_DEFAULT_REGION) return [env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION']
  return [profile?.region, 'profile']
}

interface DebuggableClient {
  middlewareStack: {add(mw: unknown, options: {step: string; name: string; priority?: string}): void}
}

/** Logs `service.Operation input` before and the outcome after each call; inputs pass through redact(). */
function addDebugLogging(client: DebuggableClient, service: string, log: (line: string) => void): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<{response?: {statusCode?: number}}>, context: {commandName?: string}) => async (args: {input?: unknown}) => {
      const started = performance.now()
      const op = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`
      log(`→ ${op} ${JSON.stringify(redact(args.input))}`)
      try {
        const result = await next(args)
        log(`← ${op} ${result.response?.statusCode ?? ''} ${Math.round(performance.now() - started)}ms`)
        return result
      } catch (error) {
        log(
          `← ${op} ${(error as Error).name}: ${redactUrlCredentials(String((error as Error).message)).slice(0, 200)} ${Math.round(performance.now() - started)}ms`,
        )
        throw error
      }
    },
    {step: 'initialize', name: 'ssmxDebugLog', priority: 'high'},
  )
}
