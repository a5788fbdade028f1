/** `ssmx connect`'s fast entry (see src/fast/launch.ts): bundled to dist/fast/connect.cjs. */
import {connectCommand} from '../../session/commands.js'
import {fastEntry} from '../entry.js'

export const {run} = fastEntry('connect', connectCommand)
