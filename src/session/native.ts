/**
 * The native side of the session seam: runs a started session with the built-in data-channel client
 * (src/native) instead of session-manager-plugin. ResumeSession renews the channel after a drop; KMS is
 * only built when the agent asks for encryption. Loaded with import() where a session needs it, so the plugin
 * path never loads the client, ws or KMS.
 */
import type {AwsContext} from '../aws/clients.js'
import {kms} from '../aws/kms.js'
import type {Ssm} from '../aws/ports.js'
import {SsmxError} from '../errors.js'
import type {KmsSend} from '../native/crypto.js'
import {NativeSessionError, type SessionIo, runNativeSession} from '../native/session.js'
import type {RunResult} from '../platform/process.js'
import type {StartSessionResponse} from './plugin.js'

export interface NativeRun {
  ctx: AwsContext
  ssm: Pick<Ssm, 'resumeSession'>
  response: StartSessionResponse
  target: string
  warn: (line: string) => void
  io?: SessionIo
  openTimeoutMs?: number
  /** ResumeSession for the channel; default: SSM ResumeSession with `ssm` (broker mode: the broker's resume) */
  resume?: () => Promise<{token: string; streamUrl: string} | undefined>
  /** where the KMS data key comes from; default: KMS GenerateDataKey with the user's credentials (broker mode: the broker's datakey) */
  kms?: () => KmsSend
}

export async function runNative(run: NativeRun): Promise<RunResult> {
  const {response} = run
  run.warn(`Starting session with SessionId: ${response.SessionId}`)
  try {
    return await runNativeSession({
      sessionId: response.SessionId,
      streamUrl: response.StreamUrl,
      token: response.TokenValue,
      targetId: run.target,
      kms: run.kms ?? (() => kms(run.ctx)),
      resume:
        run.resume ??
        (async () => {
          const out = await run.ssm.resumeSession(response.SessionId)
          return out.TokenValue ? {token: out.TokenValue, streamUrl: out.StreamUrl ?? response.StreamUrl} : undefined
        }),
      io: run.io,
      openTimeoutMs: run.openTimeoutMs ?? (Number(process.env.SSMX_NATIVE_TIMEOUT_MS) || undefined),
      proxyEnv: run.ctx.proxyEnv,
      warn: run.warn,
      // --debug: the channel's drops, resumes and rejected frames (never tokens)
      debug: run.ctx.options.debug && ((line) => run.ctx.options.debug!(`native: ${line}`)),
    })
  } catch (error) {
    if (!(error instanceof NativeSessionError)) throw error
    throw new SsmxError('session', `Session ${response.SessionId} failed: ${error.message}.`, [
      "Check that the instance's SSM Agent is online (ssm DescribeInstanceInformation) and that nothing blocks websockets to ssmmessages.",
      'Retry; or install session-manager-plugin and run without --native.',
    ])
  }
}
