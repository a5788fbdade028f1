import {type Config, ux} from '@oclif/core'
import {expect} from 'chai'

import {BaseCommand} from '../src/base-command.js'

class JsonCommand extends BaseCommand<typeof JsonCommand> {
  static override enableJsonFlag = true
  async run(): Promise<void> {}
  print(json: unknown): void {
    this.logJson(json)
  }
}

function captured(fn: () => void): string {
  const write = process.stdout.write
  const log = console.log
  let out = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  }) as typeof process.stdout.write
  console.log = (...args: unknown[]) => {
    out += `${args.join(' ')}\n`
  }
  try {
    fn()
  } finally {
    process.stdout.write = write
    console.log = log
  }
  return out
}

describe('BaseCommand.logJson', () => {
  const report = {
    stackSetName: 'ssmx-runas',
    compliant: false,
    count: 4000,
    ratio: -1.5e-7,
    missing: null,
    skipped: undefined,
    instances: [{account: '200000000000', region: 'eu-west-1', reason: 'quote " backslash \\ tab \t ✗ \u0001', tags: []}, {}],
    empty: {},
  }

  it('writes the same bytes as oclif when there is no JSON theme', () => {
    const command = new JsonCommand([], {theme: undefined} as unknown as Config)
    const ours = captured(() => command.print(report))
    const oclif = captured(() => ux.stdout(ux.colorizeJson(report, {pretty: true})))
    expect(ours).to.equal(oclif)
    expect(JSON.parse(ours)).to.deep.equal(JSON.parse(JSON.stringify(report)))
  })

  it('leaves a JSON colour theme and values JSON.stringify refuses to oclif', () => {
    const cyclic: Record<string, unknown> = {a: 1}
    cyclic.self = cyclic
    const command = new JsonCommand([], {theme: undefined} as unknown as Config)
    expect(captured(() => command.print(cyclic))).to.equal(captured(() => ux.stdout(ux.colorizeJson(cyclic, {pretty: true}))))
    const themed = new JsonCommand([], {theme: {json: {key: 'red'}}} as unknown as Config)
    expect(captured(() => themed.print({a: 1}))).to.equal(captured(() => ux.stdout(ux.colorizeJson({a: 1}, {pretty: true, theme: {key: 'red'}}))))
  })
})
