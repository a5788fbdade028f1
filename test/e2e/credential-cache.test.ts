import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import type {FakeAws} from '../support/fake-aws.js'
import {SSO_START_URL, type Sandbox} from '../support/cli.js'
import {INSTANCE, sessionSandbox} from '../support/aws-fixtures.js'

// IAM Identity Center role credentials and the caller identity are cached across runs (src/aws/credential-cache.ts,
// src/aws/identity-cache.ts): a warm connect makes one AWS call, StartSession.
describe('ssmx connect: credentials and identity cached across runs (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox

  beforeEach(async () => {
    ;({fake, box} = await sessionSandbox())
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  const calls = () => fake.requests.map((r) => `${r.service}.${r.operation}`)

  it('a second connect with an SSO profile makes one SSM call and no GetRoleCredentials or STS call', async () => {
    const first = await box.run(['connect', INSTANCE, '--profile', 'dev'])
    expect(first.code, first.stderr).to.equal(0)
    expect(fake.calls('awsssoportal', 'GetRoleCredentials')).to.have.length(1)
    const dir = join(box.home, '.aws', 'ssmx', 'cache')
    expect(statSync(dir).mode & 0o777).to.equal(0o700)
    const files = readdirSync(dir)
    expect(files).to.have.length(1)
    expect(statSync(join(dir, files[0])).mode & 0o777).to.equal(0o600)

    fake.requests.length = 0
    const second = await box.run(['connect', INSTANCE, '--profile', 'dev'])
    expect(second.code, second.stderr).to.equal(0)
    expect(calls()).to.deep.equal(['ssm.StartSession'])
    expect(box.pluginRuns()).to.have.length(2)
  })

  it('static credentials: the caller identity is looked up once per access key', async () => {
    const env = {AWS_ACCESS_KEY_ID: 'AKIAFAKESTATIC', AWS_SECRET_ACCESS_KEY: 'static-secret'}
    const first = await box.run(['connect', INSTANCE], {env})
    expect(first.code, first.stderr).to.equal(0)
    expect(fake.calls('sts', 'GetCallerIdentity')).to.have.length(1)
    fake.requests.length = 0
    const second = await box.run(['connect', INSTANCE], {env})
    expect(second.code, second.stderr).to.equal(0)
    expect(calls()).to.deep.equal(['ssm.StartSession'])
    expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.equal({Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'})
  })

  it('another role is fetched again', async () => {
    box.ssoToken(SSO_START_URL)
    await box.run(['connect', INSTANCE, '--profile', 'dev'])
    const legacy = await box.run(['connect', INSTANCE, '--profile', 'legacy'])
    expect(legacy.code, legacy.stderr).to.equal(0)
    expect(fake.calls('awsssoportal', 'GetRoleCredentials').map((r) => r.input.role_name)).to.deep.equal(['Developer', 'Ops+Admin@eu'])
  })
})
