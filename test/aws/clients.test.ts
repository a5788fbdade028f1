import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {EC2Client} from '@aws-sdk/client-ec2'
import {SSMClient, StartSessionCommand, TerminateSessionCommand} from '@aws-sdk/client-ssm'
import {expect} from 'chai'

import {AwsContext, type AwsContextOptions, backoff} from '../../src/aws/clients.js'
import {SsmxError} from '../../src/errors.js'
import {AWS_CONFIG} from '../support/cli.js'
import {AwsFault, FakeAws} from '../support/fake-aws.js'

const CONFIG = `${AWS_CONFIG}
[profile svc]
region = eu-north-1
services = local

[profile bare]
endpoint_url = http://profile-endpoint.test

[services local]
ssm =
  endpoint_url = http://services-ssm.test
`

const credentials = async () => ({accessKeyId: 'AKIDTEST', secretAccessKey: 'SECRET'})

describe('aws/clients AwsContext', () => {
  let home: string
  const create = (options: Partial<AwsContextOptions> = {}, env: NodeJS.ProcessEnv = {}) =>
    AwsContext.create({version: '9.9.9', credentials, ...options, env: {HOME: home, ...env}})

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'ssmx-clients-'))
    mkdirSync(join(home, '.aws'))
    writeFileSync(join(home, '.aws', 'config'), CONFIG)
  })
  after(() => rmSync(home, {recursive: true, force: true}))

  describe("region, in the AWS CLI's order", () => {
    const all = {AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'us-west-2'}
    it('--region first', async () => {
      const ctx = await create({profile: 'dev', region: 'ap-south-1'}, all)
      expect([ctx.region, ctx.regionSource]).to.deep.equal(['ap-south-1', '--region'])
    })
    it('then AWS_REGION', async () => {
      const ctx = await create({profile: 'dev'}, all)
      expect([ctx.region, ctx.regionSource]).to.deep.equal(['us-east-2', 'AWS_REGION'])
    })
    it('then AWS_DEFAULT_REGION (the AWS CLI honours it, the JS SDK does not)', async () => {
      const ctx = await create({profile: 'dev'}, {AWS_DEFAULT_REGION: 'us-west-2'})
      expect([ctx.region, ctx.regionSource]).to.deep.equal(['us-west-2', 'AWS_DEFAULT_REGION'])
    })
    it("then the profile's region", async () => {
      const ctx = await create({profile: 'svc'})
      expect([ctx.region, ctx.regionSource]).to.deep.equal(['eu-north-1', 'profile'])
    })
    it('no region at all is a usage error that says how to set one', async () => {
      const error = (await create({profile: 'bare'}).catch((e: unknown) => e)) as SsmxError
      expect(error).to.be.instanceOf(SsmxError)
      expect(error.code).to.equal('usage')
      expect(error.suggestions.join(' ')).to.include('--region')
    })
    it('the region reaches every client', async () => {
      const ctx = await create({profile: 'dev', region: 'ap-south-1'})
      expect(await ctx.client(SSMClient, 'SSM').config.region()).to.equal('ap-south-1')
    })
  })

  describe('profile', () => {
    it('--profile, then AWS_PROFILE, else default', async () => {
      expect((await create({profile: 'dev'}, {AWS_PROFILE: 'default'})).profile).to.deep.equal({name: 'dev', explicit: true})
      expect((await create({}, {AWS_PROFILE: 'dev'})).profile).to.deep.equal({name: 'dev', explicit: true})
      expect((await create({})).profile).to.deep.equal({name: 'default', explicit: false})
    })
    it('an unknown explicit profile is a credentials error listing the known ones', async () => {
      const error = (await AwsContext.create({version: '1', profile: 'nope', env: {HOME: home}}).catch((e: unknown) => e)) as SsmxError
      expect(error.code).to.equal('credentials')
      expect(error.message).to.equal(`The profile "nope" is not in ${join(home, '.aws', 'config')}.`)
      expect(error.suggestions[0]).to.equal('Known profiles: bare, default, dev, legacy, static, svc')
    })
    it('keeps the profile data for the no-network permission-set path', async () => {
      const ctx = await create({profile: 'dev'})
      expect(ctx.profileData).to.deep.include({ssoRoleName: 'Developer', ssoAccountId: '111122223333'})
    })
  })

  describe('endpoints', () => {
    it('--endpoint-url applies to SSM only by default', async () => {
      const ctx = await create({profile: 'dev', endpointUrl: 'http://flag.test'}, {AWS_ENDPOINT_URL_SSM: 'http://env-ssm.test'})
      expect(ctx.endpointOverride('SSM')).to.equal('http://flag.test')
      expect(ctx.endpointOverride('EC2')).to.equal(undefined)
    })
    it("--endpoint-url applies to the command's own service (endpointService), before its AWS_ENDPOINT_URL_<SERVICE>", async () => {
      const ctx = await create(
        {profile: 'dev', endpointUrl: 'http://flag.test', endpointService: 'CLOUDFORMATION'},
        {AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://env-cfn.test'},
      )
      expect(ctx.endpointOverride('CLOUDFORMATION')).to.equal('http://flag.test')
      expect(ctx.endpointOverride('SSM')).to.equal(undefined)
      expect(ctx.endpointOverride('ORGANIZATIONS')).to.equal(undefined)
    })
    it("then AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the services section, the profile's endpoint_url", async () => {
      const dev = await create({profile: 'dev'}, {AWS_ENDPOINT_URL_SSM: 'http://env-ssm.test', AWS_ENDPOINT_URL: 'http://env.test'})
      expect(dev.endpointOverride('SSM')).to.equal('http://env-ssm.test')
      expect(dev.endpointOverride('STS')).to.equal('http://env.test')
      expect((await create({profile: 'svc'})).endpointOverride('SSM')).to.equal('http://services-ssm.test')
      expect((await create({profile: 'bare', region: 'eu-west-1'})).endpointOverride('EC2')).to.equal('http://profile-endpoint.test')
    })
    it('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores configured endpoints but not --endpoint-url', async () => {
      const env = {AWS_ENDPOINT_URL: 'http://env.test', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true'}
      expect((await create({profile: 'dev'}, env)).endpointOverride('SSM')).to.equal(undefined)
      expect((await create({profile: 'dev', endpointUrl: 'http://flag.test'}, env)).endpointOverride('SSM')).to.equal('http://flag.test')
    })
    it('clients are built with the override', async () => {
      const ctx = await create({profile: 'dev'}, {AWS_ENDPOINT_URL_EC2: 'http://ec2.test:8080'})
      const endpoint = await ctx.client(EC2Client, 'EC2').config.endpoint!()
      expect(endpoint.hostname).to.equal('ec2.test')
    })
  })

  describe('client()', () => {
    it('builds one client per class (and per extra region), with the ssmx user agent', async () => {
      const ctx = await create({profile: 'dev'})
      const ssm = ctx.client(SSMClient, 'SSM')
      expect(ctx.client(SSMClient, 'SSM')).to.equal(ssm)
      expect(ctx.client(SSMClient, 'SSM', {region: 'us-east-1'})).not.to.equal(ssm)
      expect(ssm.config.customUserAgent).to.deep.equal([['ssmx/9.9.9']])
    })

    it('--debug logs each call with its input and outcome (real SDK against a fake AWS)', async () => {
      const fake = await new FakeAws().start()
      try {
        fake.on('ssm', 'StartSession', () => ({SessionId: 's-1', TokenValue: 'TOKEN', StreamUrl: 'wss://x'}))
        fake.on('ssm', 'TerminateSession', () => {
          throw new AwsFault('DoesNotExistException', 'no such session')
        })
        const lines: string[] = []
        const ctx = await create({profile: 'dev', debug: (l) => lines.push(l)}, {AWS_ENDPOINT_URL: fake.url})
        const ssm = ctx.client(SSMClient, 'SSM', {maxAttempts: 1})
        await ssm.send(new StartSessionCommand({Target: 'i-1', Reason: 'why'}))
        await ssm.send(new TerminateSessionCommand({SessionId: 's-1'})).catch(() => undefined)
        expect(lines).to.have.length(4)
        expect(lines[0]).to.equal('→ SSM.StartSession {"Target":"i-1","Reason":"why"}')
        expect(lines[1]).to.match(/^← SSM\.StartSession 200 \d+ms$/)
        expect(lines[2]).to.equal('→ SSM.TerminateSession {"SessionId":"s-1"}')
        expect(lines[3]).to.match(/^← SSM\.TerminateSession DoesNotExistException: no such session \d+ms$/)
        expect(lines.join('\n')).not.to.include('TOKEN')
        expect(fake.calls('ssm', 'StartSession')[0].headers['user-agent']).to.include('ssmx/9.9.9')
      } finally {
        await fake.stop()
      }
    })
  })

  describe('backoff', () => {
    it('grows exponentially from 100 ms with jitter, and never waits more than 5 s', () => {
      expect(backoff(1, () => 1)).to.equal(100)
      expect(backoff(2, () => 1)).to.equal(200)
      expect(backoff(3, () => 0)).to.equal(200)
      expect(backoff(30, () => 1)).to.equal(5000)
      expect(backoff(30, () => 0)).to.equal(2500)
    })
  })
})
