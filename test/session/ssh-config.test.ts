import {expect} from 'chai'

import {SsmxError} from '../../src/errors.js'
import {hostAlias, proxyCommand, sshConfig} from '../../src/session/ssh-config.js'
import {parseDestination, sshArgs} from '../../src/session/ssh.js'

describe('ssh: ProxyCommand, config block, destinations', () => {
  it("quotes words for the shell and escapes ssh's % except in %h %p", () => {
    expect(proxyCommand({command: ['/opt/my tools/node', '/x/run.js'], profile: "o'neil", region: 'eu-west-1'})).to.equal(
      `'/opt/my tools/node' /x/run.js ssh-proxy %h %p --profile 'o'\\''neil' --region eu-west-1`,
    )
    expect(proxyCommand({command: ['ssmx'], profile: 'a%b'})).to.equal('ssmx ssh-proxy %h %p --profile a%%b')
    expect(proxyCommand({command: ['ssmx'], profile: 'dev', native: true})).to.equal('ssmx ssh-proxy %h %p --profile dev --native')
  })

  it('makes Name tags into Host aliases', () => {
    expect(hostAlias(' batch worker #1 ')).to.equal('batch-worker-1')
    expect(hostAlias('web-1.prod')).to.equal('web-1.prod')
  })

  it('writes the wildcard block last, after unique aliases', () => {
    const text = sshConfig({command: ['ssmx'], user: 'ubuntu', aliases: [{id: 'i-0aaaaaaaaaaaaaaa1', name: 'web', pingStatus: 'Online', stale: false}]})
    expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).to.deep.equal([
      'Host web',
      '  HostName i-0aaaaaaaaaaaaaaa1',
      '  User ubuntu',
      '  ProxyCommand ssmx ssh-proxy %h %p',
      'Host i-* mi-*',
      '  User ubuntu',
      '  ProxyCommand ssmx ssh-proxy %h %p',
    ])
  })

  it("splits [user@]target and builds ssh's argv", () => {
    expect(parseDestination('ec2-user@web-1')).to.deep.equal({user: 'ec2-user', target: 'web-1'})
    expect(parseDestination('i-0aaaaaaaaaaaaaaa1')).to.deep.equal({target: 'i-0aaaaaaaaaaaaaaa1'})
    expect(() => parseDestination('@web')).to.throw(SsmxError)
    expect(sshArgs({proxy: 'P', destination: 'u@i-1', identity: '/k', extra: ['-v']})).to.deep.equal(['-o', 'ProxyCommand=P', '-i', '/k', 'u@i-1', '-v'])
  })
})
