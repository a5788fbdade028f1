/** `ssmx ssh-proxy`'s fast entry (see src/fast/launch.ts): every ssh through Session Manager starts here. */
import {sshProxyCommand} from '../../session/commands.js'
import {fastEntry} from '../entry.js'

export const {run} = fastEntry('ssh-proxy', sshProxyCommand)
