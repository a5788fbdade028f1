import {expect} from 'chai'

import {parseConfig} from '../../src/config/load.js'
import {type DoctorResult, doctor} from '../../src/doctor/doctor.js'
import {formatDoctor} from '../../src/doctor/format.js'
import {SsmxError} from '../../src/errors.js'

describe('doctor (service)', () => {
  const offline = {
    env: {HOME: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent/config', PATH: ''},
    loadConfig: async () => ({config: parseConfig({})}),
    awsContext: async () => Promise.reject(new SsmxError('credentials', 'unused')),
    plugin: async () => ({path: '/bin/session-manager-plugin', version: '1.2.707.0', envHandoff: true}),
  }

  it('fails the Node.js check below 22 with the install step and the prerequisite exit code', async () => {
    const r = await doctor({...offline, nodeVersion: '20.11.1'})
    const node = r.checks.find((c) => c.id === 'node')!
    expect(node).to.deep.equal({
      id: 'node',
      title: 'Node.js',
      status: 'fail',
      detail: '20.11.1 is too old: ssmx needs Node.js 22 or newer.',
      fix: ['Install Node.js 22 LTS or newer (https://nodejs.org/), then reinstall ssmx.'],
      code: 'prerequisite',
    })
    expect(r.exitCode).to.equal(13)
  })

  it('names the proxy for AWS calls (credentials redacted) only when one is set, and warns when this Node.js cannot use it', async () => {
    const proxied = {...offline, env: {...offline.env, HTTPS_PROXY: 'http://user:secret@proxy.corp:3128'}}
    expect((await doctor({...offline, nodeVersion: '24.5.0'})).checks.map((c) => c.id)).to.not.include('proxy')
    const r = await doctor({...proxied, nodeVersion: '24.5.0'})
    expect(r.checks.find((c) => c.id === 'proxy')).to.deep.equal({
      id: 'proxy',
      title: 'proxy',
      status: 'info',
      detail: 'https via http://<redacted>@proxy.corp:3128 (HTTPS_PROXY)',
      fix: [],
    })
    const old = (await doctor({...proxied, nodeVersion: '22.20.0'})).checks.find((c) => c.id === 'proxy')!
    expect([old.status, old.detail, old.fix]).to.deep.equal([
      'warn',
      'https via http://<redacted>@proxy.corp:3128 (HTTPS_PROXY): ignored, Node.js 22.20.0 cannot use a proxy.',
      ['Install Node.js 22.21, 24.5 or newer.'],
    ])
  })

  it('formats one line per check with its fix lines and the verdict', () => {
    const result: DoctorResult = {
      ok: false,
      exitCode: 5,
      profile: 'dev',
      checks: [
        {id: 'node', title: 'Node.js', status: 'ok', detail: '24.1.0', fix: []},
        {
          id: 'ssoToken',
          title: 'SSO session',
          status: 'fail',
          detail: 'sso-session corp: expired 2h 0m ago',
          fix: ['Run: ssmx login --profile dev'],
          code: 'ssoExpired',
        },
        {id: 'credentials', title: 'credentials', status: 'skip', detail: 'skipped: needs SSO session', fix: []},
      ],
    }
    expect(formatDoctor(result)).to.deep.equal([
      '✓ Node.js                 24.1.0',
      '✗ SSO session             sso-session corp: expired 2h 0m ago',
      '                          → Run: ssmx login --profile dev',
      '– credentials             skipped: needs SSO session',
      '',
      '1 problem blocks ssmx connect for profile dev.',
    ])
  })
})
