/**
 * oclif's command_not_found hook: `ssmx conect` says it is not a command and names the closest one, in ssmx's error
 * form (✗ and →, exit 2 like any usage error, JSON with --json), with or without a terminal. oclif's own
 * plugin-not-found suggests only in a terminal, where it asks whether to run its guess (exit 127 otherwise); a
 * mistyped command in a script should fail, and say what was meant.
 */
import type {Hook} from '@oclif/core'

import {closest} from '../platform/closest.js'
import {reportError} from '../cli/runtime.js'
import {SsmxError} from '../errors.js'

const hook: Hook.CommandNotFound = async function (opts) {
  const ids = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const words = (id: string) => id.replaceAll(':', ' ')
  // oclif's id holds the arguments too (`conect i-0123…` is conect:i-0123…): compare each command with as many
  // words as it has, the longest match first
  const typed = opts.id.split(':')
  let near: string | undefined
  let length = opts.config.findTopic(typed[0]) ? 2 : 1
  for (let n = Math.min(typed.length, Math.max(...ids.map((id) => id.split(':').length))); n >= 1 && !near; n--) {
    near = closest(
      typed.slice(0, n).join(':'),
      ids.filter((id) => id.split(':').length === n),
    )
    if (near) length = n
  }
  const error = new SsmxError('usage', `"${typed.slice(0, length).join(' ')}" is not an ssmx command.`, [
    ...(near ? [`Did you mean: ssmx ${words(near)}`] : []),
    'Every command: ssmx --help',
  ])
  const json = (opts.argv ?? []).includes('--json')
  this.exit(reportError(error, {json}))
}

export default hook
