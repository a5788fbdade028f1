import {dirname} from 'node:path'

import {expect} from 'chai'
import pty from 'node-pty'

import {INSTANCE, SESSION, ssoIdentity} from '../support/aws-fixtures.js'
import {AWS_CONFIG, BIN, Sandbox} from '../support/cli.js'
import {FakeAws} from '../support/fake-aws.js'
import {PtyCli} from '../support/pty.js'
import {DEVICE, deviceFlow, recordingBrowser} from '../support/sso-oidc.js'

/** Runs the built CLI in a pseudo-terminal; `answer` is typed once `prompt` appears. */
function runInPty(args: string[], env: Record<string, string>, cwd: string, prompt: string, answer: string): Promise<{code: number; output: string}> {
  return new Promise((resolve, reject) => {
    const term = pty.spawn(process.execPath, [BIN, ...args], {name: 'xterm', cols: 120, rows: 30, cwd, env})
    let output = ''
    let answered = false
    const timer = setTimeout(() => {
      term.kill()
      reject(new Error(`ssmx ${args.join(' ')} timed out; output:\n${output}`))
    }, 20_000)
    term.onData((d) => {
      output += d
      if (!answered && output.includes(prompt)) {
        answered = true
        term.write(answer)
      }
    })
    term.onExit(({exitCode}) => {
      clearTimeout(timer)
      resolve({code: exitCode, output})
    })
  })
}

describe('ssmx connect offers to log in when the SSO session expired (pseudo-terminal)', () => {
  let fake: FakeAws
  let box: Sandbox
  let env: Record<string, string>

  beforeEach(async () => {
    fake = await new FakeAws().start()
    ssoIdentity(fake)
    fake.on('ssm', 'StartSession', () => SESSION).on('ssm', 'TerminateSession', (i) => ({SessionId: i.SessionId}))
    deviceFlow(fake, {interval: 0, pending: ['AuthorizationPendingException']})
    box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
    box.ssoToken('corp', {expiresAt: new Date(Date.now() - 3600_000), accessToken: 'OLD-TOKEN'})
    // no AWS CLI on PATH: the built-in device authorization runs
    env = {...box.env, PATH: `${box.bin}:${dirname(process.execPath)}`, BROWSER: recordingBrowser(box.home).command, TERM: 'xterm'}
  })
  afterEach(async () => {
    await fake.stop()
    box.cleanup()
  })

  it('on "y" signs in with the device flow and goes on to StartSession with the new token', async () => {
    const r = await runInPty(['connect', INSTANCE, '--profile', 'dev'], env, box.home, 'Log in now? [Y/n]', 'y\r')
    expect(r.code, r.output).to.equal(0)
    expect(r.output).to.include('The SSO session for profile "dev" is missing or expired. Log in now? [Y/n]')
    expect(r.output).to.include(DEVICE.userCode).and.to.include('✓ Logged in: sso-session corp for profile dev')
    expect(r.output).not.to.match(/SECRET/)
    expect(fake.calls('sso-oauth', 'CreateToken').filter((c) => c.input.grantType !== 'refresh_token')).to.have.length(2)
    const bearer = fake.calls('awsssoportal', 'GetRoleCredentials').map((c) => c.headers['x-amz-sso_bearer_token'])
    expect(bearer).to.deep.equal([DEVICE.accessToken])
    expect(fake.calls('ssm', 'StartSession')[0].input).to.deep.equal({Target: INSTANCE, DocumentName: 'SSMX-RunAs-Developer'})
    expect(box.pluginRuns()).to.have.length(1)
  })

  it('after the answer, what the user types reaches the session (the prompt does not keep reading the terminal)', async () => {
    const cli = new PtyCli(['connect', INSTANCE, '--profile', 'dev'], {env: {...env, FAKE_PLUGIN_MODE: 'echo'}, cwd: box.home})
    try {
      await cli.waitFor('Log in now? [Y/n]')
      const mark = cli.mark()
      cli.write('y\r')
      // typed ahead while the sign-in runs, then once the session is up
      await cli.waitFor(DEVICE.userCode, {from: mark})
      cli.write('typed-during-login\r')
      await cli.waitFor(() => box.pluginRuns().length === 1)
      cli.write('typed-in-session\r')
      // the terminal echoes each line once; the plugin (echo mode) prints it a second time when it gets it
      const twice = (word: string) => () => cli.text(mark).split(word).length - 1 >= 2
      await cli.waitFor(twice('typed-during-login'))
      await cli.waitFor(twice('typed-in-session'))
      cli.write('\u0004')
      expect((await cli.exit()).exitCode, cli.text()).to.equal(0)
    } finally {
      cli.kill()
    }
  })

  it('on "n" exits with the SSO exit code and starts nothing', async () => {
    const r = await runInPty(['connect', INSTANCE, '--profile', 'dev'], env, box.home, 'Log in now? [Y/n]', 'n\r')
    expect(r.code, r.output).to.equal(5)
    expect(r.output).to.include('ssmx login --profile dev')
    expect(fake.calls('sso-oauth', 'RegisterClient')).to.have.length(0)
    expect(fake.calls('ssm', 'StartSession')).to.have.length(0)
    expect(box.pluginRuns()).to.have.length(0)
  })
})
