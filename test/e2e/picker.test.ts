import {expect} from 'chai'

import {type FakeInstance} from '../support/aws-fixtures.js'
import {KEY, PtyCli} from '../support/pty.js'
import {useSessionWorld} from '../support/session-env.js'

const INSTANCES: FakeInstance[] = [
  {id: 'i-0aaaaaaaaaaaaaaa1', name: 'web-1', ip: '10.0.1.11'},
  {id: 'i-0aaaaaaaaaaaaaaa2', name: 'web-2', ip: '10.0.1.12'},
  {id: 'i-0bbbbbbbbbbbbbbb1', name: 'db-1', ip: '10.0.2.21', ping: 'ConnectionLost'},
  {id: 'i-0ccccccccccccccc1', name: 'api', ip: '10.0.3.31'},
  {id: 'i-0ccccccccccccccc2', name: 'api', ip: '10.0.3.32'},
]

describe('the interactive picker (built CLI in a pseudo-terminal)', () => {
  const w = useSessionWorld({instances: INSTANCES})
  let cli: PtyCli | undefined
  afterEach(() => {
    cli?.kill()
    cli = undefined
  })

  const open = async (args: string[]) => {
    cli = new PtyCli(args, {env: {...w.box.env, TERM: 'xterm-256color'}, cwd: w.box.home})
    await cli.waitFor('1/5')
    return cli
  }
  const box = () => w.box
  const targets = () => w.fake.calls('ssm', 'StartSession').map((c) => c.input.Target)

  it('lists every managed instance; typing filters; arrows and Enter choose the instance StartSession receives', async () => {
    const p = await open(['connect', '--profile', 'dev'])
    expect(p.text()).to.include('Loading instances').and.include('db-1').and.include('ConnectionLost').and.include('10.0.3.32')
    let mark = p.mark()
    p.write('web')
    await p.waitFor('1/2', {from: mark})
    mark = p.mark()
    p.write(KEY.down)
    await p.waitFor('2/2', {from: mark})
    mark = p.mark()
    p.write(KEY.up)
    await p.waitFor('1/2', {from: mark})
    p.write(KEY.down)
    await p.waitFor('2/2', {from: mark})
    p.write(KEY.enter)
    const {exitCode} = await p.exit()
    expect(exitCode, p.text()).to.equal(0)
    expect(targets()).to.deep.equal(['i-0aaaaaaaaaaaaaaa2'])
    expect(w.box.pluginRuns()).to.have.length(1)
  })

  it('after the pick, what the user types reaches the session (the picker does not keep reading the terminal)', async () => {
    cli = new PtyCli(['connect', '--profile', 'dev'], {env: {...w.box.env, TERM: 'xterm-256color', FAKE_PLUGIN_MODE: 'echo'}, cwd: w.box.home})
    await cli.waitFor('1/5')
    cli.write('web-2')
    await cli.waitFor('1/1')
    cli.write(KEY.enter)
    await cli.waitFor(() => box().pluginRuns().length === 1)
    const mark = cli.mark()
    cli.write('typed-after-pick\r')
    // the terminal echoes the line once; the plugin (echo mode) prints it a second time when it gets it
    await cli.waitFor(/typed-after-pick[\s\S]*typed-after-pick/, {from: mark})
    cli.write('\u0004')
    expect((await cli.exit()).exitCode, cli.text()).to.equal(0)
  })

  it('backspace widens the filter again; a filter matching nothing chooses nothing on Enter', async () => {
    const p = await open(['connect', '--profile', 'dev'])
    let mark = p.mark()
    p.write('zzz')
    await p.waitFor('no match', {from: mark})
    p.write(KEY.enter)
    mark = p.mark()
    p.write(KEY.backspace.repeat(3) + '10.0.2')
    await p.waitFor('1/1', {from: mark})
    p.write(KEY.enter)
    expect((await p.exit()).exitCode, p.text()).to.equal(0)
    expect(targets()).to.deep.equal(['i-0bbbbbbbbbbbbbbb1'])
  })

  it('Esc cancels with exit code 130 and starts no session', async () => {
    const p = await open(['connect', '--profile', 'dev'])
    p.write(KEY.escape)
    const {exitCode} = await p.exit()
    expect(exitCode, p.text()).to.equal(130)
    expect(p.text()).to.include('Cancelled')
    expect(w.fake.calls('ssm', 'StartSession')).to.have.length(0)
    expect(w.box.pluginRuns()).to.have.length(0)
  })

  it('a target matching several running instances opens the picker on just those', async () => {
    cli = new PtyCli(['connect', 'api', '--profile', 'dev'], {env: {...w.box.env, TERM: 'xterm-256color'}, cwd: w.box.home})
    await cli.waitFor('1/2')
    expect(cli.text()).to.include('2 instances match "api"')
    cli.write(KEY.down + KEY.enter)
    expect((await cli.exit()).exitCode, cli.text()).to.equal(0)
    expect(targets()).to.deep.equal(['i-0ccccccccccccccc2'])
  })

  it('never prompts without a terminal: a clear error says to pass a target', async () => {
    const r = await w.box.run(['connect', '--profile', 'dev'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.include('No target given').and.include('Pass a target')
    expect(w.fake.calls('ssm')).to.have.length(0)
  })
})
