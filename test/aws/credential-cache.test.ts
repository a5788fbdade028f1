import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, chmodSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {AwsCredentialIdentity} from '@smithy/types'
import {expect} from 'chai'

import {REFRESH_MARGIN_MS, credentialCacheDir, ssoCredentialCache} from '../../src/aws/credential-cache.js'
import type {AwsProfile} from '../../src/aws/profile.js'

const HOUR = 3600_000
const T0 = Date.parse('2026-01-01T00:00:00Z')

const profile = (over: Partial<AwsProfile> = {}): AwsProfile => ({
  name: 'dev',
  ssoSession: 'corp',
  ssoStartUrl: 'https://example.awsapps.com/start',
  ssoRegion: 'us-east-1',
  ssoAccountId: '111122223333',
  ssoRoleName: 'Developer',
  raw: {},
  ...over,
})

describe('ssoCredentialCache', () => {
  let root: string
  let dir: string
  let tokens: string
  let now: number
  let calls: number
  let issued: AwsCredentialIdentity[]

  const tokenFile = (key: string) => join(tokens, `${createHash('sha1').update(key).digest('hex')}.json`)
  const setToken = (session: string, accessToken: string | undefined) => {
    const path = tokenFile(session)
    if (accessToken === undefined) rmSync(path, {force: true})
    else writeFileSync(path, JSON.stringify({accessToken, expiresAt: new Date(now + 8 * HOUR).toISOString()}))
  }
  const inner = async (): Promise<AwsCredentialIdentity> => {
    calls++
    const creds = {
      accessKeyId: `ASIA${calls}`,
      secretAccessKey: `secret-${calls}`,
      sessionToken: `session-${calls}`,
      expiration: new Date(now + HOUR),
      accountId: '111122223333',
    }
    issued.push(creds)
    return creds
  }
  const cache = (p = profile()) => ssoCredentialCache({profile: p, inner, dir, now: () => now, tokenFile})

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ssmx-cred-cache-'))
    dir = join(root, 'cache', 'ssmx')
    tokens = join(root, 'sso')
    mkdirSync(tokens)
    now = T0
    calls = 0
    issued = []
    setToken('corp', 'sso-access-token-SECRET')
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  it('fetches on a miss, then serves later runs (new providers) from disk until the refresh margin', async () => {
    const first = await cache()()
    expect(calls).to.equal(1)
    const second = await cache()()
    expect(calls).to.equal(1)
    expect(second).to.deep.include({
      accessKeyId: first.accessKeyId,
      secretAccessKey: first.secretAccessKey,
      sessionToken: first.sessionToken,
      accountId: '111122223333',
    })
    expect(second.expiration!.getTime()).to.equal(first.expiration!.getTime())

    now = T0 + HOUR - REFRESH_MARGIN_MS - 1000
    await cache()()
    expect(calls, 'still outside the margin').to.equal(1)
    now = T0 + HOUR - REFRESH_MARGIN_MS + 1000
    const renewed = await cache()()
    expect(calls, 'inside the margin: fetched again').to.equal(2)
    expect(renewed.accessKeyId).to.equal('ASIA2')
    now += 1000
    expect((await cache()()).accessKeyId, 'the renewed credentials were written back').to.equal('ASIA2')
    expect(calls).to.equal(2)
  })

  it('shares one fetch between concurrent callers and keeps credentials in memory within a process', async () => {
    const provider = cache()
    const [a, b] = await Promise.all([provider(), provider()])
    expect(a).to.equal(b)
    rmSync(dir, {recursive: true})
    await provider()
    expect(calls).to.equal(1)
  })

  it('keys by account and role: another role or account is a miss', async () => {
    await cache()()
    await cache(profile({ssoRoleName: 'Admin'}))()
    await cache(profile({ssoAccountId: '444455556666'}))()
    expect(calls).to.equal(3)
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).to.have.length(3)
    await cache(profile({name: 'other-name-same-role'}))()
    expect(calls, 'the same session, account and role under another profile name is the same credentials').to.equal(3)
  })

  it('keys by SSO session/start URL and token: a new login or another session is a miss, no token is no cache', async () => {
    await cache()()
    setToken('corp', 'a-new-login-token')
    await cache()()
    expect(calls).to.equal(2)
    setToken('https://other.awsapps.com/start', 'legacy-token')
    await cache(profile({ssoSession: undefined, ssoStartUrl: 'https://other.awsapps.com/start'}))()
    expect(calls).to.equal(3)
    setToken('corp', undefined)
    await cache()()
    await cache()()
    expect(calls, 'logged out: every run asks the SDK (which reports the expired session)').to.equal(5)
  })

  it('writes owner-only files in an owner-only directory, never the SSO access token', async () => {
    await cache()()
    expect(statSync(dir).mode & 0o777).to.equal(0o700)
    const files = readdirSync(dir)
    expect(files).to.have.length(1)
    const path = join(dir, files[0])
    expect(statSync(path).mode & 0o777).to.equal(0o600)
    const text = readFileSync(path, 'utf8')
    expect(text).not.to.include('sso-access-token-SECRET')
    expect(files[0]).not.to.include('corp')
    expect(JSON.parse(text)).to.deep.include({accessKeyId: 'ASIA1', ssoRoleName: 'Developer', ssoAccountId: '111122223333'})
  })

  it('ignores a cache file others can read, and tightens a directory others can read', async () => {
    await cache()()
    const [file] = readdirSync(dir)
    chmodSync(join(dir, file), 0o644)
    chmodSync(dir, 0o755)
    await cache()()
    expect(calls).to.equal(2)
    expect(statSync(dir).mode & 0o777).to.equal(0o700)
    expect(statSync(join(dir, file)).mode & 0o777).to.equal(0o600)
  })

  it('does not cache credentials without an expiry, or already inside the margin, and survives a corrupt file', async () => {
    const noExpiry = ssoCredentialCache({profile: profile(), inner: async () => ({accessKeyId: 'AKIA', secretAccessKey: 's'}), dir, now: () => now, tokenFile})
    expect((await noExpiry()).accessKeyId).to.equal('AKIA')
    expect(() => readdirSync(dir)).to.throw()
    const short = ssoCredentialCache({
      profile: profile(),
      inner: async () => ({accessKeyId: 'ASIAX', secretAccessKey: 's', expiration: new Date(now + 60_000)}),
      dir,
      now: () => now,
      tokenFile,
    })
    await short()
    expect(() => readdirSync(dir)).to.throw()
    await cache()()
    const [file] = readdirSync(dir)
    writeFileSync(join(dir, file), '{not json', {mode: 0o600})
    expect((await cache()()).accessKeyId).to.equal('ASIA2')
  })

  it('lives in $XDG_CACHE_HOME/ssmx, else ~/.aws/ssmx/cache', () => {
    expect(credentialCacheDir({XDG_CACHE_HOME: '/x/cache', HOME: '/home/a'})).to.equal('/x/cache/ssmx')
    expect(credentialCacheDir({HOME: '/home/a'})).to.equal('/home/a/.aws/ssmx/cache')
  })
})
