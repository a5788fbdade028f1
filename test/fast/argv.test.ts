import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Parser} from '@oclif/core'
import {expect} from 'chai'

import Connect from '../../src/commands/connect.js'
import Forward from '../../src/commands/forward.js'
import SshProxy from '../../src/commands/ssh-proxy.js'
import {type ManifestCommand, fastParsable, parseArgv} from '../../src/fast/argv.js'
import {ROOT} from '../support/cli.js'

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}
const connect = manifest.commands.connect

const COMMANDS = {connect: Connect, forward: Forward, 'ssh-proxy': SshProxy}

/** What oclif itself makes of argv for a command (default connect): flags and args, or the error it raises. */
async function oclifParse(
  argv: string[],
  id: keyof typeof COMMANDS = 'connect',
): Promise<{flags: Record<string, unknown>; args: Record<string, unknown>} | Error> {
  const command = COMMANDS[id]
  try {
    const {flags, args} = await Parser.parse(argv, {flags: {...command.baseFlags, ...command.flags}, args: command.args as typeof Connect.args, strict: true})
    return {flags: flags as Record<string, unknown>, args: args as Record<string, unknown>}
  } catch (error) {
    return error as Error
  }
}

const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

describe('fast entries: the command line, parsed as oclif would', () => {
  const same = [
    [],
    ['i-0123456789abcdef0'],
    ['web-1', '--profile', 'dev'],
    ['--profile', 'dev', 'web-1'],
    ['--profile=dev', 'web-1', '--region=eu-west-1'],
    ['tag:Role=bastion', '--reason', 'JIRA-123 fix the disk'],
    ['--reason=a=b', 'i-0123456789abcdef0'],
    ['i-0123456789abcdef0', '--dry-run', '--native', '--debug'],
    ['i-0123456789abcdef0', '--endpoint-url', 'http://127.0.0.1:4566', '--document', 'SSMX-RunAs-Admin', '--config', '/tmp/ssmx.yaml'],
  ]
  for (const argv of same) {
    it(`connect ${argv.join(' ') || '(no arguments)'}: the flags and argument oclif parses`, async () => {
      const fast = parseArgv(argv, connect, {})
      const oclif = await oclifParse(argv)
      expect(oclif).to.not.be.instanceOf(Error)
      expect(fast, 'the fast parser answers').to.not.equal(undefined)
      const o = oclif as {flags: Record<string, unknown>; args: Record<string, unknown>}
      expect(defined(fast!.flags)).to.deep.equal(defined(o.flags))
      expect(defined(fast!.args)).to.deep.equal(defined(o.args))
    })
  }

  const others: Array<[keyof typeof COMMANDS, string[]]> = [
    ['ssh-proxy', ['i-0123456789abcdef0', '22']],
    ['ssh-proxy', ['web-1', '--profile', 'dev']],
    ['ssh-proxy', ['web-1', '2222', '--native']],
    ['forward', ['web-1', '8080:80']],
    ['forward', ['bastion', '0:5432', '--host', 'db.internal', '--local', '15432', '--reason', 'T-1', '--dry-run']],
  ]
  for (const [id, argv] of others) {
    it(`${id} ${argv.join(' ')}: the same, with a default and required arguments`, async () => {
      const fast = parseArgv(argv, manifest.commands[id], {})
      const oclif = await oclifParse(argv, id)
      expect(oclif).to.not.be.instanceOf(Error)
      expect(fast).to.not.equal(undefined)
      const o = oclif as {flags: Record<string, unknown>; args: Record<string, unknown>}
      expect(defined(fast!.flags)).to.deep.equal(defined(o.flags))
      expect(defined(fast!.args)).to.deep.equal(defined(o.args))
    })
  }

  it('leaves a missing required argument to oclif', async () => {
    for (const [id, argv] of [
      ['ssh-proxy', []],
      ['forward', ['web-1']],
    ] as const) {
      expect(await oclifParse([...argv], id)).to.be.instanceOf(Error)
      expect(parseArgv(argv, manifest.commands[id], {})).to.equal(undefined)
    }
  })

  const toOclif: Array<[string, string[]]> = [
    ['help', ['--help']],
    ['help after a target', ['i-0123456789abcdef0', '--help']],
    ['a short flag', ['-h']],
    ['an unknown flag', ['i-0123456789abcdef0', '--nope']],
    ['a second target', ['i-0123456789abcdef0', 'i-0fedcba9876543210']],
    ['a repeated flag', ['--profile', 'a', '--profile', 'b']],
    ['a flag with no value', ['i-0123456789abcdef0', '--profile']],
    ['a value that looks like a flag', ['--reason', '--dry-run']],
    ['an empty value', ['--profile=']],
    ['a value given to a boolean', ['--dry-run=true']],
    ['the end of flags', ['--', 'i-0123456789abcdef0']],
    ['a lone dash', ['-']],
  ]
  for (const [what, argv] of toOclif) {
    it(`leaves ${what} (${argv.join(' ')}) to oclif`, () => {
      expect(parseArgv(argv, connect, {})).to.equal(undefined)
    })
  }

  it("where it answers and oclif would refuse, there is no such line: every refusal above is oclif's to make", async () => {
    // oclif errors on these; the fast parser must not have accepted any of them
    for (const argv of [['--nope'], ['a', 'b'], ['--profile']]) {
      expect(await oclifParse(argv)).to.be.instanceOf(Error)
      expect(parseArgv(argv, connect, {})).to.equal(undefined)
    }
  })

  it('takes --config from SSMX_CONFIG as oclif does, the flag first, an empty variable ignored', async () => {
    const saved = process.env.SSMX_CONFIG
    try {
      process.env.SSMX_CONFIG = '/etc/ssmx.yaml'
      const oclifConfig = async () => ((await oclifParse(['x'])) as {flags: Record<string, unknown>}).flags.config
      expect(parseArgv(['x'], connect, process.env)!.flags.config)
        .to.equal('/etc/ssmx.yaml')
        .and.equal(await oclifConfig())
      expect(parseArgv(['x', '--config', 'mine.yaml'], connect, process.env)!.flags.config).to.equal('mine.yaml')
      process.env.SSMX_CONFIG = ''
      expect(parseArgv(['x'], connect, process.env)!.flags.config)
        .to.equal(undefined)
        .and.equal(await oclifConfig())
    } finally {
      if (saved === undefined) delete process.env.SSMX_CONFIG
      else process.env.SSMX_CONFIG = saved
    }
  })

  it('only commands whose every flag and argument it models: no short chars, defaults, choices, multiples or --json', () => {
    expect(fastParsable(connect)).to.equal(true)
    const variant = (flag: Record<string, unknown>): ManifestCommand => ({
      ...connect,
      flags: {...connect.flags, extra: {name: 'extra', type: 'option', ...flag}},
    })
    expect(fastParsable(variant({char: 'x'}))).to.equal(false)
    expect(fastParsable(variant({default: 'eu-west-1'}))).to.equal(false)
    expect(fastParsable(variant({options: ['a', 'b']}))).to.equal(false)
    expect(fastParsable(variant({multiple: true}))).to.equal(false)
    expect(fastParsable(variant({required: true}))).to.equal(false)
    expect(fastParsable(variant({exclusive: ['document']}))).to.equal(false)
    expect(fastParsable({...connect, enableJsonFlag: true})).to.equal(false)
    expect(fastParsable({...connect, strict: false})).to.equal(false)
    expect(fastParsable({...connect, args: {target: {name: 'target', options: ['a']}}})).to.equal(false)
    expect(fastParsable({...connect, args: {target: {name: 'target', default: 1}}})).to.equal(false)
    expect(parseArgv(['i-0123456789abcdef0'], variant({char: 'x'}), {})).to.equal(undefined)
  })
})
