import type {AwsContext} from '../aws/clients.js'
import {isSsmxError} from '../errors.js'
import {confirm} from '../ui/confirm.js'

export interface LoginOffer {
  /** true when the user can be asked: an SSO profile and a terminal on stdin and stdout */
  interactive: boolean
  ask: (question: string) => Promise<boolean>
  login: () => Promise<unknown>
}

/**
 * Runs `run`; when it fails because the SSO session is missing or expired and the user can be asked,
 * offers to log in and, on yes and a successful login, runs it once more. Any other failure, a "no", or
 * no terminal: the original error.
 */
export async function withLoginOffer<T>(run: () => Promise<T>, offer: LoginOffer): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (!offer.interactive || !isSsmxError(error) || error.code !== 'ssoExpired') throw error
    if (!(await offer.ask(`${error.message} Log in now? [Y/n] `))) throw error
    await offer.login()
    return run()
  }
}

/** The offer for a command run in a terminal: asks on stderr, logs in as `ssmx login` does, progress on stderr. */
export function terminalLoginOffer(ctx: AwsContext, note: (line: string) => void): LoginOffer {
  return {
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY && ctx.profileData?.ssoStartUrl),
    ask: (question) => confirm(question),
    login: async () => {
      // the SSO OIDC client loads only when the user takes the offer
      const {formatLogin, login} = await import('./login.js')
      note(formatLogin(await login({}, {ctx, notify: note})))
    },
  }
}
