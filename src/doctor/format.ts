import type {CheckStatus, DoctorResult} from './doctor.js'

export const STATUS_SYMBOL: Record<CheckStatus, string> = {ok: '✓', warn: '!', fail: '✗', skip: '–', info: 'i'}

const TITLE_WIDTH = 24

/** One line per check (`✓ title  detail`), its fix lines indented under it, and a verdict. */
export function formatDoctor(r: DoctorResult): string[] {
  const lines: string[] = []
  for (const c of r.checks) {
    lines.push(`${STATUS_SYMBOL[c.status]} ${c.title.padEnd(TITLE_WIDTH)}${c.detail}`)
    for (const f of c.fix) lines.push(`${' '.repeat(TITLE_WIDTH + 2)}→ ${f}`)
  }
  const failed = r.checks.filter((c) => c.status === 'fail').length
  const warned = r.checks.filter((c) => c.status === 'warn').length
  const warnings = warned > 0 ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''
  lines.push(
    '',
    failed > 0
      ? `${failed} problem${failed === 1 ? '' : 's'} block${failed === 1 ? 's' : ''} ssmx connect for profile ${r.profile}${warnings}.`
      : `Nothing blocks ssmx connect for profile ${r.profile}${warnings}.`,
  )
  return lines
}
