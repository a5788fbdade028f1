import {expect} from 'chai'

import {MessageType, PayloadType, ackedSequence, decodeMessage, encodeAck, encodeMessage} from '../../src/native/message.js'
import {HIGH_WATER_BYTES, Sequencer} from '../../src/native/sequencer.js'

/** A wire that records what the sequencer sends. */
function wire(connected = true) {
  const sent: Buffer[] = []
  return {sent, connected, send: (frame: Buffer) => (sent.push(Buffer.from(frame)), true)}
}

describe('native/sequencer: the send window, acknowledgements and order', () => {
  it('sends at most the congestion window, then one more per acknowledgement, in sequence order', () => {
    const w = wire()
    const s = new Sequencer(w)
    for (let i = 0; i < 100; i++) s.push(PayloadType.output, Buffer.from(`m${i}`))
    expect(w.sent).to.have.length(32)
    expect(w.sent.map((f) => decodeMessage(f).sequenceNumber)).to.deep.equal([...Array(32).keys()])
    s.acknowledged(0)
    expect(w.sent.length).to.be.greaterThan(32)
    expect(decodeMessage(w.sent[32]).payload.toString()).to.equal('m32')
    expect(s.backlog).to.equal(99)
  })

  it('is full at HIGH_WATER_BYTES queued, and says drain once acknowledgements empty it', () => {
    const w = wire(false)
    const s = new Sequencer(w)
    const kib = Buffer.alloc(1024, 1)
    let n = 0
    while (!s.full) {
      s.push(PayloadType.output, kib)
      n++
    }
    expect(n * (1024 + 120)).to.be.at.least(HIGH_WATER_BYTES)
    expect(n).to.be.below(1024)
    let drained = 0
    s.on('drain', () => drained++)
    for (let i = 0; i < n; i++) s.acknowledged(i)
    expect(s.full).to.equal(false)
    expect(s.backlog).to.equal(0)
    expect(drained).to.be.greaterThan(0)
  })

  it('frames built in reused buffers stay intact until acknowledged, and acknowledged ones are reused', () => {
    const sent: Buffer[] = []
    const s = new Sequencer({connected: true, send: (frame) => (sent.push(frame), true)})
    for (let i = 0; i < 20; i++) s.push(PayloadType.output, Buffer.from(`first ${i}`))
    for (let i = 0; i < 10; i++) s.acknowledged(i)
    for (let i = 0; i < 20; i++) s.push(PayloadType.output, Buffer.from(`second ${i}`))
    // the frames of 10..19 (not acknowledged) are the very buffers sent, and still say what they said
    expect(sent.slice(10, 20).map((f) => decodeMessage(f).payload.toString())).to.deep.equal(Array.from({length: 10}, (_, i) => `first ${i + 10}`))
    const firstMemory = new Set(sent.slice(0, 10).map((f) => f.byteOffset))
    const reused = sent.slice(20).filter((f) => f.buffer === sent[0].buffer && firstMemory.has(f.byteOffset))
    expect(reused.length).to.be.greaterThan(0)
  })

  it('one old message left unacknowledged while thousands after it are: the backlog stays exact, the old one is resent, in order', () => {
    const w = wire()
    const s = new Sequencer(w)
    const seqs = (frames: Buffer[]) => frames.map((f) => decodeMessage(f).sequenceNumber)
    // far more than the 1,024 records the outgoing ring starts with, all but message 0 acknowledged as they are sent
    for (let i = 0; i < 5000; i++) {
      s.push(PayloadType.output, Buffer.from(`m${i}`))
      for (const seq of seqs(w.sent.splice(0))) if (seq !== 0) s.acknowledged(seq)
    }
    expect(s.backlog).to.equal(1)
    // a repeated or unknown acknowledgement changes nothing
    s.acknowledged(17)
    s.acknowledged(99_999)
    expect(s.backlog).to.equal(1)
    s.rto = -1
    s.resendDue()
    // resent intact: its reused buffer was not handed to any of the 4,999 after it
    const resent = w.sent.splice(0)
    expect(seqs(resent)).to.deep.equal([0])
    expect(decodeMessage(resent[0]).payload.toString()).to.equal('m0')
    let empty = 0
    s.on('empty', () => empty++)
    s.acknowledged(0)
    expect(s.backlog).to.equal(0)
    expect(empty).to.equal(1)
    // numbering goes on where it was
    s.push(PayloadType.output, Buffer.from('after'))
    expect(seqs(w.sent)).to.deep.equal([5000])
    expect(decodeMessage(w.sent[0]).payload.toString()).to.equal('after')
  })

  it('acknowledges every data message, delivers in order, keeps early ones, drops repeats', () => {
    const w = wire()
    const s = new Sequencer(w)
    const got: number[] = []
    const msg = (seq: number) =>
      decodeMessage(encodeMessage({messageType: MessageType.output, sequenceNumber: seq, payloadType: 1, payload: Buffer.from(`p${seq}`)}))
    for (const seq of [1, 2, 0, 2, 3]) s.received(msg(seq), (m) => got.push(m.sequenceNumber))
    expect(got).to.deep.equal([0, 1, 2, 3])
    expect(w.sent.map((f) => ackedSequence(decodeMessage(f).payload))).to.deep.equal([1, 2, 0, 2, 3])
    expect(s.stats.duplicates).to.equal(1)
  })

  it('leaves messages unacknowledged while the delivered ones wait for a slow reader', () => {
    const w = wire()
    let backedUp = true
    const s = new Sequencer(w, () => backedUp)
    const got: number[] = []
    const m0 = decodeMessage(encodeMessage({messageType: MessageType.output, sequenceNumber: 0, payloadType: 1, payload: Buffer.from('x')}))
    s.received(m0, (m) => got.push(m.sequenceNumber))
    expect(got).to.deep.equal([])
    expect(w.sent).to.have.length(0)
    backedUp = false
    s.received(m0, (m) => got.push(m.sequenceNumber))
    expect(got).to.deep.equal([0])
  })
})

describe('native/message: fast paths', () => {
  it('reads the acknowledged sequence number off the bytes, and odd JSON the slow way', () => {
    const ack = decodeMessage(encodeAck({messageType: 'output_stream_data', messageId: '01234567-89ab-cdef-0011-223344556677', sequenceNumber: 123_456_789}))
    expect(ackedSequence(ack.payload)).to.equal(123_456_789)
    expect(ackedSequence(Buffer.from('{"AcknowledgedMessageSequenceNumber" : 42}'))).to.equal(42)
    expect(ackedSequence(Buffer.from('{"AcknowledgedMessageSequenceNumber":"7"}'))).to.equal(7)
    expect(ackedSequence(Buffer.from('not json'))).to.equal(undefined)
  })

  it('writes a prefix before the payload, into a given buffer, with the digest of both', () => {
    const out = Buffer.alloc(400, 0xee)
    const frame = encodeMessage(
      {messageType: MessageType.input, sequenceNumber: 2 ** 40, payloadType: 1, prefix: Buffer.from('head:'), payload: Buffer.from('body')},
      out,
    )
    expect(frame.buffer).to.equal(out.buffer)
    const m = decodeMessage(frame)
    expect(m.payload.toString()).to.equal('head:body')
    expect(m.sequenceNumber).to.equal(2 ** 40)
    expect(decodeMessage(encodeMessage({messageType: MessageType.input, sequenceNumber: -1})).sequenceNumber).to.equal(-1)
  })
})
