import {mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {IDENTITY_TTL_MS, identityByAccessKey} from '../../src/aws/identity-cache.js'

describe('identityByAccessKey', () => {
  let dir: string
  let now: number
  let lookups: number
  const lookup = async () => {
    lookups++
    return {account: '111122223333', arn: `arn:aws:iam::111122223333:user/u${lookups}`}
  }
  const creds = (accessKeyId: string) => async () => ({accessKeyId, secretAccessKey: 'SECRET-KEY'})
  const run = (key = 'AKIAONE') => identityByAccessKey(creds(key), lookup, {dir, now: () => now})

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'ssmx-identity-')), 'cache')
    now = Date.parse('2026-01-01T00:00:00Z')
    lookups = 0
  })
  afterEach(() => rmSync(join(dir, '..'), {recursive: true, force: true}))

  it('looks up once per access key id and TTL, in an owner-only file without secrets', async () => {
    const first = await run()
    expect(await run()).to.deep.equal(first)
    expect(lookups).to.equal(1)
    await run('AKIATWO')
    expect(lookups).to.equal(2)
    const files = readdirSync(dir)
    expect(files).to.have.length(2)
    for (const f of files) {
      expect(statSync(join(dir, f)).mode & 0o777).to.equal(0o600)
      const text = readFileSync(join(dir, f), 'utf8')
      expect(text).not.to.include('SECRET-KEY')
      expect(text).not.to.include('AKIAONE')
    }
    now += IDENTITY_TTL_MS + 1
    await run()
    expect(lookups).to.equal(3)
  })

  it('falls back to the lookup when credentials cannot be resolved, and passes its error on', async () => {
    const none = async () => {
      throw new Error('no credentials')
    }
    expect(await identityByAccessKey(none, lookup, {dir, now: () => now})).to.deep.include({account: '111122223333'})
    const failing = () => Promise.reject(new Error('AccessDenied'))
    let caught: unknown
    await identityByAccessKey(creds('AKIATHREE'), failing, {dir, now: () => now}).catch((e) => (caught = e))
    expect(String(caught)).to.include('AccessDenied')
  })
})
