/**
 * The terminal side of target resolution: whether ssmx may prompt, and Choosers that open the ink picker.
 * The picker (and ink, react) is imported only when a picker actually opens, so other commands start fast.
 */
import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import {ec2} from '../aws/ports.js'
import {ssm} from '../aws/ssm.js'
import {SsmxError} from '../errors.js'
import type {Candidate, Chooser} from '../targets/resolve.js'

/** A picker needs a terminal on both ends: keys in, frames out (drawn on stderr). */
export const canPrompt = (io: {stdin: {isTTY?: boolean}; stderr: {isTTY?: boolean}} = process): boolean => Boolean(io.stdin.isTTY && io.stderr.isTTY)

/** The managed-instance inventory, loaded (and the EC2 client with its first call) only when a picker opens. */
const inventory = async (ctx: AwsContext, options?: Parameters<typeof import('../targets/inventory.js').listInstances>[1]) => {
  const {listInstances} = await import('../targets/inventory.js')
  return listInstances({ssm: ssm(ctx), ec2: ec2(ctx)}, options)
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
      load: async () => {
        const managed = await inventory(ctx, {ids: candidates.map((c) => c.id)}).catch(() => [])
        const byId = new Map(managed.map((m) => [m.id, m]))
        return candidates.map((c) => byId.get(c.id) ?? {...c, pingStatus: 'NotManaged'})
      },
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
      const items = await inventory(ctx).catch((e) => Promise.reject(mapAwsError(e, {profile: ctx.profile.name, operation: 'listing managed instances'})))
      if (items.length > 0) return items
      throw new SsmxError('target', `No managed instances in ${ctx.region} for profile "${ctx.profile.name}".`, [
        'Check the region and profile; instances need the SSM agent and an instance profile with AmazonSSMManagedInstanceCore.',
      ])
    },
  })
  return choice.id
}
