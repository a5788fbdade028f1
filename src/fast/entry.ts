import {type CommandIo, type GlobalFlags, checkGlobalFlags, commandStart, log, note, reportError} from '../cli/runtime.js'
import type {ParsedArgv} from './argv.js'
import type {FastEntry} from './launch.js'

/**
 * A fast entry around a command body: what BaseCommand does around run() (start, errors), without oclif. The body
 * gets the command line as the manifest describes it (src/fast/argv.ts), the shape its oclif command parses too.
 */
export function fastEntry<A>(id: string, body: (argv: A, io: CommandIo) => Promise<number>): FastEntry {
  return {
    async run(parsed, version) {
      const flags = parsed.flags as GlobalFlags
      try {
        // the fast commands' --endpoint-url is SSM's, as their oclif commands' (BaseCommand's default)
        checkGlobalFlags(flags, {id, endpointService: 'SSM'})
        return await body(parsed as ParsedArgv as A, {start: () => commandStart(flags, version), note, log})
      } catch (error) {
        return reportError(error, {debug: flags.debug})
      }
    },
  }
}
