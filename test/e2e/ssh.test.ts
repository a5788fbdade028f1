import {execFileSync, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {BIN, Sandbox} from '../support/cli.js'
import {type FakeInstance, INSTANCE} from '../support/aws-fixtures.js'
import {useSessionWorld} from '../support/session-env.js'

const INSTANCES: FakeInstance[] = [
  {id: INSTANCE, name: 'web-1', ip: '10.0.1.11', az: 'eu-west-1b'},
  {id: 'i-0ccccccccccccccc1', name: 'api', ip: '10.0.3.31'},
  {id: 'i-0ccccccccccccccc2', name: 'api', ip: '10.0.3.32'},
  {id: 'i-0ddddddddddddddd1', name: 'batch worker #1', ip: '10.0.4.41'},
]

/** Runs the CLI with binary stdin/stdout (the Sandbox's runner decodes text). */
function runBinary(box: Sandbox, args: string[], input: Buffer, env: Record<string, string> = {}): Promise<{code: number; stdout: Buffer; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: {...box.env, ...env}, cwd: box.home})
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout: Buffer.concat(out), stderr})
    })
    child.stdin.end(input)
  })
}

const hasSsh = (() => {
  try {
    execFileSync('ssh', ['-V'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

/**
 * `ssh -G -F file host` when OpenSSH is installed; otherwise the same answer from a strict reading of
 * the file (known keywords only, first value wins, Host patterns with * and ?), so the test always runs.
 */
function sshG(file: string, host: string): Record<string, string> {
  if (hasSsh) {
    const out = execFileSync('ssh', ['-G', '-F', file, host], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]),
    )
  }
  const known = new Set(['host', 'hostname', 'user', 'proxycommand'])
  const result: Record<string, string> = {hostname: host}
  let active = false
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const [keyword, ...rest] = line.split(/\s+/)
    const key = keyword.toLowerCase()
    if (!known.has(key)) throw new Error(`unknown ssh_config keyword: ${keyword}`)
    if (key === 'host') {
      active = rest.some((p) =>
        new RegExp(
          `^${p
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
        ).test(host),
      )
    } else if (active && !(key in result && key !== 'hostname') && !(key === 'hostname' && result.hostname !== host)) {
      result[key] = rest.join(' ')
    }
  }
  return result
}

describe('ssmx ssh-proxy, ssh-config and ssh (built CLI against a fake AWS)', () => {
  const w = useSessionWorld({
    instances: INSTANCES,
    setup: (fake) => fake.on('ec2-instance-connect', 'SendSSHPublicKey', () => ({RequestId: 'r-1', Success: true})),
  })

  it('ssh-proxy relays the plugin byte for byte: stdout carries nothing else', async () => {
    const input = randomBytes(256 * 1024)
    const r = await runBinary(w.box, ['ssh-proxy', 'web-1', '2222', '--profile', 'dev'], input, {FAKE_PLUGIN_MODE: 'echo'})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout.length).to.equal(input.length)
    expect(r.stdout.equals(input)).to.equal(true)
    expect(w.fake.calls('ssm', 'StartSession').map((c) => c.input)).to.deep.equal([
      {Target: INSTANCE, DocumentName: 'AWS-StartSSHSession', Parameters: {portNumber: ['2222']}},
    ])
  })

  it('ssh-proxy errors go to stderr only, with a non-zero exit', async () => {
    const r = await runBinary(w.box, ['ssh-proxy', 'api', '22', '--profile', 'dev'], Buffer.alloc(0))
    expect(r.code).to.equal(6)
    expect(r.stdout.length).to.equal(0)
    expect(r.stderr).to.include('2 running instances match')
    expect(w.fake.calls('ssm', 'StartSession')).to.have.length(0)
  })

  it(`ssh-config is valid for ${hasSsh ? 'ssh -G' : 'a strict ssh_config reading (no OpenSSH here)'}: ids, Name aliases, profile and region`, async () => {
    const r = await w.box.run(['ssh-config', '--profile', 'dev', '--region', 'eu-west-1', '--names', '--user', 'ec2-user'])
    expect(r.code, r.stderr).to.equal(0)
    const file = w.box.file('ssh_config', r.stdout)
    const proxy = 'ssmx ssh-proxy %h %p --profile dev --region eu-west-1'
    const byId = sshG(file, 'i-0fedcba9876543210')
    expect(byId).to.include({hostname: 'i-0fedcba9876543210', user: 'ec2-user', proxycommand: proxy})
    const byName = sshG(file, 'web-1')
    expect(byName).to.include({hostname: INSTANCE, user: 'ec2-user', proxycommand: proxy})
    expect(sshG(file, 'batch-worker-1')).to.include({hostname: 'i-0ddddddddddddddd1'})
    expect(r.stdout).to.include('left out, the name is on several instances: api (i-0ccccccccccccccc1, i-0ccccccccccccccc2)')
    expect(r.stdout).not.to.match(/^Host api$/m)
  })

  it('ssh-config without --names makes no AWS call', async () => {
    const r = await w.box.run(['ssh-config'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^Host i-\* mi-\*\n {2}ProxyCommand ssmx ssh-proxy %h %p\n$/m)
    expect(w.fake.requests).to.have.length(0)
  })

  it('ssh-config --native writes a ProxyCommand that runs the built-in session client', async () => {
    const r = await w.box.run(['ssh-config', '--native', '--profile', 'dev'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^ {2}ProxyCommand ssmx ssh-proxy %h %p --profile dev --native$/m)
  })

  describe('ssmx ssh (with a recording ssh on PATH)', () => {
    let sshLog: string
    beforeEach(() => {
      sshLog = join(w.box.home, 'ssh.log')
      const fakeSsh = join(w.box.bin, 'ssh')
      writeFileSync(
        fakeSsh,
        `#!/bin/sh\n"${process.execPath}" -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))' "${sshLog}" "$@"\nexit 7\n`,
      )
      chmodSync(fakeSsh, 0o755)
    })
    const sshArgv = (): string[] => JSON.parse(readFileSync(sshLog, 'utf8'))

    it("runs ssh with the ProxyCommand, the resolved id and the args after --, and returns ssh's exit code", async () => {
      const r = await w.box.run(['ssh', 'ec2-user@web-1', '--profile', 'dev', '--', '-L', '8080:localhost:80', 'uptime'])
      expect(r.code, r.stderr).to.equal(7)
      const argv = sshArgv()
      expect(argv[0]).to.equal('-o')
      expect(argv[1]).to.match(/^ProxyCommand=\S+ \S+bin\/run\.js ssh-proxy %h %p --profile dev$/)
      expect(argv.slice(2)).to.deep.equal([`ec2-user@${INSTANCE}`, '-L', '8080:localhost:80', 'uptime'])
      expect(w.fake.calls('ec2-instance-connect')).to.have.length(0)
    })

    it('--native is passed on to the ProxyCommand (ssh-proxy … --native)', async () => {
      const r = await w.box.run(['ssh', 'ec2-user@web-1', '--profile', 'dev', '--native'])
      expect(r.code, r.stderr).to.equal(7)
      const argv = sshArgv()
      expect(argv[1]).to.match(/^ProxyCommand=\S+ \S+bin\/run\.js ssh-proxy %h %p --profile dev --native$/)
      expect(argv.slice(2)).to.deep.equal([`ec2-user@${INSTANCE}`])
    })

    it("--push-key sends the public key for the OS user with the instance's Availability Zone first", async () => {
      const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyFakeKeyFakeKeyFakeKeyFakeKey alice@laptop'
      w.box.file('.ssh/id_ed25519.pub', `${key}\n`)
      const r = await w.box.run(['ssh', 'ubuntu@web-1', '--push-key', '--profile', 'dev'])
      expect(r.code, r.stderr).to.equal(7)
      expect(w.fake.calls('ec2-instance-connect', 'SendSSHPublicKey').map((c) => c.input)).to.deep.equal([
        {InstanceId: INSTANCE, InstanceOSUser: 'ubuntu', SSHPublicKey: key, AvailabilityZone: 'eu-west-1b'},
      ])
      expect(r.stderr).to.include(`for ubuntu@${INSTANCE} (valid 60 s)`)
      expect(sshArgv().at(-1)).to.equal(`ubuntu@${INSTANCE}`)
    })

    it('--push-key needs a user, and a key', async () => {
      let r = await w.box.run(['ssh', 'web-1', '--push-key', '--profile', 'dev'])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.include('No SSH public key found')
      w.box.file('.ssh/id_rsa.pub', 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQFake alice@laptop\n')
      r = await w.box.run(['ssh', 'web-1', '--push-key', '--profile', 'dev'])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.include('--push-key needs the OS user')
      expect(w.fake.calls('ec2-instance-connect')).to.have.length(0)
    })
  })
})
