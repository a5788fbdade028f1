import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'

import {expect} from 'chai'

import {websocketMask, websocketUnmask} from '../../src/native/ws-mask.js'

/** RFC 6455 §5.3, a byte at a time: the oracle. */
function reference(data: Buffer, key: Uint8Array): Buffer {
  const out = Buffer.from(data)
  for (let i = 0; i < out.length; i++) out[i] ^= key[i & 3]
  return out
}

describe('websocket masking, a word at a time', () => {
  const key = Uint8Array.from([0x9a, 0x01, 0xfe, 0x37])
  // one ArrayBuffer, views at every alignment: the head, the words and the tail all get exercised
  const backing = randomBytes(4200)
  const lengths = [...Array.from({length: 40}, (_, i) => i), 63, 64, 65, 1029, 4096]

  it('masks into another buffer exactly as the byte-at-a-time rule, at every alignment of source and output', () => {
    for (const length of lengths)
      for (let from = 0; from < 4; from++)
        for (let offset = 0; offset < 10; offset++) {
          const source = backing.subarray(from, from + length)
          const before = Buffer.from(source)
          const output = Buffer.alloc(offset + length + 3, 0xee)
          websocketMask(source, key, output, offset, length)
          expect(output.subarray(offset, offset + length).equals(reference(source, key)), `length ${length}, from ${from}, offset ${offset}`).to.equal(true)
          expect(
            output.subarray(0, offset).every((b) => b === 0xee) && output.subarray(offset + length).every((b) => b === 0xee),
            'bytes outside the range untouched',
          ).to.equal(true)
          expect(source.equals(before), 'the source is left as it was').to.equal(true)
        }
  })

  it('masks in place, and unmasking gives the data back, at every alignment', () => {
    for (const length of lengths)
      for (let from = 0; from < 8; from++) {
        const original = Buffer.from(backing.subarray(from, from + length))
        const data = Buffer.from(backing.subarray(0, from + length)).subarray(from)
        websocketMask(data, key, data, 0, length)
        expect(data.equals(reference(original, key)), `in place, length ${length}, from ${from}`).to.equal(true)
        websocketUnmask(data, key)
        expect(data.equals(original), `unmasked, length ${length}, from ${from}`).to.equal(true)
      }
  })

  /**
   * What `ws` reads of http.websocketMask when `module` loads, in a fresh process (ws reads it once, when it loads):
   * an accessor on node:http records every read and write in order.
   */
  function readsOnLoad(module: URL): string[] {
    const script = `
      import http from 'node:http'
      const seen = []
      let value
      Object.defineProperty(http, 'websocketMask', {configurable: true, get() { seen.push(value ? 'read ours' : 'read nothing'); return value }, set(v) { seen.push('set'); value = v }})
      await import(${JSON.stringify(module.href)})
      console.log(JSON.stringify(seen))`
    return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'}))
  }

  it('is installed before ws loads, so ws masks with it: in the compiled modules and in the shipped bundle', () => {
    // this module looks (nothing there), installs, then ws reads what it installed
    const expected = ['read nothing', 'set', 'read ours']
    expect(readsOnLoad(new URL('../../src/native/transport.js', import.meta.url)), 'dist/src').to.deep.equal(expected)
    const bundle = new URL('../../bundle/lazy/session/native.js', import.meta.url)
    expect(existsSync(bundle), 'the native session chunk of the bundle (npm run build)').to.equal(true)
    expect(readsOnLoad(bundle), 'the bundle').to.deep.equal(expected)
  })
})
