/**
 * SigV4 computed from scratch with node:crypto (AWS's documented algorithm), independent of the SDK's signer, so a
 * test can check what ssmx signed: the canonical request of a header-signed request with a body.
 */
import {createHash, createHmac} from 'node:crypto'

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest()

export interface ParsedAuthorization {
  accessKeyId: string
  date: string
  region: string
  service: string
  signedHeaders: string[]
  signature: string
}

export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    header ?? '',
  )
  if (!m) return undefined
  return {accessKeyId: m[1], date: m[2], region: m[3], service: m[4], signedHeaders: m[5].split(';'), signature: m[6]}
}

/** The signature a request should carry: method, path, (no query), the signed headers' values, the body. */
export function expectedSignature(o: {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: string
  secretAccessKey: string
  auth: ParsedAuthorization
}): string {
  const amzDate = String(o.headers['x-amz-date'])
  const canonicalHeaders = o.auth.signedHeaders
    .map(
      (h) =>
        `${h}:${String(o.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('')
  const canonicalRequest = [o.method, o.path, '', canonicalHeaders, o.auth.signedHeaders.join(';'), sha256hex(o.body)].join('\n')
  const scope = `${o.auth.date}/${o.auth.region}/${o.auth.service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n')
  const kDate = hmac(`AWS4${o.secretAccessKey}`, o.auth.date)
  const kSigning = hmac(hmac(hmac(kDate, o.auth.region), o.auth.service), 'aws4_request')
  return createHmac('sha256', kSigning).update(stringToSign).digest('hex')
}
