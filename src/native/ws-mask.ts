/**
 * WebSocket masking 32 bits at a time. Every frame a client sends is XORed with a random 4-byte key (RFC 6455
 * §5.3); without its optional native add-on (bufferutil, which needs an install script) `ws` does it a byte at a
 * time in JavaScript: a tenth of the data channel's CPU. When it loads, ws (lib/buffer-util.js) takes Node's own
 * `http.websocketMask` and `http.websocketUnmask` if Node has them; until Node does, importing this module before
 * `ws` supplies them. The keys stay ws's random ones: only the XOR is faster. Node's own functions, once it has
 * them, win.
 */
import {createRequire} from 'node:module'

const word = new Uint32Array(1)
const wordBytes = new Uint8Array(word.buffer)

/** The 4 key bytes from key index `phase` on, read as one native-endian 32-bit word (endianness-agnostic). */
function keyWord(key: Uint8Array, phase: number): number {
  for (let i = 0; i < 4; i++) wordBytes[i] = key[(phase + i) & 3]
  return word[0]
}

/** XORs `length` bytes of `data` from `start` with the key, key byte 0 at `start`. */
function xorInPlace(data: Buffer, key: Uint8Array, start: number, length: number): void {
  const end = start + length
  let i = start
  // bytes up to a 4-byte boundary of the underlying memory, then whole words, then the rest
  const head = Math.min(end, start + ((4 - ((data.byteOffset + start) & 3)) & 3))
  for (; i < head; i++) data[i] ^= key[(i - start) & 3]
  const words = (end - i) >>> 2
  if (words > 0) {
    const k = keyWord(key, i - start)
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words)
    for (let w = 0; w < words; w++) view[w] ^= k
    i += words * 4
  }
  for (; i < end; i++) data[i] ^= key[(i - start) & 3]
}

/** ws's mask(source, mask, output, offset, length): `output[offset…]` = the first `length` bytes of source, masked. */
export function websocketMask(source: Buffer, key: Uint8Array, output: Buffer, offset: number, length: number): void {
  if (source !== output || offset !== 0) source.copy(output, offset, 0, length)
  xorInPlace(output, key, offset, length)
}

/** ws's unmask(buffer, mask), in place. */
export function websocketUnmask(buffer: Buffer, key: Uint8Array): void {
  xorInPlace(buffer, key, 0, buffer.length)
}

const http = createRequire(import.meta.url)('node:http') as Record<string, unknown>
if (typeof http.websocketMask !== 'function') {
  http.websocketMask = websocketMask
  http.websocketUnmask = websocketUnmask
}
