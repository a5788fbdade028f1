/** `ssmx connect`'s fast entry (see src/fast/launch.ts): bundled to dist/fast/connect.cjs. */
import {type ConnectArgv, connectCommand} from '../../session/commands.js'
import {fastEntry} from '../entry.js'

export const {run} = fastEntry<ConnectArgv & {flags: Record<string, string | boolean | undefined>}>(connectCommand)
