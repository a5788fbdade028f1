/**
 * The developer's side of the session broker: where the broker is (the SSM parameter BROKER_URL_PARAMETER, read
 * with the user's own credentials and cached per account × region), and each request of src/broker/protocol.ts
 * as a SigV4-signed POST to its function URL. Every failure becomes an SsmxError that says what to do:
 *  - the broker refuses                  → brokerRefused (15): its reason, and who can change it
 *  - no broker in this account × region  → prerequisite (13)
 *  - 403 without a broker answer         → accessDenied (8): lambda:InvokeFunctionUrl/InvokeFunction, or the region
 *  - no answer at all, or throttled      → throttled (11)
 * A cached URL that answers 404 or not at all is forgotten, looked up again, and tried once more when it changed.
 */
import {join} from 'node:path'

import type {AwsContext} from '../aws/clients.js'
import {readPrivateJson, writePrivateJson} from '../aws/credential-cache.js'
import {mapAwsError} from '../aws/errors.js'
import {ssm} from '../aws/ssm.js'
import {type SignedPost, type SignedResponse, UnreachableError, functionUrlRegion, signedPost} from '../aws/signed-http.js'
import {SsmxError, awsErrorName} from '../errors.js'
import {ssmxCacheDir, trustedDir} from '../platform/cache-dir.js'
import {
  BROKER_URL_PARAMETER,
  type BrokerDecision,
  type BrokerErrorBody,
  type BrokerRequest,
  type DataKeyRequest,
  type DataKeyResponse,
  type DecideRequest,
  type DecideResponse,
  type ResumeResponse,
  type StartRequest,
  type StartResponse,
  type TerminateResponse,
} from './protocol.js'

/** Who can change what the broker decides: printed with every refusal. */
export const ASK_PLATFORM_TEAM =
  "Ask your platform team: the broker's mapping (permission set or user → Linux user, target rules) is admin.broker in the shared ssmx configuration, deployed with ssmx admin enforce."

/** Where the broker's URL is cached for one account × region. */
export interface UrlCache {
  get(key: string): Promise<string | undefined>
  set(key: string, url: string): Promise<void>
  delete(key: string): Promise<void>
}

/** The cache file (0600 in ssmx's owner-only cache directory): `{"<account>/<region>": "https://…"}`. */
export function fileUrlCache(dir: string = ssmxCacheDir()): UrlCache {
  const path = join(dir, 'broker-urls.json')
  const read = async () => (trustedDir(dir, false) ? ((await readPrivateJson<Record<string, string>>(path)) ?? {}) : {})
  const write = async (all: Record<string, string>) => {
    if (trustedDir(dir, true)) await writePrivateJson(path, dir, all).catch(() => {})
  }
  return {
    get: async (key) => {
      const url = (await read())[key]
      return typeof url === 'string' && /^https?:\/\//.test(url) ? url : undefined
    },
    set: async (key, url) => write({...(await read()), [key]: url}),
    delete: async (key) => {
      const all = await read()
      if (!(key in all)) return
      delete all[key]
      await write(all)
    },
  }
}

/** What a BrokerClient needs; tests pass fakes for `post`, `getParameter` and `cache`. */
export interface BrokerDeps {
  ctx: AwsContext
  /** the caller's account id, for the cache key (undefined: no caching) */
  account: () => Promise<string | undefined>
  cache?: UrlCache
  /** the SSM parameter's value; default: SSM GetParameter with the context's client */
  getParameter?: (name: string) => Promise<string | undefined>
  post?: (o: SignedPost) => Promise<SignedResponse>
  /** counts requests (bench, debug) */
  onRequest?: (what: 'GetParameter' | BrokerRequest['action']) => void
}

export type UrlSource = 'cache' | 'ssm'

export class BrokerClient {
  private resolved?: {url: string; source: UrlSource}

  constructor(private readonly deps: BrokerDeps) {}

  private async cacheKey(): Promise<string | undefined> {
    const account = await this.deps.account().catch(() => undefined)
    return account ? `${account}/${this.deps.ctx.region}` : undefined
  }

  /** The broker's function URL: this run's, else the cache's, else the SSM parameter's (then cached). */
  async url(): Promise<{url: string; source: UrlSource}> {
    if (this.resolved) return this.resolved
    const key = await this.cacheKey()
    const cached = key ? await this.deps.cache?.get(key) : undefined
    if (cached) return (this.resolved = {url: cached, source: 'cache'})
    const url = await this.lookUp()
    if (key) await this.deps.cache?.set(key, url)
    return (this.resolved = {url, source: 'ssm'})
  }

  private async lookUp(): Promise<string> {
    const {ctx} = this.deps
    this.deps.onRequest?.('GetParameter')
    let value: string | undefined
    try {
      value = await (this.deps.getParameter ?? ((name) => ssmGetParameter(ctx, name)))(BROKER_URL_PARAMETER)
    } catch (error) {
      if (awsErrorName(error) === 'ParameterNotFound') throw notDeployed(ctx)
      throw mapAwsError(error, {profile: ctx.profile.name, operation: `SSM GetParameter ${BROKER_URL_PARAMETER}`})
    }
    if (!value || !/^https?:\/\/[^\s]+$/.test(value.trim())) {
      throw new SsmxError('prerequisite', `The SSM parameter ${BROKER_URL_PARAMETER} in ${ctx.region} does not hold a broker URL.`, [
        'Ask your platform team to redeploy the broker (ssmx admin enforce with admin.broker configured).',
      ])
    }
    return value.trim()
  }

  private async forget(): Promise<void> {
    this.resolved = undefined
    const key = await this.cacheKey()
    if (key) await this.deps.cache?.delete(key)
  }

  /** One broker request: signed POST, answer parsed, failures mapped (see the module comment). */
  async call<T>(request: BrokerRequest): Promise<T> {
    const first = await this.url()
    try {
      return await this.send<T>(first.url, request)
    } catch (error) {
      if (!(error instanceof StaleUrl) || first.source !== 'cache') throw unwrap(error, this.deps.ctx)
      // a cached URL that is gone: look it up again, and try once more if it moved
      await this.forget()
      const fresh = await this.url()
      if (fresh.url === first.url) throw unwrap(error, this.deps.ctx)
      return this.send<T>(fresh.url, request).catch((e) => Promise.reject(unwrap(e, this.deps.ctx)))
    }
  }

  private async send<T>(url: string, request: BrokerRequest): Promise<T> {
    const {ctx} = this.deps
    const region = functionUrlRegion(url) ?? ctx.region
    const post = this.deps.post ?? signedPost
    const attempt = async (n: number): Promise<SignedResponse> => {
      this.deps.onRequest?.(request.action)
      ctx.options.debug?.(`→ broker ${request.action} ${url}${'target' in request ? ` ${request.target}` : ''}`)
      const started = performance.now()
      let response: SignedResponse
      try {
        response = await post({
          url,
          body: JSON.stringify(request),
          service: 'lambda',
          region,
          credentials: ctx.credentials,
          handlerOptions: ctx.requestHandler as Record<string, unknown> | undefined,
          userAgent: `ssmx/${ctx.options.version}`,
        })
      } catch (error) {
        ctx.options.debug?.(`← broker ${request.action} ${(error as Error).message}`)
        if (error instanceof UnreachableError) throw new StaleUrl(url, error)
        throw error
      }
      ctx.options.debug?.(`← broker ${request.action} ${response.status} ${Math.round(performance.now() - started)}ms`)
      // Lambda's own throttling (reserved concurrency reached): nothing ran, so trying again is safe
      if ((response.status === 429 || response.status === 503) && n < 3) {
        await new Promise((r) => setTimeout(r, 200 * 2 ** n))
        return attempt(n + 1)
      }
      return response
    }
    const response = await attempt(0)
    const parsed = parseJson(response.body)
    if (response.status >= 200 && response.status < 300) {
      if (!parsed || typeof parsed !== 'object')
        throw new SsmxError('internal', `The session broker answered ${request.action} with something that is not JSON.`, [
          "Ask your platform team to check the broker's logs (ssmx admin status shows its version).",
        ])
      return parsed as T
    }
    throw brokerError(response.status, parsed, {url, region, request, ctx})
  }

  start(request: Omit<StartRequest, 'action'>): Promise<StartResponse> {
    return this.call<StartResponse>({action: 'start', ...request})
  }

  decide(request: Omit<DecideRequest, 'action'>): Promise<DecideResponse> {
    return this.call<DecideResponse>({action: 'decide', ...request})
  }

  terminate(sessionId: string): Promise<TerminateResponse> {
    return this.call<TerminateResponse>({action: 'terminate', sessionId})
  }

  resume(sessionId: string): Promise<ResumeResponse> {
    return this.call<ResumeResponse>({action: 'resume', sessionId})
  }

  datakey(request: Omit<DataKeyRequest, 'action'>): Promise<DataKeyResponse> {
    return this.call<DataKeyResponse>({action: 'datakey', ...request})
  }
}

/** The URL did not answer, or answered 404 without a broker body: maybe stale. */
class StaleUrl extends Error {
  constructor(
    readonly url: string,
    readonly reason: UnreachableError | SsmxError,
  ) {
    super(reason.message)
  }
}

function unwrap(error: unknown, ctx: AwsContext): unknown {
  if (!(error instanceof StaleUrl)) return error
  if (error.reason instanceof SsmxError) return error.reason
  return new SsmxError('unreachable', `The session broker at ${error.url} does not answer (${error.reason.code ?? error.reason.message}).`, [
    'Check your network (and HTTPS_PROXY, if you need a proxy): the broker is a public Lambda function URL on *.lambda-url.<region>.on.aws.',
    `If the broker was just removed from ${ctx.region}, ask your platform team, or switch back to documents mode (mode: documents, or leave out --broker).`,
  ])
}

function notDeployed(ctx: AwsContext): SsmxError {
  return new SsmxError(
    'prerequisite',
    `No session broker is deployed in ${ctx.region} for this account (the SSM parameter ${BROKER_URL_PARAMETER} does not exist).`,
    [
      `Check the region (--region; now ${ctx.region}, from ${ctx.regionSource}) and the profile: the broker is deployed per account and region.`,
      'Ask your platform team to deploy it there (admin.broker in the shared configuration, then ssmx admin enforce), or use documents mode (mode: documents in the configuration, and no --broker).',
    ],
  )
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The broker refused (exit code 15); `decision` is what it said about the caller, when it said it. */
export class BrokerRefusedError extends SsmxError {
  constructor(
    message: string,
    suggestions: string[],
    readonly decision?: BrokerDecision,
  ) {
    super('brokerRefused', message, suggestions)
  }
}

/** The refusal message: the broker's reason, who the broker thinks the caller is, and who can change it. */
export function refusalError(decision: BrokerDecision | undefined, message: string): BrokerRefusedError {
  const who = decision?.permissionSet ? ` (you are ${decision.user || '?'} with permission set ${decision.permissionSet})` : ''
  return new BrokerRefusedError(
    `The session broker refused: ${decision?.reason ?? message}${who}`,
    [ASK_PLATFORM_TEAM, 'ssmx whoami --broker --target <target> shows what the broker decides for you, without starting anything.'],
    decision && {...decision, allowed: false, reason: decision.reason ?? message},
  )
}

function brokerError(status: number, body: unknown, o: {url: string; region: string; request: BrokerRequest; ctx: AwsContext}): Error {
  const error = (body as Partial<BrokerErrorBody> | undefined)?.error
  const message = typeof error?.message === 'string' ? error.message : ''
  if (error && typeof error.code === 'string') {
    switch (error.code) {
      case 'refused':
        return refusalError(error.decision, message)
      case 'bad-request':
        return new SsmxError('usage', `The session broker rejected the request: ${message}`, [
          "Nothing was started. If ssmx sent it as you typed it, ssmx and the broker may be of different versions: ssmx admin status shows the broker's.",
        ])
      case 'not-found':
        return new SsmxError('session', `The session broker does not know that session: ${message}`, [
          'It may have ended already (ssmx sessions end when the shell or forward ends).',
        ])
      case 'upstream': {
        const notConnected = /TargetNotConnected/i.test(message)
        return new SsmxError(
          notConnected ? 'targetNotConnected' : 'internal',
          `The session broker could not do it: ${message}`,
          notConnected
            ? ["The instance's SSM Agent is not connected: check that it runs and reaches ssm/ssmmessages."]
            : ["Retry; if it persists, ask your platform team to look at the broker's log (one audit line per request)."],
        )
      }
    }
  }
  if (status === 404) {
    return new StaleUrl(
      o.url,
      new SsmxError('prerequisite', `The session broker's URL ${o.url} answers 404: the broker is gone from ${o.ctx.region}, or the published URL is stale.`, [
        'Ask your platform team to redeploy it (ssmx admin enforce), or use documents mode (no --broker, mode: documents).',
      ]),
    )
  }
  if (status === 403) {
    const configured = functionUrlRegion(o.url)
    return new SsmxError('accessDenied', `The session broker's function URL rejected your signed request (403${message ? `: ${message}` : ''}).`, [
      "Your permission set needs lambda:InvokeFunctionUrl and lambda:InvokeFunction on the broker function (the broker's resource policy grants them to this account's IAM Identity Center roles; another account's caller needs them in its own policy too).",
      configured && configured !== o.ctx.region
        ? `The broker is in ${configured} but your profile uses ${o.ctx.region}: pass --region ${configured}.`
        : `Check the region (${o.region}) and your clock (SigV4 signatures are valid for 5 minutes).`,
      'If your SSO session just expired: ssmx login.',
    ])
  }
  if (status === 429 || status === 503) {
    return new SsmxError('throttled', `The session broker is busy (HTTP ${status}): its concurrency limit was reached.`, [
      "Retry in a moment; if it persists, ask your platform team to raise the broker's reserved concurrency.",
    ])
  }
  return new SsmxError('internal', `The session broker answered HTTP ${status}${message ? `: ${message}` : ''}.`, [
    "Retry; if it persists, ask your platform team to look at the broker's log.",
  ])
}

async function ssmGetParameter(ctx: AwsContext, name: string): Promise<string | undefined> {
  const out = await ssm(ctx).getParameter({Name: name})
  return out.Parameter?.Value
}

/**
 * The broker client for a context: the account for the cache key comes from the credentials (SSO credentials carry
 * it), else the SSO profile, else STS GetCallerIdentity (cached per access key, as connect does).
 */
export function brokerFor(ctx: AwsContext, extra: Partial<BrokerDeps> = {}): BrokerClient {
  const account = async (): Promise<string | undefined> => {
    const creds = await ctx.credentials()
    if (creds.accountId) return creds.accountId
    const {identityFromProfile, identityFromSts} = await import('../identity/identity.js')
    const fromProfile = identityFromProfile(ctx)?.account
    if (fromProfile) return fromProfile
    const {identityByAccessKey} = await import('../aws/identity-cache.js')
    return (await identityByAccessKey(ctx.credentials, () => identityFromSts(ctx), {env: ctx.options.env})).account
  }
  return new BrokerClient({ctx, account, cache: fileUrlCache(ssmxCacheDir(ctx.options.env)), ...extra})
}
