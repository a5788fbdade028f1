import {expect} from 'chai'
import pty from 'node-pty'

import {adminSandbox} from '../support/admin-cli.js'
import {BIN} from '../support/cli.js'
import {until} from '../support/until.js'

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')

describe('ssmx admin enforce in a terminal (node-pty)', () => {
  it('asks before applying, then follows the operation with the live view', async function () {
    this.timeout(120_000)
    const {fake, org, box, configPath} = await adminSandbox()
    try {
      let out = ''
      let exit: number | undefined
      const term = pty.spawn(process.execPath, [BIN, 'admin', 'enforce', '--config', configPath], {
        name: 'xterm-256color',
        cols: 120,
        rows: 40,
        cwd: box.home,
        env: {...box.env, TERM: 'xterm-256color'},
      })
      term.onData((d) => (out += d))
      term.onExit(({exitCode}) => (exit = exitCode))
      await until(
        'the confirmation prompt',
        () => plain(out).includes('Apply this plan? [y/N]'),
        60_000,
        () => plain(out),
      )
      expect(fake.requests.filter((r) => /^(Create|Attach)/.test(r.operation))).to.have.length(0)
      term.write('y\r')
      await until(
        'enforce to exit',
        () => exit !== undefined,
        60_000,
        () => plain(out),
      )
      const text = plain(out)
      expect(exit, text).to.equal(0)
      expect(text).to.match(/eu-west-1\s+✓ \d+\s+… \d+\s+✗ 0/)
      expect(text).to.include('CREATE_STACK_INSTANCES')
      expect(text).to.include('✓ Enforced.')
      expect(org.stackSet?.instances.size).to.equal(6)
    } finally {
      await fake.stop()
      box.cleanup()
    }
  })
})
