/**
 * The session handshake: the agent lists actions the client must take (SessionType, KMSEncryption); the
 * client answers every one (success, failure or unsupported) in a HandshakeResponse.
 */
import {CLIENT_VERSION} from './channel.js'
import type {SessionCipher} from './crypto.js'

export const ActionStatus = {success: 1, failed: 2, unsupported: 3} as const

export interface RequestedAction {
  ActionType: string
  ActionParameters?: Record<string, unknown> | null
}

export interface HandshakeRequest {
  AgentVersion?: string
  RequestedClientActions?: RequestedAction[]
}

export interface ProcessedAction {
  ActionType: string
  ActionStatus: number
  ActionResult: unknown
  Error: string
}

export interface HandshakeResponse {
  ClientVersion: string
  ProcessedClientActions: ProcessedAction[]
  Errors: string[]
}

export interface SessionTypeInfo {
  /** Standard_Stream (shell, interactive and non-interactive commands) or Port */
  sessionType: string
  properties: Record<string, unknown>
}

export interface HandshakeOutcome {
  response: HandshakeResponse
  session?: SessionTypeInfo
  cipher?: SessionCipher
}

const SHELL_TYPES = new Set(['Standard_Stream', 'InteractiveCommands', 'NonInteractiveCommands'])

/** Answers every requested action; `makeCipher` is KMS GenerateDataKey for the given key id. */
export async function answerHandshake(request: HandshakeRequest, makeCipher: (keyId: string) => Promise<SessionCipher>): Promise<HandshakeOutcome> {
  const outcome: HandshakeOutcome = {response: {ClientVersion: CLIENT_VERSION, ProcessedClientActions: [], Errors: []}}
  const done = (ActionType: string, status: number, ActionResult: unknown = null, error = '') => {
    outcome.response.ProcessedClientActions.push({ActionType, ActionStatus: status, ActionResult, Error: error})
    if (error) outcome.response.Errors.push(error)
  }
  for (const action of request.RequestedClientActions ?? []) {
    const params = action.ActionParameters ?? {}
    switch (action.ActionType) {
      case 'SessionType': {
        const type = String(params.SessionType ?? '')
        if (SHELL_TYPES.has(type) || type === 'Port') {
          outcome.session = {sessionType: type === 'Port' ? 'Port' : 'Standard_Stream', properties: (params.Properties as Record<string, unknown>) ?? {}}
          done(action.ActionType, ActionStatus.success)
        } else {
          done(action.ActionType, ActionStatus.failed, null, `Failed to process action SessionType: Unknown session type ${type}`)
        }
        break
      }
      case 'KMSEncryption': {
        try {
          outcome.cipher = await makeCipher(String(params.KMSKeyId ?? ''))
          done(action.ActionType, ActionStatus.success, {KMSCipherTextKey: outcome.cipher.cipherTextKey.toString('base64'), KMSCipherTextHash: null})
        } catch (error) {
          done(action.ActionType, ActionStatus.failed, null, `Failed to process action KMSEncryption: ${(error as Error).message}`)
        }
        break
      }
      default:
        done(action.ActionType, ActionStatus.unsupported, null, `Unsupported action ${action.ActionType}`)
    }
  }
  return outcome
}
