/**
 * The session broker's wire contract: what `ssmx` (client) and the broker Lambda (server, deployed by
 * `ssmx admin enforce` when `admin.broker` is configured) say to each other. One place for both sides;
 * the broker handler ships alone (inline Lambda code), so it may only `import type` from here and must
 * repeat the few runtime constants it needs (a test holds both copies equal).
 *
 * Transport: HTTPS POST of a JSON body to the broker's Lambda function URL (AuthType AWS_IAM), signed
 * with SigV4 (service `lambda`, the URL's region) using the caller's own credentials. The broker reads
 * the caller only from `requestContext.authorizer.iam`, never from the body.
 *
 * Discovery: every account × region where the broker is deployed holds a String SSM parameter
 * BROKER_URL_PARAMETER whose value is the function URL. (SSM reserves names starting with "aws" or "ssm",
 * case-insensitive, including a first path segment such as "/ssmx…"; hence "/session-broker/…".)
 */

/** SSM parameter holding the function URL in each account × region. */
export const BROKER_URL_PARAMETER = '/session-broker/ssmx/url'
/** SSM parameter holding the deployed broker's version (ssmx's package version at render time). */
export const BROKER_VERSION_PARAMETER = '/session-broker/ssmx/version'
/** Largest request body the broker accepts; larger ones get 400 and nothing is started. */
export const BROKER_MAX_BODY_BYTES = 8192

/** What the session is for; the broker maps it to the document (never the caller). */
export type SessionKind = 'shell' | 'port' | 'remote-port' | 'ssh'

/** Document the broker uses for each kind; `shell` uses a document with runAsEnabled: true. */
export const KIND_DOCUMENTS: Record<SessionKind, string> = {
  shell: 'SSM-SessionManagerRunShell',
  port: 'AWS-StartPortForwardingSession',
  'remote-port': 'AWS-StartPortForwardingSessionToRemoteHost',
  ssh: 'AWS-StartSSHSession',
}

export interface StartRequest {
  action: 'start'
  /** an instance id (i-…) or managed node id (mi-…); names are resolved by the client first */
  target: string
  kind: SessionKind
  /** StartSession parameters for port/remote-port/ssh: portNumber, localPortNumber, host (string lists) */
  parameters?: Record<string, string[]>
  /** the user's --reason; the broker prefixes it with the permission set */
  reason?: string
}

export interface DecideRequest {
  action: 'decide'
  target: string
  kind: SessionKind
}

export interface SessionIdRequest {
  action: 'terminate' | 'resume'
  sessionId: string
}

/** For KMS-encrypted sessions (built-in client): the broker calls GenerateDataKey with the session's context. */
export interface DataKeyRequest {
  action: 'datakey'
  sessionId: string
  target: string
  kmsKeyId: string
}

export type BrokerRequest = StartRequest | DecideRequest | SessionIdRequest | DataKeyRequest

/** Who the broker says the caller is and what it decided; in every 200 answer and in refusals. */
export interface BrokerDecision {
  /** the IdC user name (the role session name) */
  user: string
  permissionSet: string
  /** the Linux user sessions run as; absent when refused */
  linuxUser?: string
  /** where linuxUser came from */
  source?: 'user' | 'permission-set' | 'ou-permission-set'
  allowed: boolean
  /** why, in one sentence a user can act on (always set when refused) */
  reason?: string
}

export interface StartResponse extends BrokerDecision {
  sessionId: string
  tokenValue: string
  streamUrl: string
  document: string
  /** the broker's version */
  version: string
}

export interface ResumeResponse {
  sessionId: string
  tokenValue: string
  streamUrl: string
}

export interface TerminateResponse {
  sessionId: string
}

export interface DataKeyResponse {
  /** base64 */
  ciphertextBlob: string
  /** base64 */
  plaintext: string
}

export type DecideResponse = BrokerDecision & {version: string}

/**
 * Every non-2xx answer from the broker itself. (A 403 for a bad or missing signature comes from the
 * function URL service, not the broker, with the body {"Message":"Forbidden"}: no `error` key.)
 *  - 400 bad-request: malformed/oversized body, unknown field, invalid target, ports or parameters
 *  - 403 refused: the caller may not have this (unmapped permission set, not an IdC role of this
 *    account, target not allowed by the caller's own permissions or target rules, not the caller's session)
 *  - 404 not-found: no such session
 *  - 502 upstream: an AWS call the broker made failed (message names it)
 */
export interface BrokerErrorBody {
  error: {
    code: 'bad-request' | 'refused' | 'not-found' | 'upstream'
    message: string
    decision?: BrokerDecision
  }
}
