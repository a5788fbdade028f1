import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {MAX_ATTEMPTS} from '../../src/aws/clients.js'
import {ExitCode} from '../../src/errors.js'
import {AwsFault, FakeAws, type RecordedRequest, toXml} from '../support/fake-aws.js'
import {AWS_CONFIG, SSO_START_URL, Sandbox} from '../support/cli.js'
import {INSTANCE, SESSION, describeInstances, sessionSandbox} from '../support/aws-fixtures.js'

/** The region a request was signed for (SigV4 credential scope). */
const signingRegion = (r: RecordedRequest): string | undefined => /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(r.headers.authorization ?? ''))?.[1]

const ENV_CREDENTIALS = {AWS_ACCESS_KEY_ID: 'AKIAENVFAKE', AWS_SECRET_ACCESS_KEY: 'ENV-SECRET-KEY'}
const ORIGINAL_ARGS = (doc: string) => JSON.stringify({Target: INSTANCE, DocumentName: doc})

describe('ssmx connect (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox

  beforeEach(async () => {
    ;({fake, box} = await sessionSandbox())
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  const everything = (r: {stdout: string; stderr: string}) => r.stdout + r.stderr

  describe('the hand-off to session-manager-plugin', () => {
    it('starts the per-role document of the sso_session profile and hands the plugin all seven arguments, token in the environment only', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code, r.stderr).to.equal(0)
      const starts = fake.calls('ssm', 'StartSession')
      expect(starts).to.have.length(1)
      expect(starts[0].input).to.deep.equal({Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'})
      expect(fake.calls('sts'), 'the SSO profile names the permission set: no STS call').to.have.length(0)
      const [run] = box.pluginRuns()
      expect(run.args).to.deep.equal(['AWS_SSM_START_SESSION_RESPONSE', 'eu-west-1', 'StartSession', 'dev', ORIGINAL_ARGS('SSMX-RunAs-Developer'), fake.url])
      expect(JSON.parse(run.env!.AWS_SSM_START_SESSION_RESPONSE)).to.deep.equal(SESSION)
      expect(run.args!.join(' ')).not.to.include(SESSION.TokenValue)
      expect(everything(r)).not.to.include(SESSION.TokenValue)
      expect(fake.calls('ssm', 'TerminateSession'), 'a clean exit leaves the session to the plugin').to.have.length(0)
      expect(starts[0].headers['user-agent']).to.match(/ssmx\/\d+\.\d+\.\d+/)
    })

    it('uses the legacy SSO profile form: permission set Ops+Admin@eu → SSMX-RunAs-Ops_Admin_eu', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'legacy'])
      expect(r.code, r.stderr).to.equal(0)
      expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.equal({Target: INSTANCE, DocumentName: 'SSMX-RunAs-Ops_Admin_eu'})
      expect(fake.calls('sts')).to.have.length(0)
      const [run] = box.pluginRuns()
      expect(run.args![3]).to.equal('legacy')
      expect(run.args![4]).to.equal(ORIGINAL_ARGS('SSMX-RunAs-Ops_Admin_eu'))
    })

    it('derives the permission set from STS for static environment credentials, and passes "" as the profile', async () => {
      fake.on('sts', 'GetCallerIdentity', () =>
        toXml({Arn: 'arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_Data.Eng_0123456789abcdef/bob', UserId: 'AROA:bob', Account: '444455556666'}),
      )
      const r = await box.run(['connect', INSTANCE], {env: ENV_CREDENTIALS})
      expect(r.code, r.stderr).to.equal(0)
      expect(fake.calls('sts', 'GetCallerIdentity')).to.have.length(1)
      expect(fake.calls('awsssoportal'), 'environment credentials, not SSO').to.have.length(0)
      expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.equal({Target: INSTANCE, DocumentName: 'SSMX-RunAs-Data.Eng'})
      expect(box.pluginRuns()[0].args![3]).to.equal('')
    })

    it('passes --reason to StartSession and on to the plugin parameters', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--reason', 'JIRA-123 disk full'])
      expect(r.code, r.stderr).to.equal(0)
      const expected = {Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer', Reason: 'JIRA-123 disk full'}
      expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.equal(expected)
      expect(JSON.parse(box.pluginRuns()[0].args![4])).to.deep.equal(expected)
    })

    it('--document overrides the permission set and needs no identity', async () => {
      const r = await box.run(['connect', INSTANCE, '--document', 'Team-Shell'], {env: ENV_CREDENTIALS})
      expect(r.code, r.stderr).to.equal(0)
      expect(fake.calls('sts')).to.have.length(0)
      expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.equal({Target: INSTANCE, DocumentName: 'Team-Shell'})
    })

    it('gives an old plugin (1.2.0.0) the response JSON as argv[1], with a warning', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env: {FAKE_PLUGIN_VERSION: '1.2.0.0'}})
      expect(r.code, r.stderr).to.equal(0)
      const [run] = box.pluginRuns()
      expect(JSON.parse(run.args![0])).to.deep.equal(SESSION)
      expect(run.args).to.have.length(6)
      expect(run.args!.slice(1)).to.deep.equal(['eu-west-1', 'StartSession', 'dev', ORIGINAL_ARGS('SSMX-RunAs-Developer'), fake.url])
      expect(run.env).not.to.have.property('AWS_SSM_START_SESSION_RESPONSE')
      expect(r.stderr).to.match(/warning: session-manager-plugin 1\.2\.0\.0 is not newer than 1\.2\.497\.0/)
      expect(r.stderr).not.to.include(SESSION.TokenValue)
    })

    it("propagates a failing plugin's exit code and terminates the session", async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env: {FAKE_PLUGIN_EXIT: '3'}})
      expect(r.code).to.equal(3)
      expect(fake.calls('ssm', 'TerminateSession').map((c) => c.input)).to.deep.equal([{SessionId: SESSION.SessionId}])
      expect(everything(r)).not.to.include(SESSION.TokenValue)
    })

    it('checks the plugin before StartSession: a missing plugin starts nothing and prints install steps', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env: {SSMX_PLUGIN_PATH: `${box.home}/nowhere/session-manager-plugin`}})
      expect(r.code).to.equal(ExitCode.plugin)
      expect(r.stderr).to.include('session-manager-plugin')
      expect(r.stderr).to.match(/dpkg|yum|brew|winget/)
      expect(fake.calls('ssm')).to.have.length(0)
    })
  })

  describe('which document', () => {
    const invalidDocument = (input: Record<string, unknown>) => {
      if (input.DocumentName) throw new AwsFault('InvalidDocument', `Document ${String(input.DocumentName)} does not exist.`)
      return SESSION
    }

    it('falls back to the default document with a one-line warning when the per-role document is missing', async () => {
      fake.on('ssm', 'StartSession', invalidDocument)
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code, r.stderr).to.equal(0)
      expect(fake.calls('ssm', 'StartSession').map((c) => c.input)).to.deep.equal([
        {Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'},
        {Target: INSTANCE},
      ])
      const warnings = r.stderr.split('\n').filter((l) => l.includes('SSMX-RunAs-Developer'))
      expect(warnings).to.have.length(1)
      expect(warnings[0]).to.match(/^warning: .*does not exist.*SSM-SessionManagerRunShell/)
      expect(JSON.parse(box.pluginRuns()[0].args![4])).to.deep.equal({Target: INSTANCE})
    })

    it('strict mode fails with a clear error instead of falling back', async () => {
      fake.on('ssm', 'StartSession', invalidDocument)
      box.file('.ssmxrc.yaml', 'strict: true\n')
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.document)
      expect(r.stderr).to.include('SSMX-RunAs-Developer')
      expect(r.stderr).to.match(/does not exist/)
      expect(fake.calls('ssm', 'StartSession')).to.have.length(1)
      expect(box.pluginRuns()).to.have.length(0)
    })

    it('uses the document and prefix from the configuration', async () => {
      box.file('.ssmxrc.yaml', 'documentPrefix: Corp-\npermissionSets:\n  Ops+Admin@eu:\n    runAsUser: ops\n    document: Ops-Shell\n')
      const dev = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      const legacy = await box.run(['connect', INSTANCE, '--profile', 'legacy'])
      expect(dev.code, dev.stderr).to.equal(0)
      expect(legacy.code, legacy.stderr).to.equal(0)
      expect(fake.calls('ssm', 'StartSession').map((c) => c.input.DocumentName)).to.deep.equal(['Corp-Developer', 'Ops-Shell'])
    })
  })

  describe('which target', () => {
    const instances = [
      {id: INSTANCE, name: 'web-1', ip: '10.0.0.5'},
      {id: 'i-0aaaaaaaaaaaaaaa1', name: 'api', ip: '10.0.0.6'},
      {id: 'i-0aaaaaaaaaaaaaaa2', name: 'api', ip: '10.0.0.7'},
    ]

    it('resolves a Name tag through EC2 DescribeInstances', async () => {
      fake.on('ec2', 'DescribeInstances', describeInstances(instances))
      const r = await box.run(['connect', 'web-1', '--profile', 'dev'])
      expect(r.code, r.stderr).to.equal(0)
      const [call] = fake.calls('ec2', 'DescribeInstances')
      expect(call.input).to.include({'Filter.1.Name': 'tag:Name', 'Filter.1.Value.1': 'web-1'})
      expect(fake.calls('ssm', 'StartSession')[0].input.Target).to.equal(INSTANCE)
    })

    it('lists several matches and starts nothing when stdin is not a terminal', async () => {
      fake.on('ec2', 'DescribeInstances', describeInstances(instances))
      const r = await box.run(['connect', 'api', '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.target)
      expect(r.stderr).to.include('i-0aaaaaaaaaaaaaaa1').and.to.include('i-0aaaaaaaaaaaaaaa2').and.to.include('10.0.0.7')
      expect(fake.calls('ssm')).to.have.length(0)
    })

    it('reports a target that matches nothing', async () => {
      fake.on('ec2', 'DescribeInstances', describeInstances(instances))
      const r = await box.run(['connect', 'db-9', '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.target)
      expect(r.stderr).to.match(/No running instance matches Name tag "db-9"/)
      expect(r.stderr).to.match(/→ /)
    })

    it('rejects an invalid instance id without any AWS call', async () => {
      const r = await box.run(['connect', 'i-12345', '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.target)
      expect(r.stderr).to.match(/"i-12345" is not a valid instance id/)
      expect(fake.requests).to.have.length(0)
    })

    it('reports an invalid instance id before anything else: no region, no profile needed to see the typo', async () => {
      box.awsConfig('')
      for (const args of [
        ['connect', 'i-12345'],
        ['forward', 'i-12345', '80'],
        ['ssh-proxy', 'i-12345', '22'],
        ['ssh', 'ec2-user@i-12345'],
        ['connect', 'i-12345', '--profile', 'nope'],
      ]) {
        const r = await box.run(args)
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(ExitCode.target)
        expect(r.stderr).to.match(/"i-12345" is not a valid instance id/)
      }
      expect(fake.requests).to.have.length(0)
    })
  })

  describe('region and endpoints', () => {
    it("honours AWS_DEFAULT_REGION (which the JS SDK ignores) over the profile's region, and --region over both", async () => {
      const env = await box.run(['connect', INSTANCE, '--profile', 'dev'], {env: {AWS_DEFAULT_REGION: 'us-west-2'}})
      expect(env.code, env.stderr).to.equal(0)
      const flag = await box.run(['connect', INSTANCE, '--profile', 'dev', '--region', 'ap-south-1'], {
        env: {AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'us-west-2'},
      })
      expect(flag.code, flag.stderr).to.equal(0)
      expect(fake.calls('ssm', 'StartSession').map(signingRegion)).to.deep.equal(['us-west-2', 'ap-south-1'])
      expect(box.pluginRuns().map((run) => run.args![1])).to.deep.equal(['us-west-2', 'ap-south-1'])
    })

    it('sends SSM to --endpoint-url and gives the plugin that endpoint as its last argument', async () => {
      const ssm = await new FakeAws().start()
      try {
        ssm.on('ssm', 'StartSession', () => SESSION)
        const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--endpoint-url', `${ssm.url}/`])
        expect(r.code, r.stderr).to.equal(0)
        expect(ssm.calls('ssm', 'StartSession')).to.have.length(1)
        expect(fake.calls('ssm')).to.have.length(0)
        expect(box.pluginRuns()[0].args![5]).to.equal(ssm.url)
      } finally {
        await ssm.stop()
      }
    })

    it('honours AWS_ENDPOINT_URL_SSM for SSM only', async () => {
      const ssm = await new FakeAws().start()
      try {
        ssm.on('ssm', 'StartSession', () => SESSION)
        fake.on('ec2', 'DescribeInstances', describeInstances([{id: INSTANCE, name: 'web-1'}]))
        const r = await box.run(['connect', 'web-1', '--profile', 'dev'], {env: {AWS_ENDPOINT_URL_SSM: ssm.url}})
        expect(r.code, r.stderr).to.equal(0)
        expect(ssm.calls('ssm', 'StartSession')).to.have.length(1)
        expect(fake.calls('ec2', 'DescribeInstances')).to.have.length(1)
        expect(box.pluginRuns()[0].args![5]).to.equal(ssm.url)
      } finally {
        await ssm.stop()
      }
    })
  })

  describe('--dry-run and --debug', () => {
    it('--dry-run prints identity, target, document, request and plugin command, and starts nothing', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--dry-run'])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.include('permission set Developer (from profile)')
      expect(r.stdout).to.include(INSTANCE)
      expect(r.stdout).to.include('SSMX-RunAs-Developer')
      expect(r.stdout).to.include('SSM StartSession')
      expect(r.stdout).to.match(/session-manager-plugin AWS_SSM_START_SESSION_RESPONSE eu-west-1 StartSession dev /)
      expect(fake.calls('ssm')).to.have.length(0)
      expect(box.pluginRuns()).to.have.length(0)
      expect(everything(r)).not.to.match(/SECRET/)
    })

    it('--dry-run with an old plugin shows the response on the command line, token redacted', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev', '--dry-run'], {env: {FAKE_PLUGIN_VERSION: '1.2.0.0'}})
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.include('<redacted>')
      expect(everything(r)).not.to.match(/SECRET/)
    })

    it('--debug logs every AWS call and never a secret', async () => {
      const sso = await box.run(['connect', INSTANCE, '--profile', 'dev', '--debug'], {env: {FAKE_PLUGIN_EXIT: '2'}})
      expect(sso.code).to.equal(2)
      expect(sso.stderr).to.match(/\[debug\] → SSM\.StartSession \{"Target":"i-0123456789abcdef0","DocumentName":"SSMX-RunAs-Developer"\}/)
      expect(sso.stderr).to.match(/\[debug\] ← SSM\.StartSession 200/)
      expect(sso.stderr).to.match(/\[debug\] → SSM\.TerminateSession/)
      const env = await box.run(['connect', INSTANCE, '--debug'], {env: ENV_CREDENTIALS})
      expect(env.code, env.stderr).to.equal(0)
      expect(env.stderr).to.match(/\[debug\] → STS\.GetCallerIdentity/)
      fake.on('ssm', 'StartSession', () => {
        throw new AwsFault('AccessDeniedException', 'not allowed')
      })
      const failed = await box.run(['connect', INSTANCE, '--profile', 'dev', '--debug'])
      expect(failed.code).to.equal(ExitCode.accessDenied)
      expect(failed.stderr).to.match(/\[debug\] cause: /)
      for (const r of [sso, env, failed]) expect(everything(r)).not.to.match(/SECRET|ASIAFAKE|AKIAENVFAKE/)
    })
  })

  describe('errors users will hit', () => {
    const failing =
      (code: string, message = code, status = 400) =>
      () => {
        throw new AwsFault(code, message, status)
      }

    it('expired SSO token (sso_session form): exit code and "aws sso login --profile dev"', async () => {
      box.ssoToken('corp', {expiresAt: new Date(Date.now() - 3600_000)})
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.ssoExpired)
      expect(r.stderr).to.include('The SSO session for profile "dev" is missing or expired.')
      expect(r.stderr).to.match(/→ The sign-in has expired\./)
      expect(r.stderr).to.include('aws sso login --profile dev')
      expect(fake.calls('ssm')).to.have.length(0)
      expect(everything(r)).not.to.match(/SECRET/)
    })

    it('expired SSO token (legacy form)', async () => {
      box.ssoToken(SSO_START_URL, {expiresAt: new Date(Date.now() - 3600_000)})
      const r = await box.run(['connect', INSTANCE, '--profile', 'legacy'])
      expect(r.code).to.equal(ExitCode.ssoExpired)
      expect(r.stderr).to.include('aws sso login --profile legacy')
    })

    it('missing SSO token: not signed in', async () => {
      const fresh = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
      try {
        const r = await fresh.run(['connect', INSTANCE, '--profile', 'dev'])
        expect(r.code).to.equal(ExitCode.ssoExpired)
        expect(r.stderr).to.match(/→ No valid SSO token is cached for it \(not signed in/)
        expect(r.stderr).to.include('aws sso login --profile dev')
      } finally {
        fresh.cleanup()
      }
    })

    it('no credentials', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'static'])
      expect(r.code).to.equal(ExitCode.credentials)
      expect(r.stderr).to.match(/No AWS credentials found for profile "static"/)
      expect(r.stderr).to.match(/→ /)
    })

    it('unknown profile', async () => {
      const r = await box.run(['connect', INSTANCE, '--profile', 'nope'])
      expect(r.code).to.equal(ExitCode.credentials)
      expect(r.stderr).to.match(/The profile "nope" is not in .*\.aws\/config/)
      expect(r.stderr).to.include('Known profiles: default, dev, legacy, static')
    })

    it('malformed ssmx configuration: the file and the offending key', async () => {
      const path = box.file('.ssmxrc.yaml', 'permissionSets:\n  Developer:\n    runAsUser: "not a user!"\nbogus: 1\n')
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.config)
      expect(r.stderr).to.include(path)
      expect(r.stderr).to.include('permissionSets.Developer.runAsUser')
      expect(r.stderr).to.include('unknown key "bogus"')
      expect(fake.requests).to.have.length(0)
    })

    it('ssmx configuration that is not valid YAML', async () => {
      const path = box.file('.ssmxrc.yaml', 'strict: [true\n')
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.config)
      expect(r.stderr).to.include(path)
    })

    it('malformed ~/.aws/config: the file and the line', async () => {
      box.awsConfig(`${AWS_CONFIG}\nthis line is garbage\n`)
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.config)
      expect(r.stderr).to.match(/\.aws\/config line \d+ is not valid: "this line is garbage"/)
      expect(fake.requests).to.have.length(0)
    })

    it('target not connected to SSM', async () => {
      fake.on('ssm', 'StartSession', failing('TargetNotConnected', `${INSTANCE} is not connected.`))
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.targetNotConnected)
      expect(r.stderr).to.include(`${INSTANCE} is not connected to Session Manager`)
      expect(r.stderr).to.match(/SSM agent/)
      expect(box.pluginRuns()).to.have.length(0)
    })

    it('access denied on StartSession names the document', async () => {
      fake.on('ssm', 'StartSession', failing('AccessDeniedException', 'User is not authorized to perform: ssm:StartSession'))
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.accessDenied)
      expect(r.stderr).to.match(/Access denied: SSM StartSession with the document SSMX-RunAs-Developer/)
      expect(r.stderr).to.match(/permission set may not be allowed to use SSMX-RunAs-Developer/)
    })

    it('retries throttling: two ThrottlingExceptions, then the session starts', async () => {
      let calls = 0
      fake.on('ssm', 'StartSession', () => {
        if (++calls <= 2) throw new AwsFault('ThrottlingException', 'Rate exceeded')
        return SESSION
      })
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code, r.stderr).to.equal(0)
      expect(fake.calls('ssm', 'StartSession')).to.have.length(3)
      expect(box.pluginRuns()).to.have.length(1)
    })

    it('throttling beyond the retries: its own exit code', async () => {
      fake.on('ssm', 'StartSession', failing('ThrottlingException', 'Rate exceeded'))
      const r = await box.run(['connect', INSTANCE, '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.throttled)
      expect(r.stderr).to.match(/throttling SSM StartSession/)
      expect(fake.calls('ssm', 'StartSession')).to.have.length(MAX_ATTEMPTS)
    })
  })

  // IAM Identity Center role credentials and the caller identity are cached across runs (src/aws/credential-cache.ts,
  // src/aws/identity-cache.ts): a warm connect makes one AWS call, StartSession.
  describe('credentials and identity cached across runs', () => {
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
})
