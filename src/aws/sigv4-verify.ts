/**
 * Checks that an incoming request was SigV4-signed with credentials ssmx holds (the broker relay: the plugin signs its
 * ResumeSession/TerminateSession with the credentials ssmx handed it). The signature is recomputed with the SDK's own
 * signer over exactly the headers the request says it signed, and compared in constant time.
 */
import {createHash, timingSafeEqual} from 'node:crypto'

import {Sha256} from '@smithy/core/checksum'
import {HttpRequest} from '@smithy/core/transport'
import {SignatureV4} from '@smithy/signature-v4'
import type {AwsCredentialIdentity} from '@smithy/types'

/** AWS refuses a signature whose X-Amz-Date is further than this from its clock. */
export const MAX_SIGNATURE_SKEW_MS = 15 * 60_000

export interface IncomingSigned {
  method: string
  /** the request target: path and query, as received */
  url: string
  headers: Record<string, string | string[] | undefined>
  body: Uint8Array | string
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/

const parseAmzDate = (s: string): Date | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s)
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined
}

const header = (headers: IncomingSigned['headers'], name: string): string | undefined => {
  const value = headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

/**
 * Undefined when `req` carries a valid SigV4 signature for `service` made with `credentials`; otherwise why not (for
 * the error the caller returns: it names no secret).
 */
export async function sigV4Refusal(req: IncomingSigned, credentials: AwsCredentialIdentity, o: {service: string; now?: number}): Promise<string | undefined> {
  const m = AUTHORIZATION.exec(header(req.headers, 'authorization') ?? '')
  if (!m) return `Missing SigV4 authentication for ${o.service}.`
  const [, keyId, day, region, service, signedList, signature] = m as unknown as string[]
  if (service !== o.service) return `Signed for ${service}, not ${o.service}.`
  if (keyId !== credentials.accessKeyId) return 'Signed with credentials other than the ones this session was started with.'
  const amzDate = header(req.headers, 'x-amz-date') ?? ''
  const signingDate = parseAmzDate(amzDate)
  if (!signingDate || !amzDate.startsWith(day!)) return 'Bad or missing X-Amz-Date.'
  if (Math.abs((o.now ?? Date.now()) - signingDate.getTime()) > MAX_SIGNATURE_SKEW_MS) return 'Signature expired.'
  const signed = signedList!.split(';')
  if (!signed.includes('host')) return 'The Host header is not signed.'
  const url = new URL(req.url, 'http://relay')
  // exactly the headers the signature covers; the signer sets x-amz-date and the session token itself
  const headers = Object.fromEntries(signed.filter((h) => h !== 'x-amz-date' && h !== 'x-amz-security-token').map((h) => [h, header(req.headers, h) ?? '']))
  if (credentials.sessionToken && (!signed.includes('x-amz-security-token') || header(req.headers, 'x-amz-security-token') !== credentials.sessionToken)) {
    return 'Missing or wrong session token.'
  }
  const declared = header(req.headers, 'x-amz-content-sha256')
  if (declared !== undefined && declared !== createHash('sha256').update(req.body).digest('hex')) return 'The body does not match X-Amz-Content-Sha256.'
  const request = new HttpRequest({method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: req.body})
  const signer = new SignatureV4({service, region: region!, credentials, sha256: Sha256, applyChecksum: false})
  const resigned = await signer.sign(request, {signingDate, signableHeaders: new Set(signed)})
  const expected = /Signature=([0-9a-f]{64})$/.exec(String(resigned.headers.authorization))?.[1] ?? ''
  const same = expected.length === signature!.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature!))
  return same ? undefined : 'The signature does not match.'
}
