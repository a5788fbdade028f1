/**
 * JSON.stringify(value, undefined, 2) in pieces, for a large object to reach stdout without building the whole
 * text: a plain top-level object is written key by key and its arrays element by element; every piece is
 * JSON.stringify's own output, re-indented. Same bytes as JSON.stringify (a test compares them); anything else
 * (a top-level array, toJSON, a primitive) is one piece.
 */
export function* prettyJsonPieces(value: unknown): Generator<string> {
  if (!isPlainObject(value)) {
    const whole = JSON.stringify(value, undefined, 2)
    if (whole !== undefined) yield whole
    return
  }
  let first = true
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v) && typeof (v as {toJSON?: unknown}).toJSON !== 'function') {
      yield `${first ? '{\n' : ',\n'}  ${JSON.stringify(key)}: `
      first = false
      if (v.length === 0) {
        yield '[]'
        continue
      }
      for (let i = 0; i < v.length; i++) yield `${i === 0 ? '[\n' : ',\n'}    ${indent(JSON.stringify(v[i], undefined, 2) ?? 'null', '    ')}`
      yield '\n  ]'
      continue
    }
    const text = JSON.stringify(v, undefined, 2)
    if (text === undefined) continue
    yield `${first ? '{\n' : ',\n'}  ${JSON.stringify(key)}: ${indent(text, '  ')}`
    first = false
  }
  yield first ? '{}' : '\n}'
}

const indent = (text: string, by: string): string => (text.includes('\n') ? text.replaceAll('\n', `\n${by}`) : text)

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  if (typeof (value as {toJSON?: unknown}).toJSON === 'function') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Joins pieces into strings of at least `size` characters (the last one shorter). */
export function* batched(pieces: Iterable<string>, size: number): Generator<string> {
  let buffer = ''
  for (const piece of pieces) {
    buffer += piece
    if (buffer.length >= size) {
      yield buffer
      buffer = ''
    }
  }
  if (buffer) yield buffer
}
