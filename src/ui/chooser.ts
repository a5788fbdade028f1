/**
 * The terminal side of target resolution: whether ssmx may prompt, and Choosers that open the ink picker.
 * The picker (and ink, react) is imported only when a picker actually opens, so other commands start fast.
 */
import type {AwsContext} from '../aws/clients.js'
import {SsmxError, isSsmxError} from '../errors.js'
import {managedInstances} from '../targets/managed.js'
import type {Candidate, Chooser} from '../targets/resolve.js'

/** A picker needs a terminal on both ends: keys in, frames out (drawn on stderr). */
export const canPrompt = (io: {stdin: {isTTY?: boolean}; stderr: {isTTY?: boolean}} = process): boolean => Boolean(io.stdin.isTTY && io.stderr.isTTY)

/**
 * The agents' ping status is extra in the picker of several matches: without ssm:DescribeInstanceInformation the
 * matches are still listed (as not managed), and --debug says why. Any other error is the command's.
 */
export async function withPingStatus(ctx: AwsContext, candidates: readonly Candidate[]): Promise<Candidate[]> {
  let managed: Awaited<ReturnType<typeof managedInstances>> = []
  try {
    managed = await managedInstances(ctx, {ids: candidates.map((c) => c.id)})
  } catch (error) {
    if (!isSsmxError(error) || error.code !== 'accessDenied') throw error
    ctx.options.debug?.(`picker: no agent ping status (${error.message})`)
  }
  const byId = new Map(managed.map((m) => [m.id, m]))
  return candidates.map((c) => byId.get(c.id) ?? {...c, pingStatus: 'NotManaged'})
}

/** Loads the picker with React's production build (the development build is several times slower to render). */
export async function loadPicker(): Promise<typeof import('./picker.js')> {
  const unset = process.env.NODE_ENV === undefined
  if (unset) process.env.NODE_ENV = 'production'
  try {
    return await import('./picker.js')
  } finally {
    if (unset) delete process.env.NODE_ENV
  }
}

const open = async (options: {load: () => Promise<readonly Candidate[]>; title: string}): Promise<Candidate> => (await loadPicker()).pickInstance(options)

/** Several running matches → the picker, with the agents' ping status joined in; undefined without a terminal. */
export function terminalChooser(ctx: AwsContext): Chooser | undefined {
  if (!canPrompt()) return undefined
  return (candidates, query) =>
    open({
      title: `${candidates.length} instances match "${query}": pick one`,
      load: () => withPingStatus(ctx, candidates),
    })
}

/** No target given: the picker over every managed instance, or an error saying to pass one. */
export async function pickTarget(ctx: AwsContext): Promise<string> {
  if (!canPrompt()) {
    throw new SsmxError('usage', 'No target given, and no terminal to pick one in.', [
      'Pass a target: an instance id, a Name tag, a private IP or tag:Key=Value, e.g. ssmx connect i-0123456789abcdef0',
      'ssmx list shows the managed instances.',
    ])
  }
  const choice = await open({
    title: `Managed instances in ${ctx.region}: pick one`,
    load: async () => {
      const items = await managedInstances(ctx)
      if (items.length > 0) return items
      throw new SsmxError('target', `No managed instances in ${ctx.region} for profile "${ctx.profile.name}".`, [
        'Check the region and profile; instances need the SSM agent and an instance profile with AmazonSSMManagedInstanceCore.',
      ])
    },
  })
  return choice.id
}
