import {type Server, createServer} from 'node:net'

import {expect} from 'chai'

import {INSTANCE, SESSION} from '../support/aws-fixtures.js'
import {PtyCli} from '../support/pty.js'
import {useSessionWorld} from '../support/session-env.js'

const listen = (port = 0): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
const portOf = (s: Server) => (s.address() as {port: number}).port
const close = (s: Server) => new Promise((r) => s.close(r))

describe('ssmx forward (built CLI against a fake AWS)', () => {
  const w = useSessionWorld()

  it('refuses a busy local port before any AWS call, so no session is started', async () => {
    const busy = await listen()
    try {
      const r = await w.box.run(['forward', INSTANCE, `${portOf(busy)}:5432`, '--profile', 'dev'])
      expect(r.code).to.equal(2)
      expect(r.stderr)
        .to.include(`Local port ${portOf(busy)} is already in use`)
        .and.include('--local 0')
      expect(w.fake.requests).to.have.length(0)
      expect(w.box.pluginRuns()).to.have.length(0)
    } finally {
      await close(busy)
    }
  })

  it('forwards to a port on the instance with AWS-StartPortForwardingSession, and always terminates the session', async () => {
    // a port free a moment ago may be taken by another process on a busy machine: try a few
    let local = 0
    let r = {code: -1, stdout: '', stderr: ''}
    for (let attempt = 0; attempt < 5 && r.code !== 0; attempt++) {
      const probe = await listen()
      local = portOf(probe)
      await close(probe)
      r = await w.box.run(['forward', INSTANCE, `${local}:80`, '--profile', 'dev'])
      if (!r.stderr.includes('already in use')) break
    }
    expect(r.code, r.stderr).to.equal(0)
    const input = {Target: INSTANCE, DocumentName: 'AWS-StartPortForwardingSession', Parameters: {portNumber: ['80'], localPortNumber: [String(local)]}}
    expect(w.fake.calls('ssm', 'StartSession').map((c) => c.input)).to.deep.equal([input])
    expect(w.box.pluginRuns()[0].args![4]).to.equal(JSON.stringify(input))
    expect(r.stderr).to.include(`Forwarding localhost:${local} → port 80 on ${INSTANCE}`)
    expect(r.stdout).not.to.include('Forwarding')
    expect(w.fake.calls('ssm', 'TerminateSession').map((c) => c.input)).to.deep.equal([{SessionId: SESSION.SessionId}])
  })

  for (const form of [['0:5432'], ['5432', '--local', '0']]) {
    it(`forwards through the instance to --host with …ToRemoteHost; ${form.join(' ')} picks a free local port and prints it`, async () => {
      const r = await w.box.run(['forward', INSTANCE, ...form, '--host', 'mydb.abc123.eu-west-1.rds.amazonaws.com', '--profile', 'dev'])
      expect(r.code, r.stderr).to.equal(0)
      const [start] = w.fake.calls('ssm', 'StartSession')
      expect(start.input.DocumentName).to.equal('AWS-StartPortForwardingSessionToRemoteHost')
      const params = start.input.Parameters as Record<string, string[]>
      expect(params.host).to.deep.equal(['mydb.abc123.eu-west-1.rds.amazonaws.com'])
      expect(params.portNumber).to.deep.equal(['5432'])
      const local = Number(params.localPortNumber[0])
      expect(local).to.be.within(1, 65_535)
      expect(r.stderr).to.include(`Forwarding localhost:${local} → mydb.abc123.eu-west-1.rds.amazonaws.com:5432 through ${INSTANCE}`)
    })
  }

  it('Ctrl-C in the terminal ends the forward cleanly and terminates the session', async () => {
    const cli = new PtyCli(['forward', INSTANCE, '0:5432', '--profile', 'dev'], {env: {...w.box.env, FAKE_PLUGIN_MODE: 'wait'}, cwd: w.box.home})
    try {
      await cli.waitFor('plugin ready')
      expect(w.fake.calls('ssm', 'TerminateSession')).to.have.length(0)
      cli.write('\u0003')
      const {exitCode} = await cli.exit()
      expect(exitCode, cli.text()).to.equal(0)
      expect(w.fake.calls('ssm', 'TerminateSession').map((c) => c.input)).to.deep.equal([{SessionId: SESSION.SessionId}])
      expect(cli.text()).to.include(`Session ${SESSION.SessionId} terminated`)
      expect(
        w.box
          .pluginRuns()
          .filter((e) => e.event === 'signal')
          .map((e) => e.signal),
      ).to.include('SIGTERM')
    } finally {
      cli.kill()
    }
  })

  it('rejects a malformed port spec as a usage error', async () => {
    const r = await w.box.run(['forward', INSTANCE, '80:99999', '--profile', 'dev'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.include('"99999" is not a valid remote port')
    expect(w.fake.requests).to.have.length(0)
  })
})
