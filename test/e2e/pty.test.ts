import {expect} from 'chai'
import pty from 'node-pty'

import {BIN, type Sandbox} from '../support/cli.js'
import {INSTANCE, SESSION, sessionSandbox} from '../support/aws-fixtures.js'
import type {FakeAws} from '../support/fake-aws.js'
import {until} from '../support/until.js'

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('ssmx connect in a terminal (node-pty)', () => {
  let fake: FakeAws
  let box: Sandbox
  let term: pty.IPty | undefined

  beforeEach(async () => {
    ;({fake, box} = await sessionSandbox())
  })
  afterEach(async () => {
    if (term && alive(term.pid)) term.kill('SIGKILL')
    term = undefined
    await fake.stop()
    box.cleanup()
  })

  function start(): {output: () => string; exited: Promise<{exitCode: number; signal?: number}>} {
    let out = ''
    term = pty.spawn(process.execPath, [BIN, 'connect', INSTANCE, '--profile', 'dev'], {
      name: 'xterm',
      cols: 100,
      rows: 30,
      cwd: box.home,
      env: {...box.env, FAKE_PLUGIN_MODE: 'wait', FAKE_PLUGIN_EXIT: '4'},
    })
    term.onData((d) => (out += d))
    const exited = new Promise<{exitCode: number; signal?: number}>((resolve) => term!.onExit(resolve))
    return {output: () => out, exited}
  }

  const signals = () =>
    box
      .pluginRuns()
      .filter((e) => e.event === 'signal')
      .map((e) => e.signal)

  it('Ctrl-C reaches the plugin and not ssmx; the second Ctrl-C ends the plugin and ssmx exits with its code', async () => {
    const {output, exited} = start()
    let done = false
    void exited.then(() => (done = true))
    await until('plugin ready', () => output().includes('plugin ready'))
    term!.write('\x03')
    await until('the plugin to report SIGINT', () => output().includes('plugin got SIGINT'))
    expect(signals()).to.deep.equal(['SIGINT'])
    expect(done, 'ssmx survived Ctrl-C').to.equal(false)
    expect(alive(term!.pid)).to.equal(true)
    term!.write('\x03')
    const {exitCode} = await exited
    expect(exitCode).to.equal(4)
    expect(signals()).to.deep.equal(['SIGINT', 'SIGINT'])
    expect(fake.calls('ssm', 'TerminateSession'), 'the plugin exited abnormally').to.have.length(1)
    expect(output()).not.to.include(SESSION.TokenValue)
  })

  it('forwards SIGTERM sent to ssmx to the plugin', async () => {
    const {output, exited} = start()
    await until('plugin ready', () => output().includes('plugin ready'))
    process.kill(term!.pid, 'SIGTERM')
    const {exitCode} = await exited
    expect(signals()).to.deep.equal(['SIGTERM'])
    expect(output()).to.include('plugin got SIGTERM')
    expect(exitCode).to.equal(4)
  })
})
