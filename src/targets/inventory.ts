import {allPages} from '../aws/paginate.js'
import type {Ec2, Instance, InstanceInformation, Ssm} from '../aws/ports.js'
import {type Candidate, candidateFromInstance} from './resolve.js'

/** A managed instance as `ssmx list` and the picker show it: SSM's agent view joined with EC2's. */
export interface InventoryItem extends Candidate {
  pingStatus: string
  /** ISO time of the agent's last ping */
  lastPing?: string
  agentVersion?: string
  availabilityZone?: string
  /** agent not Online, or silent for longer than STALE_AFTER_MS */
  stale: boolean
}

/** The agent pings every 5 minutes; three missed pings is stale. */
export const STALE_AFTER_MS = 15 * 60_000
/** EC2 accepts at most 200 values in one filter. */
export const EC2_ID_BATCH = 200

export interface InventoryDeps {
  ssm: Pick<Ssm, 'describeInstanceInformation'>
  ec2: Pick<Ec2, 'describeInstances'>
  now?: () => Date
}

/** All pages of SSM DescribeInstanceInformation, optionally only the given ids. */
export async function describeManaged(ssm: InventoryDeps['ssm'], ids?: string[]): Promise<InstanceInformation[]> {
  return allPages(
    (page) => ssm.describeInstanceInformation({MaxResults: 50, NextToken: page.NextToken, ...(ids ? {Filters: [{Key: 'InstanceIds', Values: ids}]} : {})}),
    (out) => out.InstanceInformationList,
  )
}

/** EC2 DescribeInstances for these ids: an instance-id filter per batch of 200, every page of each. */
export async function describeEc2(ec2: InventoryDeps['ec2'], ids: string[]): Promise<Map<string, Instance>> {
  const found = new Map<string, Instance>()
  const ec2Ids = ids.filter((id) => id.startsWith('i-'))
  for (let start = 0; start < ec2Ids.length; start += EC2_ID_BATCH) {
    const Values = ec2Ids.slice(start, start + EC2_ID_BATCH)
    const reservations = await allPages(
      (page) => ec2.describeInstances({Filters: [{Name: 'instance-id', Values}], MaxResults: 1000, NextToken: page.NextToken}),
      (out) => out.Reservations,
    )
    for (const r of reservations) for (const i of r.Instances ?? []) if (i.InstanceId) found.set(i.InstanceId, i)
  }
  return found
}

/** Joins one SSM record with its EC2 instance (absent for hybrid mi- nodes). */
export function joinInstance(info: InstanceInformation, instance: Instance | undefined, now: Date): InventoryItem {
  const ec2 = instance ? candidateFromInstance(instance) : undefined
  const pingStatus = info.PingStatus ?? 'Unknown'
  const lastPing = info.LastPingDateTime ? new Date(info.LastPingDateTime) : undefined
  const silent = lastPing ? now.getTime() - lastPing.getTime() > STALE_AFTER_MS : true
  return {
    id: info.InstanceId ?? '',
    name: ec2?.name ?? (info.ResourceType === 'ManagedInstance' ? info.Name || info.ComputerName : undefined),
    privateIp: ec2?.privateIp ?? info.IPAddress,
    state: ec2?.state,
    platform: ec2?.platform ?? ([info.PlatformName, info.PlatformVersion].filter(Boolean).join(' ') || info.PlatformType),
    pingStatus,
    lastPing: lastPing?.toISOString(),
    agentVersion: info.AgentVersion,
    availabilityZone: instance?.Placement?.AvailabilityZone,
    stale: pingStatus !== 'Online' || silent,
  }
}

/**
 * The managed instances of the account and region: every page of SSM DescribeInstanceInformation
 * joined with EC2 DescribeInstances (Name tag, private IP, platform), sorted by name then id.
 * `ids` limits both calls to those instances (the picker's view of several matches).
 */
export async function listInstances(deps: InventoryDeps, options: {ids?: string[]; filter?: string} = {}): Promise<InventoryItem[]> {
  const managed = await describeManaged(deps.ssm, options.ids)
  const ec2 = await describeEc2(
    deps.ec2,
    managed.map((m) => m.InstanceId ?? ''),
  )
  const now = (deps.now ?? (() => new Date()))()
  const items = managed.map((m) => joinInstance(m, ec2.get(m.InstanceId ?? ''), now))
  items.sort((a, b) => (a.name ?? '\uffff').localeCompare(b.name ?? '\uffff') || a.id.localeCompare(b.id))
  return options.filter ? filterInstances(items, options.filter) : items
}

const searchTexts = new WeakMap<Candidate, string>()

/** The text a filter matches against: name, id, IP, platform, ping status (lower case); built once per item. */
export function searchText(c: Candidate): string {
  let text = searchTexts.get(c)
  if (text === undefined) {
    text = [c.name, c.id, c.privateIp, c.platform, c.pingStatus].filter(Boolean).join(' ').toLowerCase()
    searchTexts.set(c, text)
  }
  return text
}

/** Index of a fuzzy match of `needle` in `hay`: 0 for a prefix, higher is worse, -1 for none. */
export function fuzzyScore(hay: string, needle: string): number {
  const at = hay.indexOf(needle)
  if (at >= 0) return at
  let pos = -1
  let gaps = 0
  for (const ch of needle) {
    const next = hay.indexOf(ch, pos + 1)
    if (next < 0) return -1
    if (pos >= 0) gaps += next - pos - 1
    pos = next
  }
  return 1000 + gaps
}

/**
 * Items matching every space-separated word of `query`, best first. When some items contain every word
 * as typed, only those are shown; otherwise words may match as subsequences (`wb1` finds `web-1`).
 */
export function fuzzyFilter<T>(items: readonly T[], query: string, text: (item: T) => string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean)
  if (words.length === 0) return [...items]
  const exact: Array<{item: T; score: number; index: number}> = []
  const fuzzy: typeof exact = []
  items.forEach((item, index) => {
    const hay = text(item)
    let score = 0
    let substring = true
    for (const w of words) {
      const s = fuzzyScore(hay, w)
      if (s < 0) return
      score += s
      substring &&= s < 1000
    }
    ;(substring ? exact : fuzzy).push({item, score, index})
  })
  const scored = exact.length > 0 ? exact : fuzzy
  scored.sort((a, b) => a.score - b.score || a.index - b.index)
  return scored.map((s) => s.item)
}

export const filterInstances = <T extends Candidate>(items: readonly T[], query: string): T[] => fuzzyFilter(items, query, searchText)

const pad = (rows: string[][]): string[] => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  )
}

/** Aligned columns for a terminal; stale agents are marked with `!` (see staleNote). */
export function formatInventory(items: InventoryItem[], now = new Date()): string[] {
  if (items.length === 0) return []
  const ago = (iso?: string) => {
    if (!iso) return '-'
    const minutes = Math.round((now.getTime() - new Date(iso).getTime()) / 60_000)
    if (minutes < 1) return 'now'
    if (minutes < 120) return `${minutes}m ago`
    if (minutes < 48 * 60) return `${Math.round(minutes / 60)}h ago`
    return `${Math.round(minutes / 1440)}d ago`
  }
  const rows = [
    ['NAME', 'INSTANCE', 'PRIVATE IP', 'PLATFORM', 'AGENT', 'LAST PING'],
    ...items.map((i) => [i.name ?? '-', i.id, i.privateIp ?? '-', i.platform ?? '-', `${i.pingStatus}${i.stale ? ' !' : ''}`, ago(i.lastPing)]),
  ]
  return pad(rows)
}

/** The footnote for the `!` marks, or undefined when every agent is fresh. */
export function staleNote(items: InventoryItem[]): string | undefined {
  const stale = items.filter((i) => i.stale).length
  if (stale === 0) return undefined
  return `! ${stale} stale agent${stale === 1 ? '' : 's'}: not Online, or no ping for over ${STALE_AFTER_MS / 60_000} minutes; sessions will likely fail.`
}
