import {type Command, Flags} from '@oclif/core'

import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import {SsmxError} from '../errors.js'
import {BaseCommand, globalFlags} from '../base-command.js'
import {confirmChange} from '../ui/confirm.js'
import {type ProgressView, lineProgress, progressView} from '../ui/progress.js'
import {type AdminDeps, type CallAs, adminDeps, failedOperation} from './deps.js'

export const callAsFlag = Flags.option({
  options: ['SELF', 'DELEGATED_ADMIN'] as const,
  description: 'SELF from the management account, DELEGATED_ADMIN from a StackSets delegated administrator (default: admin.callAs)',
})

export const yesFlag = (what: string) => Flags.boolean({char: 'y', description: `${what} without asking (required when there is no terminal)`})

/** Shared by the admin commands: plan → show → confirm → progress wiring, and AWS errors that name the failed call. */
export abstract class AdminCommand<T extends typeof Command> extends BaseCommand<T> {
  /** the stack set is what these commands are about: --endpoint-url is CloudFormation's (as in aws cloudformation …) */
  static override baseFlags = globalFlags('CLOUDFORMATION')

  /**
   * Deps whose progress goes to plain stderr lines while planning (the prompt needs the terminal) and to the live
   * view once the plan is accepted; `show` prints a plan on stdout; `confirm` honours --yes.
   */
  protected interactive<P>(ctx: AwsContext, callAs: CallAs, options: {yes: boolean; question: string; action: string; format: (plan: P) => string[]}) {
    let view: ProgressView = lineProgress((line) => this.note(line))
    const deps: AdminDeps = adminDeps(ctx, callAs, (e) => view.progress(e))
    return {
      deps,
      show: (plan: P) => {
        // with --json the plan is part of the result
        for (const line of options.format(plan)) this.log(line)
      },
      confirm: async () => {
        // stdout is for the JSON result: no prompt
        if (!options.yes && this.jsonEnabled())
          throw new SsmxError('usage', `With --json there is no prompt: pass --yes to ${options.action}.`, [
            `Nothing was changed. ${this.id === 'admin:enforce' ? 'To only see the plan: --dry-run --json' : 'Without --json the plan is shown and you are asked.'}`,
          ])
        const ok = options.yes || (await confirmChange(options.question, {flag: '--yes', action: options.action}))
        if (ok) view = await progressView()
        return ok
      },
      close: () => view.close(),
    }
  }

  protected failed(error: unknown, ctx: AwsContext): never {
    throw mapAwsError(error, {profile: ctx.profile.name, operation: failedOperation(error)})
  }
}
