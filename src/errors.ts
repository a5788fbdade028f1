/**
 * Typed errors. Every error a user can meet carries a message, what to do next, and a stable exit code.
 * Exit codes are part of the CLI's contract: scripts may branch on them, so never renumber one.
 */
export const ExitCode = {
  ok: 0,
  /** an AWS (or other external) error with no better mapping */
  internal: 1,
  /** bad flags or arguments */
  usage: 2,
  /** configuration file (ssmx or ~/.aws/config) invalid */
  config: 3,
  /** no credentials, unknown profile */
  credentials: 4,
  /** SSO token missing or expired */
  ssoExpired: 5,
  /** target id invalid or not found or ambiguous */
  target: 6,
  /** target not connected to SSM */
  targetNotConnected: 7,
  /** AccessDenied from AWS */
  accessDenied: 8,
  /** session-manager-plugin missing or unusable */
  plugin: 9,
  /** session document missing (strict mode) */
  document: 10,
  /** throttled beyond retries, or the service is unavailable */
  throttled: 11,
  /** AWS cannot be reached (offline, DNS, VPN, proxy): the same exit code as an unavailable service */
  unreachable: 11,
  /** an admin deployment or check found something out of compliance or failed */
  compliance: 12,
  /** prerequisite missing for an admin operation */
  prerequisite: 13,
  /** the session's data channel failed (built-in session client) */
  session: 14,
  /** the session broker refused the request (its reason says why and whom to ask) */
  brokerRefused: 15,
  /** a bug in ssmx: an error nobody anticipated (an unmapped AWS error stays `internal`, 1) */
  bug: 70,
  /** the user cancelled (Esc, "no" at a prompt) */
  cancelled: 130,
} as const

export type ExitCodeName = keyof typeof ExitCode

/** Marks SsmxErrors across copies of this module: the fast connect bundle and the picker's ESM chunk each have one. */
const BRAND = Symbol.for('ssmx.SsmxError')

export class SsmxError extends Error {
  readonly [BRAND] = true
  readonly exitCode: number
  readonly code: string
  readonly suggestions: string[]

  constructor(code: ExitCodeName, message: string, suggestions: string[] = [], options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'SsmxError'
    this.code = code
    this.exitCode = ExitCode[code]
    this.suggestions = suggestions
  }
}

/** An SsmxError as `--json` shows it: `{"error": ErrorJson}` on stdout. */
export interface ErrorJson {
  code: string
  message: string
  suggestions: string[]
  exitCode: number
}

export const errorJson = (e: SsmxError): ErrorJson => ({code: e.code, message: e.message, suggestions: e.suggestions, exitCode: e.exitCode})

/** An error as users read it on stderr: ✗ the message, → each thing to try. */
export const errorText = (e: ErrorJson): string => `✗ ${e.message}\n${e.suggestions.map((s) => `  → ${s}\n`).join('')}`

export const isSsmxError = (e: unknown): e is SsmxError =>
  e instanceof SsmxError || (typeof e === 'object' && e !== null && (e as {[BRAND]?: unknown})[BRAND] === true)

/** The AWS SDK's error name (`ThrottlingException`, `AccessDeniedException`, ...) or undefined. */
export const awsErrorName = (e: unknown): string | undefined =>
  e && typeof e === 'object' && 'name' in e && typeof (e as {name: unknown}).name === 'string' ? (e as {name: string}).name : undefined

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e))
