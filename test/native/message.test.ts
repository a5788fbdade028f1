import {createHash, randomUUID} from 'node:crypto'

import {expect} from 'chai'

import {CLIENT_VERSION} from '../../src/native/channel.js'
import {SessionCipher, openGcm, sealGcm} from '../../src/native/crypto.js'
import {answerHandshake} from '../../src/native/handshake.js'
import {
  FrameError,
  MessageType,
  PAYLOAD_OFFSET,
  agentNewerThan,
  decodeMessage,
  detached,
  encodeAck,
  encodeMessage,
  uuidFromWire,
  uuidToWire,
} from '../../src/native/message.js'
import {Cmd, FrameReader, StreamIds, encodeFrame} from '../../src/native/smux.js'

const ID = '01234567-89ab-cdef-0011-223344556677'

/** The frame for input_stream_data seq 5, created 1700000000000, payload "hello" (type 1), built from the documented layout. */
const KNOWN = Buffer.from(
  [
    '00000074', // header length 116
    Buffer.from('input_stream_data'.padEnd(32, ' ')).toString('hex'),
    '00000001', // schema version
    '0000018bcfe56800', // created date, ms
    '0000000000000005', // sequence number
    '0000000000000000', // flags
    '0011223344556677' + '0123456789abcdef', // message id: low 8 bytes, then high 8 bytes
    createHash('sha256').update('hello').digest('hex'),
    '00000001', // payload type
    '00000005', // payload length
    Buffer.from('hello').toString('hex'),
  ].join(''),
  'hex',
)

describe('native/message framing', () => {
  it('encodes the documented layout byte for byte', () => {
    const frame = encodeMessage({
      messageType: MessageType.input,
      createdDate: 1_700_000_000_000,
      sequenceNumber: 5,
      messageId: ID,
      payloadType: 1,
      payload: Buffer.from('hello'),
    })
    expect(frame.toString('hex')).to.equal(KNOWN.toString('hex'))
    expect(PAYLOAD_OFFSET).to.equal(120)
  })

  it('decodes the known vector', () => {
    const m = decodeMessage(KNOWN)
    expect(m).to.deep.include({
      messageType: 'input_stream_data',
      schemaVersion: 1,
      createdDate: 1_700_000_000_000,
      sequenceNumber: 5,
      flags: 0,
      messageId: ID,
      payloadType: 1,
    })
    expect(m.payload.toString()).to.equal('hello')
  })

  it('round-trips messages of every size, including empty payloads and NUL-padded types', () => {
    for (const size of [0, 1, 1023, 1024, 70_000]) {
      const payload = Buffer.alloc(size, 7)
      const m = decodeMessage(encodeMessage({messageType: MessageType.output, sequenceNumber: size, flags: 3, payloadType: 11, payload}))
      expect(m.sequenceNumber).to.equal(size)
      expect(m.payload.equals(payload)).to.equal(true)
    }
    const nul = Buffer.from(KNOWN)
    nul.fill(0, 4 + 'input_stream_data'.length, 36)
    expect(decodeMessage(nul).messageType).to.equal('input_stream_data')
  })

  it('stores UUIDs low half first', () => {
    expect(uuidToWire(ID).toString('hex')).to.equal('00112233445566770123456789abcdef')
    expect(uuidFromWire(uuidToWire(ID))).to.equal(ID)
  })

  it('rejects a corrupted payload, a short frame, a wrong length and a missing date', () => {
    const bad = Buffer.from(KNOWN)
    bad[bad.length - 1] ^= 1
    expect(() => decodeMessage(bad)).to.throw(FrameError, /digest/)
    const digest = Buffer.from(KNOWN)
    digest[90] ^= 1
    expect(() => decodeMessage(digest)).to.throw(FrameError, /digest/)
    expect(() => decodeMessage(KNOWN.subarray(0, 100))).to.throw(FrameError, /shorter/)
    expect(() => decodeMessage(KNOWN.subarray(0, KNOWN.length - 1))).to.throw(FrameError, /length/)
    const noDate = Buffer.from(KNOWN)
    noDate.fill(0, 40, 48)
    expect(() => decodeMessage(noDate)).to.throw(FrameError, /date/)
  })

  it('accepts start/pause_publication without checks, like the plugin', () => {
    const m = decodeMessage(encodeMessage({messageType: MessageType.pausePublication, createdDate: 0}))
    expect(m.messageType).to.equal('pause_publication')
  })

  it('acknowledges with type acknowledge, sequence 0, flags 3 and the JSON the agent expects', () => {
    const ack = decodeMessage(encodeAck({messageType: 'output_stream_data', messageId: ID, sequenceNumber: 42}))
    expect(ack).to.deep.include({messageType: 'acknowledge', sequenceNumber: 0, flags: 3, payloadType: 0})
    expect(JSON.parse(ack.payload.toString())).to.deep.equal({
      AcknowledgedMessageType: 'output_stream_data',
      AcknowledgedMessageId: ID,
      AcknowledgedMessageSequenceNumber: 42,
      IsSequentialMessage: true,
    })
  })

  it("acknowledges a decoded message with its id written from the frame's bytes, the same JSON as from the id's text", () => {
    const ids = [ID, 'ffffffff-ffff-4fff-bfff-ffffffffffff', '00000000-0000-0000-0000-000000000000', randomUUID()]
    for (const [i, id] of ids.entries()) {
      const received = decodeMessage(
        encodeMessage({messageType: MessageType.output, messageId: id, sequenceNumber: 2 ** 40 + i, payloadType: 1, payload: Buffer.from('x')}),
      )
      const fromFrame = encodeAck(received)
      const fromText = encodeAck({messageType: MessageType.output, messageId: id, sequenceNumber: 2 ** 40 + i})
      expect(decodeMessage(fromFrame).payload.toString(), id).to.equal(decodeMessage(fromText).payload.toString())
      expect(JSON.parse(decodeMessage(fromFrame).payload.toString())).to.deep.equal({
        AcknowledgedMessageType: 'output_stream_data',
        AcknowledgedMessageId: id,
        AcknowledgedMessageSequenceNumber: 2 ** 40 + i,
        IsSequentialMessage: true,
      })
      expect(received.messageId).to.equal(id)
    }
    // a message type that needs escaping is escaped, not written raw into the JSON
    expect(
      JSON.parse(decodeMessage(encodeAck({messageType: 'odd"type', messageId: ID, sequenceNumber: 1})).payload.toString()).AcknowledgedMessageType,
    ).to.equal('odd"type')
  })

  it('detached() copies a decoded message: every field, and a payload that shares no memory with the frame', () => {
    const frame = encodeMessage({messageType: MessageType.output, messageId: ID, sequenceNumber: 7, flags: 1, payloadType: 1, payload: Buffer.from('hello')})
    const copy = detached(decodeMessage(frame))
    expect(copy).to.deep.include({messageType: 'output_stream_data', messageId: ID, sequenceNumber: 7, flags: 1, payloadType: 1, schemaVersion: 1})
    frame.fill(0)
    expect(copy.payload.toString()).to.equal('hello')
    expect(copy.messageId).to.equal(ID)
  })

  it('gates features on strictly newer agent versions', () => {
    expect(agentNewerThan('3.0.196.0', '3.0.196.0')).to.equal(false)
    expect(agentNewerThan('3.0.196.1', '3.0.196.0')).to.equal(true)
    expect(agentNewerThan('3.10.0.0', '3.9.0.0')).to.equal(true)
    expect(agentNewerThan('', '3.0.196.0')).to.equal(false)
  })
})

describe('native/smux framing', () => {
  it('writes version 1, the command, little-endian length and stream id', () => {
    expect(encodeFrame(Cmd.psh, 3, Buffer.from('ab')).toString('hex')).to.equal('010202000300000061' + '62')
    expect(encodeFrame(Cmd.syn, 5).toString('hex')).to.equal('0100000005000000')
  })

  it('reassembles frames split anywhere', () => {
    const stream = Buffer.concat([encodeFrame(Cmd.syn, 3), encodeFrame(Cmd.psh, 3, Buffer.alloc(3000, 1)), encodeFrame(Cmd.fin, 3)])
    const reader = new FrameReader()
    const frames = []
    for (let i = 0; i < stream.length; i += 7) frames.push(...reader.push(stream.subarray(i, i + 7)))
    expect(frames.map((f) => [f.cmd, f.sid, f.data.length])).to.deep.equal([
      [Cmd.syn, 3, 0],
      [Cmd.psh, 3, 3000],
      [Cmd.fin, 3, 0],
    ])
  })

  it('numbers client streams 3, 5, 7', () => {
    const ids = new StreamIds()
    expect([ids.next(), ids.next(), ids.next()]).to.deep.equal([3, 5, 7])
  })
})

describe('native/crypto and handshake', () => {
  it('uses the first half of the data key to decrypt and the second to encrypt (AES-256-GCM, nonce first)', () => {
    const key = Buffer.alloc(64)
    for (let i = 0; i < 64; i++) key[i] = i
    const c = SessionCipher.fromDataKey(key, Buffer.from('blob'))
    const sealed = c.encrypt(Buffer.from('secret'))
    expect(sealed.length).to.equal(12 + 6 + 16)
    expect(openGcm(key.subarray(32), sealed).toString()).to.equal('secret')
    expect(c.decrypt(sealGcm(key.subarray(0, 32), Buffer.from('from agent'))).toString()).to.equal('from agent')
    const tampered = Buffer.from(sealed)
    tampered[14] ^= 1
    expect(() => openGcm(key.subarray(32), tampered)).to.throw()
  })

  it('answers every requested action, reporting KMS failures and unknown actions', async () => {
    const outcome = await answerHandshake(
      {
        AgentVersion: '3.3.0.0',
        RequestedClientActions: [
          {ActionType: 'KMSEncryption', ActionParameters: {KMSKeyId: 'k'}},
          {ActionType: 'SessionType', ActionParameters: {SessionType: 'InteractiveCommands', Properties: {}}},
          {ActionType: 'Other'},
        ],
      },
      async () => {
        throw new Error('AccessDeniedException')
      },
    )
    expect(outcome.session).to.deep.equal({sessionType: 'Standard_Stream', properties: {}})
    expect(outcome.response).to.deep.equal({
      ClientVersion: CLIENT_VERSION,
      ProcessedClientActions: [
        {ActionType: 'KMSEncryption', ActionStatus: 2, ActionResult: null, Error: 'Failed to process action KMSEncryption: AccessDeniedException'},
        {ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: ''},
        {ActionType: 'Other', ActionStatus: 3, ActionResult: null, Error: 'Unsupported action Other'},
      ],
      Errors: ['Failed to process action KMSEncryption: AccessDeniedException', 'Unsupported action Other'],
    })
  })
})
