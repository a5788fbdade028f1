import {expect} from 'chai'

import type {Sandbox} from '../support/cli.js'
import type {FakeAws} from '../support/fake-aws.js'
import {INSTANCE, SESSION, sessionSandbox} from '../support/aws-fixtures.js'
import {until} from '../support/until.js'

/**
 * A signal after StartSession has been sent and before the plugin has taken over: ssmx terminates the session it
 * started instead of leaving it open on AWS, and exits as the signal would have it. The fake's StartSession waits for
 * the test, so the request is provably in flight when the signal arrives. Both start paths: fast entry and oclif.
 */
describe('a signal while StartSession is in flight (built CLI against a fake AWS)', () => {
  let fake: FakeAws
  let box: Sandbox
  let released: boolean

  beforeEach(async () => {
    ;({fake, box} = await sessionSandbox())
    released = false
    fake.on('ssm', 'StartSession', async () => {
      await until('the test to release StartSession', () => released, 15_000)
      return SESSION
    })
  })
  afterEach(async () => {
    released = true
    await fake.stop()
    box.cleanup()
  })

  const cases = [
    {how: 'the fast start', env: {}, args: ['connect', INSTANCE, '--profile', 'dev'], signal: 'SIGTERM', code: 143},
    {how: 'oclif (SSMX_NO_FAST=1)', env: {SSMX_NO_FAST: '1'}, args: ['connect', INSTANCE, '--profile', 'dev'], signal: 'SIGTERM', code: 143},
    {how: 'the fast start', env: {}, args: ['connect', INSTANCE, '--profile', 'dev'], signal: 'SIGINT', code: 130},
    {how: 'the fast start, forward', env: {}, args: ['forward', INSTANCE, '0:80', '--profile', 'dev'], signal: 'SIGHUP', code: 129},
  ] as const

  for (const c of cases) {
    it(`${c.how}: ${c.args[0]} gets ${c.signal} → TerminateSession for the started session, no plugin, exit ${c.code}`, async () => {
      const {child, result} = box.start([...c.args], {env: c.env})
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      await until(
        'StartSession to be in flight',
        () => fake.calls('ssm', 'StartSession').length === 1,
        15_000,
        () => stderr,
      )
      child.kill(c.signal)
      // or to die of it (the gap this guards against): the assertions below then say so
      const ended = () => child.exitCode !== null || child.signalCode !== null
      await until(
        `ssmx to take ${c.signal}`,
        () => stderr.includes(`Stopping on ${c.signal}`) || ended(),
        15_000,
        () => stderr,
      )
      released = true
      const r = await result
      expect(r.code, r.stderr).to.equal(c.code)
      expect(fake.calls('ssm', 'TerminateSession').map((q) => q.input)).to.deep.equal([{SessionId: SESSION.SessionId}])
      expect(box.pluginRuns(), 'the plugin never started').to.deep.equal([])
      expect(r.stderr).to.include(`Session ${SESSION.SessionId} terminated.`)
      expect(r.stderr).not.to.include('Forwarding')
      expect(r.stdout + r.stderr).not.to.include(SESSION.TokenValue)
    })
  }
})
