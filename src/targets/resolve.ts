import {allPages} from '../aws/paginate.js'
import type {Ec2, Filter, Instance} from '../aws/ports.js'
import {SsmxError} from '../errors.js'

export interface Candidate {
  id: string
  name?: string
  privateIp?: string
  state?: string
  platform?: string
  pingStatus?: string
}

/** Chooses one of several matches (the interactive picker); absent without a terminal. */
export type Chooser = (candidates: Candidate[], query: string) => Promise<Candidate>

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/
const MANAGED_ID = /^mi-[0-9a-f]{17}$/
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/

/** True for a syntactically valid EC2 instance id or hybrid managed-node id (checked locally, no call). */
export const isTargetId = (s: string): boolean => INSTANCE_ID.test(s) || MANAGED_ID.test(s)

/** How a non-id target is looked up: which EC2 filter it becomes. */
export function targetFilter(query: string): {filter: Filter; describe: string} {
  const tag = /^tag:([^=]+)=(.*)$/.exec(query)
  if (tag) return {filter: {Name: `tag:${tag[1]}`, Values: [tag[2]]}, describe: `tag ${tag[1]}=${tag[2]}`}
  if (IPV4.test(query)) return {filter: {Name: 'private-ip-address', Values: [query]}, describe: `private IP ${query}`}
  if (/^ip-[\d-]+\./.test(query) || query.endsWith('.internal')) {
    return {filter: {Name: 'private-dns-name', Values: [query]}, describe: `private DNS name ${query}`}
  }
  return {filter: {Name: 'tag:Name', Values: [query]}, describe: `Name tag "${query}"`}
}

export const candidateFromInstance = (i: Instance): Candidate => ({
  id: i.InstanceId ?? '',
  name: i.Tags?.find((t) => t.Key === 'Name')?.Value,
  privateIp: i.PrivateIpAddress,
  state: i.State?.Name,
  platform: i.PlatformDetails ?? i.Platform,
})

export const formatCandidates = (list: Candidate[]): string =>
  list.map((c) => `  ${c.id}  ${c.name ?? '-'}  ${c.privateIp ?? '-'}  ${c.state ?? c.pingStatus ?? '-'}`).join('\n')

/**
 * The target as given, trimmed, when it can name an instance; an error for an empty one or an instance id that is
 * not valid. Local only: commands call it before anything else (region, credentials), so a typo is the error shown.
 */
export function checkTarget(query: string): string {
  const q = query.trim()
  if (/^(i|mi)-/.test(q) && !isTargetId(q)) {
    throw new SsmxError('target', `"${q}" is not a valid instance id.`, [
      'Instance ids look like i-0123456789abcdef0 (EC2) or mi-0123456789abcdef0 (hybrid managed node).',
    ])
  }
  if (q === '') throw new SsmxError('usage', 'No target given.', ['Pass an instance id, a Name tag, a private IP or tag:Key=Value.'])
  return q
}

/**
 * Resolves a target to one instance id: ids are checked locally; a Name tag, private IP, private DNS
 * name or `tag:Key=Value` is looked up with EC2 DescribeInstances (paged). Several running matches go to
 * `choose` when there is one (the picker), else they are an error that lists them.
 */
export async function resolveTarget(query: string, deps: {ec2: Pick<Ec2, 'describeInstances'>; choose?: Chooser}): Promise<Candidate> {
  const q = checkTarget(query)
  if (isTargetId(q)) return {id: q}
  const {filter, describe} = targetFilter(q)
  // a lazy port (ports.ts): connecting by instance id never pays for the EC2 client's start-up
  const states = {Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped']}
  const reservations = await allPages(
    (page) => deps.ec2.describeInstances({Filters: [filter, states], NextToken: page.NextToken}),
    (out) => out.Reservations,
  )
  const all = reservations.flatMap((r) => (r.Instances ?? []).map(candidateFromInstance))
  const running = all.filter((c) => c.state === 'running')
  if (running.length === 1) return running[0]
  if (running.length === 0) {
    throw new SsmxError('target', `No running instance matches ${describe}.`, [
      ...(all.length > 0 ? [`Matching instances that are not running:\n${formatCandidates(all)}`] : []),
      'Check the region and profile, or run `ssmx list` to see the managed instances.',
    ])
  }
  if (deps.choose) return deps.choose(running, q)
  throw new SsmxError('target', `${running.length} running instances match ${describe}:\n${formatCandidates(running)}`, [
    'Pass one instance id, or run in a terminal to pick one.',
  ])
}
