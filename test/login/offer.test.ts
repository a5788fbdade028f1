import {PassThrough} from 'node:stream'

import {expect} from 'chai'

import {SsmxError} from '../../src/errors.js'
import {withLoginOffer} from '../../src/login/offer.js'
import {confirm} from '../../src/ui/confirm.js'

describe('withLoginOffer', () => {
  const expired = new SsmxError('ssoExpired', 'The SSO session for profile "dev" is missing or expired.', ['Run: ssmx login'])

  it('asks on an expired session, logs in, and runs again', async () => {
    const asked: string[] = []
    let runs = 0
    let logins = 0
    const result = await withLoginOffer(
      async () => {
        if (runs++ === 0) throw expired
        return 'connected'
      },
      {interactive: true, ask: async (q) => (asked.push(q), true), login: async () => logins++},
    )
    expect(result).to.equal('connected')
    expect([runs, logins]).to.deep.equal([2, 1])
    expect(asked).to.deep.equal(['The SSO session for profile "dev" is missing or expired. Log in now? [Y/n] '])
  })

  it('rethrows the original error on "no", without a terminal, and for other errors', async () => {
    const other = new SsmxError('target', 'not found')
    for (const [error, interactive, answer] of [
      [expired, true, false],
      [expired, false, true],
      [other, true, true],
    ] as const) {
      let logins = 0
      const thrown = await withLoginOffer(() => Promise.reject(error), {interactive, ask: async () => answer, login: async () => logins++}).catch((e) => e)
      expect(thrown).to.equal(error)
      expect(logins).to.equal(0)
    }
  })
})

describe('confirm', () => {
  const answer = async (text: string | undefined) => {
    const input = new PassThrough()
    const output = new PassThrough()
    const pending = confirm('Log in now? [Y/n] ', {input, output})
    if (text === undefined) input.end()
    else input.write(text)
    return pending
  }

  it('Enter and y/yes mean yes; n and end of input mean no', async () => {
    expect(await answer('\n')).to.equal(true)
    expect(await answer('Y\n')).to.equal(true)
    expect(await answer('yes\n')).to.equal(true)
    expect(await answer('n\n')).to.equal(false)
    expect(await answer(undefined)).to.equal(false)
  })
})
