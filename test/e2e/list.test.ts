import {expect} from 'chai'

import {Sandbox} from '../support/cli.js'
import {type FakeInstance} from '../support/aws-fixtures.js'
import {useSessionWorld} from '../support/session-env.js'

const INSTANCES: FakeInstance[] = [
  {id: 'i-0aaaaaaaaaaaaaaa1', name: 'web-1', ip: '10.0.1.11'},
  {id: 'i-0bbbbbbbbbbbbbbb1', name: 'database', ip: '10.0.2.21', ping: 'ConnectionLost', platform: 'Windows'},
]

describe('ssmx list (built CLI against a fake AWS)', () => {
  const w = useSessionWorld({instances: INSTANCES})

  it('prints aligned columns, stale agents marked, the footnote on stderr', async () => {
    const r = await w.box.run(['list', '--profile', 'dev'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout.split('\n').filter(Boolean)).to.deep.equal([
      'NAME      INSTANCE             PRIVATE IP  PLATFORM    AGENT             LAST PING',
      'database  i-0bbbbbbbbbbbbbbb1  10.0.2.21   Windows     ConnectionLost !  1m ago',
      'web-1     i-0aaaaaaaaaaaaaaa1  10.0.1.11   Linux/UNIX  Online            1m ago',
    ])
    expect(r.stderr).to.include('! 1 stale agent')
    const ec2 = w.fake.calls('ec2', 'DescribeInstances')[0].input
    expect(ec2).to.include({'Filter.1.Name': 'instance-id', 'Filter.1.Value.1': 'i-0aaaaaaaaaaaaaaa1', 'Filter.1.Value.2': 'i-0bbbbbbbbbbbbbbb1'})
  })

  it('--json prints the joined data; --filter narrows it', async () => {
    const r = await w.box.run(['list', '--profile', 'dev', '--json', '--filter', 'web'])
    expect(r.code, r.stderr).to.equal(0)
    const items = JSON.parse(r.stdout)
    expect(items).to.have.length(1)
    expect(items[0]).to.include({
      id: 'i-0aaaaaaaaaaaaaaa1',
      name: 'web-1',
      privateIp: '10.0.1.11',
      platform: 'Linux/UNIX',
      pingStatus: 'Online',
      state: 'running',
      stale: false,
    })
    expect(items[0].lastPing).to.match(/^\d{4}-\d\d-\d\dT/)
  })
})

describe('shell completion (built CLI)', () => {
  let box: Sandbox
  beforeEach(() => {
    box = new Sandbox('http://127.0.0.1:9')
  })
  afterEach(() => box.cleanup())

  it('bash and zsh: setup instructions and a script (oclif autocomplete)', async () => {
    for (const shell of ['bash', 'zsh']) {
      const r = await box.run(['autocomplete', shell])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.include(`ssmx autocomplete script ${shell}`)
      const script = await box.run(['autocomplete', 'script', shell])
      expect(script.code, script.stderr).to.equal(0)
      expect(script.stdout).to.include(`SSMX_AC_${shell.toUpperCase()}_SETUP_PATH`)
    }
  })

  it('fish: a completion script with every command and its flags', async () => {
    const r = await box.run(['autocomplete', 'fish'])
    expect(r.code, r.stderr).to.equal(0)
    for (const command of ['connect', 'forward', 'list', 'ssh', 'ssh-config', 'ssh-proxy']) {
      expect(r.stdout).to.include(`complete -c ssmx -n '__fish_use_subcommand' -a ${command} -d `)
    }
    expect(r.stdout).to.include("complete -c ssmx -n '__fish_seen_subcommand_from forward' -l host -r -d ")
    expect(r.stdout).to.include("complete -c ssmx -n '__fish_seen_subcommand_from autocomplete' -a 'zsh bash powershell'")
    expect(r.stdout).not.to.include('<%')
  })
})
