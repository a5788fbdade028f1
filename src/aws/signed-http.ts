/**
 * A SigV4-signed JSON POST to an AWS endpoint that has no SDK client (a Lambda function URL with AuthType AWS_IAM):
 * signed with the SDK's own signer and the context's credentials, sent with the SDK's own HTTP handler (so a proxy
 * set in HTTPS_PROXY is honoured as for every other AWS call). Answers the status and the body as text; the caller
 * decides what a status means.
 */
import {NodeHttpHandler} from '@smithy/node-http-handler'
import {SignatureV4} from '@smithy/signature-v4'
import {Sha256} from '@smithy/core/checksum'
import {HttpRequest} from '@smithy/core/transport'
import type {AwsCredentialIdentityProvider} from '@smithy/types'

export interface SignedPost {
  url: string
  /** the JSON text sent (signed, payload hash included) */
  body: string
  /** SigV4 service name, e.g. `lambda` */
  service: string
  region: string
  credentials: AwsCredentialIdentityProvider
  /** the context's requestHandler options (proxy agents), when set */
  handlerOptions?: Record<string, unknown>
  timeoutMs?: number
  userAgent?: string
}

export interface SignedResponse {
  status: number
  body: string
}

/** Raised when the request never got an HTTP answer (DNS, refused connection, TLS, timeout). */
export class UnreachableError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message)
    this.name = 'UnreachableError'
  }
}

/** The Lambda function URL's region (`<id>.lambda-url.<region>.on.aws`), else undefined. */
export function functionUrlRegion(url: string): string | undefined {
  try {
    return /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(url).hostname)?.[1]
  } catch {
    return undefined
  }
}

/** The request as signed: exposed for tests, which check the signature a verifier recomputes. */
export async function signRequest(
  o: Pick<SignedPost, 'url' | 'body' | 'service' | 'region' | 'credentials' | 'userAgent'>,
  signingDate?: Date,
): Promise<HttpRequest> {
  const u = new URL(o.url)
  const request = new HttpRequest({
    method: 'POST',
    protocol: u.protocol,
    hostname: u.hostname,
    ...(u.port ? {port: Number(u.port)} : {}),
    path: u.pathname || '/',
    headers: {
      host: u.host,
      'content-type': 'application/json',
      ...(o.userAgent ? {'user-agent': o.userAgent} : {}),
    },
    body: o.body,
  })
  const signer = new SignatureV4({service: o.service, region: o.region, credentials: o.credentials, sha256: Sha256})
  return (await signer.sign(request, signingDate ? {signingDate} : {})) as HttpRequest
}

/** Signs and sends; resolves with any HTTP answer, rejects with UnreachableError when there is none. */
export async function signedPost(o: SignedPost): Promise<SignedResponse> {
  const signed = await signRequest(o)
  const handler = new NodeHttpHandler({...o.handlerOptions, connectionTimeout: 10_000, requestTimeout: o.timeoutMs ?? 60_000})
  try {
    const {response} = await handler.handle(signed)
    const chunks: Buffer[] = []
    for await (const c of response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c))
    return {status: response.statusCode, body: Buffer.concat(chunks).toString('utf8')}
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    throw new UnreachableError(e.message, e.code ?? e.name)
  } finally {
    handler.destroy()
  }
}
