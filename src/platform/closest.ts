import levenshtein from 'fast-levenshtein'

/**
 * The candidate closest to what the user typed, for "did you mean …?": case and separators are ignored first
 * (runasuser → runAsUser), then the nearest by edit distance, if it is near enough to be a typo (at most a third of
 * the word, and at least one character). Undefined when nothing is close.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replaceAll(/[-_: ]/g, '')
  const exact = candidates.find((c) => fold(c) === fold(typed))
  if (exact) return exact
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = levenshtein.get(fold(typed), fold(candidate))
    if (!best || distance < best.distance) best = {candidate, distance}
  }
  return best && best.distance <= Math.max(1, Math.floor(fold(typed).length / 3)) ? best.candidate : undefined
}
