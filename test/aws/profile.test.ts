import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {configFilePath, credentialsFilePath, findMalformedLine, isSsoProfile, loadAwsFiles, profileName, resolveProfile} from '../../src/aws/profile.js'
import {SsmxError} from '../../src/errors.js'

const CONFIG = `# a comment
[default]
region = eu-west-1

[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = eu-west-1 ; trailing comment
services = local

[profile legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 444455556666
sso_role_name = Ops+Admin@eu

[profile broken-session]
sso_session = missing
sso_role_name = X

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
sso_registration_scopes = sso:account:access

[services local]
ssm =
  endpoint_url = http://127.0.0.1:4566

[profile keys]
endpoint_url = http://localhost:9000
`

describe('aws/profile', () => {
  let home: string
  let env: NodeJS.ProcessEnv

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ssmx-profile-'))
    mkdirSync(join(home, '.aws'))
    env = {HOME: home}
  })
  afterEach(() => rmSync(home, {recursive: true, force: true}))

  const write = (name: string, text: string) => writeFileSync(join(home, '.aws', name), text)

  describe('findMalformedLine', () => {
    it('accepts sections, key = value, indented sub-settings, comments and blank lines', () => {
      expect(findMalformedLine(CONFIG)).to.equal(undefined)
      expect(findMalformedLine('[profile a]\r\nregion=eu-west-1\r\n\r\n; comment\n')).to.equal(undefined)
    })
    it('reports the first line that is none of those, with its number', () => {
      expect(findMalformedLine('[default]\nregion = eu-west-1\nthis is not valid\n')).to.deep.equal({line: 3, text: 'this is not valid'})
      expect(findMalformedLine('[profile dev\nregion = x')).to.deep.equal({line: 1, text: '[profile dev'})
      expect(findMalformedLine('[]\n')).to.deep.equal({line: 1, text: '[]'})
      expect(findMalformedLine('[a]\n= value\n')).to.deep.equal({line: 2, text: '= value'})
    })
  })

  describe('loadAwsFiles + resolveProfile', () => {
    it('resolves the sso_session form through its [sso-session] section, with no network', async () => {
      write('config', CONFIG)
      const files = await loadAwsFiles(env)
      expect(files.configPath).to.equal(join(home, '.aws', 'config'))
      const dev = resolveProfile(files, 'dev')!
      expect(dev).to.deep.include({
        name: 'dev',
        region: 'eu-west-1',
        ssoRoleName: 'Developer',
        ssoAccountId: '111122223333',
        ssoStartUrl: 'https://corp.awsapps.com/start',
        ssoRegion: 'eu-central-1',
        ssoSession: 'corp',
        ssmEndpointUrl: 'http://127.0.0.1:4566',
      })
      expect(isSsoProfile(dev)).to.equal(true)
    })

    it('resolves the legacy form with sso_start_url in the profile; names with + and @ are kept', async () => {
      write('config', CONFIG)
      const legacy = resolveProfile(await loadAwsFiles(env), 'legacy')!
      expect(legacy).to.deep.include({
        ssoRoleName: 'Ops+Admin@eu',
        ssoAccountId: '444455556666',
        ssoStartUrl: 'https://legacy.awsapps.com/start',
        ssoRegion: 'us-east-1',
      })
      expect(legacy.ssoSession).to.equal(undefined)
      expect(isSsoProfile(legacy)).to.equal(true)
    })

    it('a plain profile is not an SSO profile; endpoint_url is read', async () => {
      write('config', CONFIG)
      const files = await loadAwsFiles(env)
      expect(isSsoProfile(resolveProfile(files, 'default'))).to.equal(false)
      expect(resolveProfile(files, 'keys')!.endpointUrl).to.equal('http://localhost:9000')
      expect(isSsoProfile(undefined)).to.equal(false)
    })

    it('merges ~/.aws/credentials into the profiles', async () => {
      write('config', CONFIG)
      write('credentials', '[static]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = SECRET\n[default]\naws_access_key_id = AKIADEFAULT\n')
      const files = await loadAwsFiles(env)
      expect(Object.keys(files.profiles)).to.include.members(['default', 'dev', 'legacy', 'static'])
      expect(resolveProfile(files, 'default')!.raw).to.include({region: 'eu-west-1', aws_access_key_id: 'AKIADEFAULT'})
    })

    it('an unknown profile resolves to undefined', async () => {
      write('config', CONFIG)
      expect(resolveProfile(await loadAwsFiles(env), 'nope')).to.equal(undefined)
    })

    it('missing files are empty, not an error', async () => {
      const files = await loadAwsFiles({HOME: join(home, 'nowhere')})
      expect(files.profiles).to.deep.equal({})
    })

    it('honours AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE', async () => {
      writeFileSync(join(home, 'other-config'), '[profile elsewhere]\nregion = ap-south-1\n')
      const e = {HOME: home, AWS_CONFIG_FILE: join(home, 'other-config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'creds')}
      expect(configFilePath(e)).to.equal(join(home, 'other-config'))
      expect(credentialsFilePath(e)).to.equal(join(home, 'creds'))
      const files = await loadAwsFiles(e)
      expect(resolveProfile(files, 'elsewhere')!.region).to.equal('ap-south-1')
      expect(files.configPath).to.equal(join(home, 'other-config'))
    })

    it('a malformed config file is a config error naming the file and the line', async () => {
      write('config', '[default]\nregion = eu-west-1\nregion eu-west-2\n')
      const error = await loadAwsFiles(env).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).to.be.instanceOf(SsmxError)
      expect((error as SsmxError).code).to.equal('config')
      expect((error as SsmxError).message).to.equal(`${join(home, '.aws', 'config')} line 3 is not valid: "region eu-west-2"`)
    })

    it('a malformed credentials file is reported too', async () => {
      write('credentials', '[default\n')
      const error = (await loadAwsFiles(env).catch((e: unknown) => e)) as SsmxError
      expect(error.code).to.equal('config')
      expect(error.message).to.include(join(home, '.aws', 'credentials'))
    })

    it('a profile naming a missing sso-session is a config error', async () => {
      write('config', CONFIG)
      const files = await loadAwsFiles(env)
      expect(() => resolveProfile(files, 'broken-session')).to.throw(SsmxError, /no \[sso-session missing\] section/)
    })
  })

  describe('profileName', () => {
    it('--profile, then AWS_PROFILE, else default (not explicit)', () => {
      expect(profileName('a', {AWS_PROFILE: 'b'})).to.deep.equal({name: 'a', explicit: true})
      expect(profileName(undefined, {AWS_PROFILE: 'b'})).to.deep.equal({name: 'b', explicit: true})
      expect(profileName(undefined, {})).to.deep.equal({name: 'default', explicit: false})
    })
  })
})
