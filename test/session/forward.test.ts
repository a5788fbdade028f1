import {expect} from 'chai'

import {SsmxError} from '../../src/errors.js'
import {claimLocalPort, forwardDocument, parseForwardSpec} from '../../src/session/forward.js'

describe('forward: port specs and documents', () => {
  it('parses REMOTE, LOCAL:REMOTE, 0:REMOTE and --local', () => {
    expect(parseForwardSpec('5432')).to.deep.equal({local: 5432, remote: 5432})
    expect(parseForwardSpec('15432:5432')).to.deep.equal({local: 15432, remote: 5432})
    expect(parseForwardSpec('0:5432', {host: ' db.internal '})).to.deep.equal({local: 0, remote: 5432, host: 'db.internal'})
    expect(parseForwardSpec('15432:5432', {local: '0'})).to.deep.equal({local: 0, remote: 5432})
  })

  it('rejects bad ports, a remote 0, host:port specs and an empty --host', () => {
    for (const [spec, options] of [['0'], ['80:70000'], ['a:80'], ['1:2:3'], ['80', {host: ''}]] as Array<[string, {host?: string}?]>) {
      expect(() => parseForwardSpec(spec, options), spec)
        .to.throw(SsmxError)
        .with.property('exitCode', 2)
    }
  })

  it('builds both documents with string-list parameters', () => {
    expect(forwardDocument({local: 8080, remote: 80})).to.deep.equal({
      fixedDocument: 'AWS-StartPortForwardingSession',
      parameters: {portNumber: ['80'], localPortNumber: ['8080']},
    })
    expect(forwardDocument({local: 1, remote: 5432, host: 'db'})).to.deep.equal({
      fixedDocument: 'AWS-StartPortForwardingSessionToRemoteHost',
      parameters: {host: ['db'], portNumber: ['5432'], localPortNumber: ['1']},
    })
  })

  it('claims port 0 as a real free port, and the same port again once released', async () => {
    const port = await claimLocalPort(0)
    expect(port).to.be.above(0)
    expect(await claimLocalPort(port)).to.equal(port)
  })
})
