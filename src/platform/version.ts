/** Dotted version numbers (session-manager-plugin's, the SSM agent's): parsing and ordering. */

/** Parses `1.2.3` / `1.2.707.0`: trimmed, up to four numeric parts, missing parts are 0. */
export function parseVersion(text: string): number[] | undefined {
  const v = text.trim()
  if (!/^\d+(\.\d+){0,3}$/.test(v)) return undefined
  const parts = v.split('.').map(Number)
  while (parts.length < 4) parts.push(0)
  return parts
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b` (both from parseVersion). */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}
