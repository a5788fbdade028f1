import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {ROOT} from '../support/cli.js'

interface ManifestCommand {
  summary?: string
  description?: string
  examples?: Array<string | {description: string; command: string}>
  flags: Record<string, {helpGroup?: string}>
}

// what `ssmx <command> --help` shows, as the build's oclif manifest records it
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}
const commands = Object.entries(manifest.commands)
/** the everyday commands, whose help must teach: a described example each, and every own flag shown in use */
const TEACHING = ['doctor', 'whoami', 'list', 'forward', 'ssh']

describe('command help (oclif manifest)', () => {
  it('every command has a summary, a description that says more than the summary, and examples', () => {
    expect(commands.length).to.be.greaterThan(10)
    for (const [id, c] of commands) {
      expect(c.summary, id).to.be.a('string').and.not.empty
      expect(c.description, id).to.be.a('string')
      expect(c.description!.length, id).to.be.greaterThan(c.summary!.length * 2)
      expect(c.examples, id).to.be.an('array').and.not.empty
    }
  })

  for (const id of TEACHING) {
    it(`${id}: every example says what it does, and every flag of its own is explained in use`, () => {
      const c = manifest.commands[id]
      const examples = c.examples ?? []
      expect(examples.length, id).to.be.at.least(3)
      for (const e of examples)
        expect(e, `${id}: ${JSON.stringify(e)}`)
          .to.be.an('object')
          .with.property('description').that.is.not.empty
      const text = `${c.description}\n${examples.map((e) => (typeof e === 'string' ? e : e.command)).join('\n')}`
      for (const [name, flag] of Object.entries(c.flags)) {
        if (!flag.helpGroup) expect(text, `${id} --${name}`).to.include(`--${name}`)
      }
    })
  }
})
