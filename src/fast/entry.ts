import {type CommandIo, type GlobalFlags, commandStart, log, note, reportError} from '../cli/runtime.js'
import type {ParsedArgv} from './argv.js'
import type {FastEntry} from './launch.js'

/** A fast entry around a command body: what BaseCommand does around run() (start, errors), without oclif. */
export function fastEntry<A extends ParsedArgv>(body: (argv: A, io: CommandIo) => Promise<number>): FastEntry {
  return {
    async run(parsed, version) {
      const flags = parsed.flags as GlobalFlags
      try {
        return await body(parsed as A, {start: () => commandStart(flags, version), note, log})
      } catch (error) {
        return reportError(error, {debug: flags.debug})
      }
    },
  }
}
