/**
 * Session encryption with a KMS data key: GenerateDataKey (64 bytes) under the agent's key with the
 * session and target as encryption context. Bytes 0-31 decrypt what the agent sends, bytes 32-63 encrypt
 * what the client sends. Each ciphertext is AES-256-GCM: nonce(12) || ciphertext || tag(16).
 */
import {createCipheriv, createDecipheriv, randomBytes} from 'node:crypto'

import type {Kms} from '../aws/ports.js'

const NONCE = 12
const TAG = 16

export class SessionCipher {
  constructor(
    private readonly encryptKey: Buffer,
    private readonly decryptKey: Buffer,
    /** the KMS ciphertext of the data key, returned to the agent */
    readonly cipherTextKey: Buffer,
  ) {}

  /** Splits a 64-byte data key the way the client uses it: first half decrypts, second half encrypts. */
  static fromDataKey(plaintext: Uint8Array, cipherTextKey: Uint8Array): SessionCipher {
    const key = Buffer.from(plaintext)
    const half = key.length / 2
    return new SessionCipher(key.subarray(half), key.subarray(0, half), Buffer.from(cipherTextKey))
  }

  encrypt(plain: Buffer): Buffer {
    return sealGcm(this.encryptKey, plain)
  }

  decrypt(sealed: Buffer): Buffer {
    return openGcm(this.decryptKey, sealed)
  }
}

export function sealGcm(key: Buffer, plain: Buffer): Buffer {
  const nonce = randomBytes(NONCE)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()])
}

export function openGcm(key: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < NONCE + TAG) throw new Error('ciphertext too short')
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE))
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG))
  return Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()])
}

export type KmsSend = Pick<Kms, 'generateDataKey'>

export async function generateSessionKey(kms: KmsSend, keyId: string, sessionId: string, targetId: string): Promise<SessionCipher> {
  const out = await kms.generateDataKey({
    KeyId: keyId,
    NumberOfBytes: 64,
    EncryptionContext: {'aws:ssm:SessionId': sessionId, 'aws:ssm:TargetId': targetId},
  })
  if (!out.Plaintext || out.Plaintext.length !== 64 || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no 64-byte key')
  return SessionCipher.fromDataKey(out.Plaintext, out.CiphertextBlob)
}
