import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {type AwsClientStub, mockClient} from 'aws-sdk-client-mock'
import {expect} from 'chai'

import type {AwsContext} from '../../src/aws/clients.js'
import type {AwsProfile} from '../../src/aws/profile.js'
import {parseConfig} from '../../src/config/load.js'
import {SsmxError} from '../../src/errors.js'
import {formatWhoami, whoami} from '../../src/identity/whoami.js'
import {PluginMissingError} from '../../src/session/plugin.js'

describe('identity/whoami', () => {
  let sts: AwsClientStub<STSClient>
  // created in before(), not at load time, so the prototype stubs never leak into other files' tests
  before(() => {
    sts = mockClient(STSClient)
  })
  const ctx = (profileData?: Partial<AwsProfile>) =>
    ({
      profile: {name: 'dev', explicit: true},
      region: 'eu-west-1',
      regionSource: 'profile',
      profileData: profileData ? ({name: 'dev', raw: {}, ...profileData} as AwsProfile) : undefined,
      client: (Ctor: new (c: object) => unknown) => new Ctor({region: 'eu-west-1'}),
    }) as unknown as AwsContext
  const plugin = async () => ({path: '/usr/bin/session-manager-plugin', version: '1.2.707.0', envHandoff: true})
  const arn = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/alice'

  beforeEach(() => {
    sts.reset()
    sts.on(GetCallerIdentityCommand).resolves({Account: '111122223333', Arn: arn})
  })
  after(() => sts.restore())

  it('SSO profile: permission set from the profile, principal from STS, document and RunAs user from the configuration', async () => {
    const config = parseConfig({permissionSets: {Developer: {runAsUser: 'dev'}}})
    const r = await whoami({ctx: ctx({ssoRoleName: 'Developer', ssoAccountId: '111122223333'}), config, configFile: '/x/.ssmxrc.yaml', plugin})
    expect(r).to.deep.equal({
      profile: 'dev',
      region: 'eu-west-1',
      regionSource: 'profile',
      account: '111122223333',
      principalArn: arn,
      permissionSet: 'Developer',
      permissionSetSource: 'profile',
      document: 'SSMX-RunAs-Developer',
      documentReason: 'permission-set',
      runAsUser: 'dev',
      configFile: '/x/.ssmxrc.yaml',
      plugin: {path: '/usr/bin/session-manager-plugin', version: '1.2.707.0', envHandoff: true},
      mode: 'documents',
    })
    const lines = formatWhoami(r)
    expect(lines).to.include('permission set Developer (from profile)')
    expect(lines).to.include('runs as        dev')
    expect(lines).to.include('plugin         /usr/bin/session-manager-plugin 1.2.707.0')
  })

  it('a missing plugin is reported, not fatal; an unknown permission set has no RunAs user', async () => {
    const r = await whoami({
      ctx: ctx(),
      config: parseConfig({}),
      plugin: async () => {
        throw new SsmxError('plugin', 'session-manager-plugin is not installed')
      },
    })
    expect(r).to.deep.include({permissionSet: 'Developer', permissionSetSource: 'sts', runAsUser: undefined})
    expect(r.plugin).to.deep.equal({error: 'session-manager-plugin is not installed'})
    const lines = formatWhoami(r)
    expect(lines).to.include('plugin         not found: session-manager-plugin is not installed')
    expect(lines).to.include('permission set Developer (from STS)')
    expect(lines.find((l) => l.startsWith('runs as'))).to.match(/unknown/)
    expect(lines).to.include('config         none (built-in defaults)')
  })

  it('says when sessions use the built-in client: no plugin installed, or native: true', async () => {
    const missing = await whoami({
      ctx: ctx(),
      config: parseConfig({}),
      plugin: async () => Promise.reject(new PluginMissingError('plugin', 'session-manager-plugin is not installed.')),
    })
    expect(missing.plugin).to.deep.equal({error: 'session-manager-plugin is not installed.', builtIn: true})
    expect(formatWhoami(missing)).to.include('plugin         not found: session-manager-plugin is not installed. (sessions use the built-in client)')
    const native = await whoami({
      ctx: ctx(),
      config: parseConfig({native: true}),
      plugin: async () => ({path: '/bin/session-manager-plugin', version: '1.2.707.0', envHandoff: true}),
    })
    expect(native.plugin.builtIn).to.equal(true)
    expect(formatWhoami(native)).to.include('plugin         /bin/session-manager-plugin 1.2.707.0 (not used: native: true, sessions use the built-in client)')
  })

  it("an STS failure is the result's error (with the profile in the next step); without an SSO profile everything but the profile is unavailable", async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Token is expired. SSO session'), {name: 'CredentialsProviderError'}))
    const r = await whoami({ctx: ctx(), config: parseConfig({}), plugin})
    expect(r.error).to.include({code: 'ssoExpired', exitCode: 5})
    expect(r.error?.suggestions[0]).to.include('aws sso login --profile dev')
    expect(r.unavailable).to.deep.equal(['account', 'principalArn', 'permissionSet', 'document', 'runAsUser'])
    expect(r).not.to.have.property('document')
    const lines = formatWhoami(r)
    expect(lines).to.include('profile        dev')
    expect(lines).to.include('document       unavailable (needs AWS: see the error below)')
  })

  it('an STS failure with an SSO profile keeps the local facts: permission set, document, Linux user, account', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com'), {code: 'ENOTFOUND'}))
    const config = parseConfig({permissionSets: {Developer: {runAsUser: 'dev'}}})
    const r = await whoami({ctx: ctx({ssoRoleName: 'Developer', ssoAccountId: '111122223333'}), config, plugin})
    expect(r).to.deep.include({
      account: '111122223333',
      permissionSet: 'Developer',
      permissionSetSource: 'profile',
      document: 'SSMX-RunAs-Developer',
      runAsUser: 'dev',
      unavailable: ['principalArn'],
    })
    expect(r.error?.exitCode).to.be.greaterThan(0)
    const lines = formatWhoami(r)
    expect(lines).to.include('runs as        dev')
    expect(lines).to.include('principal      unavailable (needs AWS: see the error below)')
  })

  it('an old plugin is flagged', () => {
    const lines = formatWhoami({
      profile: 'p',
      region: 'r',
      regionSource: 'AWS_REGION',
      permissionSetSource: 'none',
      document: 'SSM-SessionManagerRunShell',
      documentReason: 'default',
      plugin: {path: '/p', version: '1.2.0.0', envHandoff: false},
      mode: 'documents',
    })
    expect(lines).to.include('plugin         /p 1.2.0.0 (old: token on the command line)')
    expect(lines).to.include('document       SSM-SessionManagerRunShell (account default)')
    expect(lines).to.include('permission set none (not an IAM Identity Center role)')
  })
})
