/** Flags the session commands (connect, forward, ssh-proxy) share, described once. */
import {Flags} from '@oclif/core'

export const sessionFlags = {
  reason: () => Flags.string({description: 'reason recorded with the session (StartSession Reason)'}),
  native: () => Flags.boolean({description: 'use the built-in session client even when session-manager-plugin is installed'}),
  broker: () =>
    Flags.boolean({description: 'start the session through the session broker (as "mode: broker" in the configuration): it decides the Linux user'}),
}
