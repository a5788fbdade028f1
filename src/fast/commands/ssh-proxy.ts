/** `ssmx ssh-proxy`'s fast entry (see src/fast/launch.ts): every ssh through Session Manager starts here. */
import {type SshProxyArgv, sshProxyCommand} from '../../session/commands.js'
import {fastEntry} from '../entry.js'

export const {run} = fastEntry<SshProxyArgv & {flags: Record<string, string | boolean | undefined>}>(sshProxyCommand)
