/** Signs a broker request as the client does (SigV4 with the SDK's signer, service `lambda`), for tests. */
import {createHash, createHmac} from 'node:crypto'

import {SignatureV4} from '@smithy/signature-v4'

import type {TestCredentials} from './function-url.js'

const toBytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength)

class Sha256 {
  private hash
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', toBytes(secret)) : createHash('sha256')
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data))
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest()
  }
  reset(): void {}
}

export interface SignedRequest {
  url: string
  headers: Record<string, string>
  body: string
}

export async function signBrokerRequest(
  url: string,
  body: unknown,
  c: Pick<TestCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>,
  o: {region: string; date?: Date; service?: string},
): Promise<SignedRequest> {
  const u = new URL(url)
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const signer = new SignatureV4({
    service: o.service ?? 'lambda',
    region: o.region,
    credentials: {accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? {sessionToken: c.sessionToken} : {})},
    sha256: Sha256,
  })
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: u.protocol,
      hostname: u.hostname,
      port: Number(u.port),
      path: u.pathname,
      query: {},
      headers: {host: u.host, 'content-type': 'application/json'},
      body: text,
    },
    {signingDate: o.date ?? new Date()},
  )
  return {url, headers: signed.headers as Record<string, string>, body: text}
}

export async function post(r: SignedRequest): Promise<{status: number; body: any; text: string}> {
  const res = await fetch(r.url, {method: 'POST', headers: r.headers, body: r.body})
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return {status: res.status, body, text}
}
