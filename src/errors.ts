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
  readonly code: ExitCodeName
  readonly suggestions: string[]
  /**
   * A command's result that still ends non-zero (admin status out of compliance, doctor finding a blocker): with
   * --json it is the answer printed instead of the {"error": …} object.
   */
  readonly result?: unknown
  /** the command's own output already said what failed: no ✗ line on stderr (the exit code still tells) */
  readonly shown: boolean

  constructor(code: ExitCodeName, message: string, suggestions: string[] = [], options?: {cause?: unknown; result?: unknown; shown?: boolean}) {
    super(message, options?.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'SsmxError'
    this.code = code
    this.exitCode = ExitCode[code]
    this.suggestions = suggestions
    if (options?.result !== undefined) this.result = options.result
    this.shown = options?.shown ?? false
  }
}

/** An SsmxError as `--json` shows it: `{"error": ErrorJson}` on stdout. */
export interface ErrorJson {
  code: ExitCodeName
  message: string
  suggestions: string[]
  exitCode: number
}

export const errorJson = (e: SsmxError): ErrorJson => ({code: e.code, message: e.message, suggestions: e.suggestions, exitCode: e.exitCode})

/** The SsmxError an ErrorJson describes (whoami keeps one in its result). */
export const fromErrorJson = (e: ErrorJson, options?: {result?: unknown; shown?: boolean}): SsmxError =>
  new SsmxError(e.code, e.message, e.suggestions, options)

/**
 * A command's partial result that ends non-zero: with --json its answer is the result with the error beside it
 * (`{...result, "error": …}`); without, the error as usual.
 */
export function failedWith(result: object, code: ExitCodeName, message: string, suggestions: string[] = []): SsmxError {
  return new SsmxError(code, message, suggestions, {result: {...result, error: errorJson(new SsmxError(code, message, suggestions))}})
}

/** An error as users read it on stderr: ✗ the message, → each thing to try. */
export const errorText = (e: ErrorJson): string => `✗ ${e.message}\n${e.suggestions.map((s) => `  → ${s}\n`).join('')}`

export const isSsmxError = (e: unknown): e is SsmxError =>
  e instanceof SsmxError || (typeof e === 'object' && e !== null && (e as {[BRAND]?: unknown})[BRAND] === true)

/** The AWS SDK's error name (`ThrottlingException`, `AccessDeniedException`, ...) or undefined. */
export const awsErrorName = (e: unknown): string | undefined =>
  e && typeof e === 'object' && 'name' in e && typeof (e as {name: unknown}).name === 'string' ? (e as {name: string}).name : undefined

/** Node's codes for a request that never reached its server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED'])

/**
 * Did AWS (or the way there) say this, rather than ssmx: a service error (the SDK's ServiceException carries
 * `$metadata`/`$fault`), a credential or token provider's error, or a network error on the way to AWS.
 * Such an error with no better mapping is `internal` (1); anything else unexpected is a `bug` (70).
 */
export function isAwsError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false
  if ('$metadata' in e || '$fault' in e || '$response' in e || '$responseBodyText' in e) return true
  const name = awsErrorName(e) ?? ''
  if (/^(CredentialsProviderError|TokenProviderError|ProviderError|TimeoutError|RequestTimeout)$/.test(name)) return true
  const code = (e as {code?: unknown}).code
  return typeof code === 'string' && NETWORK_CODES.has(code)
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** JavaScript's own errors for code that went wrong (not AWS, not the user): a bug wherever they surface. */
const PROGRAMMING_ERRORS = new Set(['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'EvalError', 'URIError', 'AssertionError'])

/** (The SDK's parser marks a SyntaxError over a garbled response with `$responseBodyText`: that one is AWS's.) */
export const isProgrammingError = (e: unknown): boolean => e instanceof Error && PROGRAMMING_ERRORS.has(e.name) && !isAwsError(e)

/** An error nobody anticipated, as users meet it: exit `bug` (70), how to report it; the stack goes to --debug. */
export function bugError(error: unknown): SsmxError {
  return new SsmxError(
    'bug',
    `Unexpected error: ${errorMessage(error)}`,
    [
      'This is a bug in ssmx. Please report it with the command you ran, the output of ssmx --version, and the output of the same command with --debug (it shows where the error came from).',
    ],
    {cause: error},
  )
}
