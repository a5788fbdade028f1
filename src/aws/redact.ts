const SECRET_KEY = /token|secret|password|credential|sessionkey|accesskey|privatekey|signature/i

/** A deep copy with every secret-looking value replaced, for logs and --dry-run output. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '<redacted>' : redact(v)]))
  }
  return value
}
