/** `ssmx forward`'s fast entry (see src/fast/launch.ts): bundled to dist/fast/forward.cjs. */
import {forwardCommand} from '../../session/commands.js'
import {fastEntry} from '../entry.js'

export const {run} = fastEntry('forward', forwardCommand)
