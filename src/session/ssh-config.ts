/** ~/.ssh/config text for ssh through ssmx: no SDK imports, so `ssmx ssh-config` starts fast. */
import type {InventoryItem} from '../targets/inventory.js'
import {shellQuote} from '../platform/process.js'

export interface ProxyOptions {
  /** how to run ssmx: ['ssmx'] in a config file, [node, bin/run.js] for `ssmx ssh` */
  command: string[]
  profile?: string
  region?: string
  endpointUrl?: string
  /** --native: ssh-proxy runs the built-in session client even when session-manager-plugin is installed */
  native?: boolean
  /** --broker: ssh-proxy starts the session through the session broker */
  broker?: boolean
}

/** A `ProxyCommand` value: shell-quoted, with ssh's `%` escaped except in `%h %p`. */
export function proxyCommand(o: ProxyOptions): string {
  const extra = [
    ...(o.profile ? ['--profile', o.profile] : []),
    ...(o.region ? ['--region', o.region] : []),
    ...(o.endpointUrl ? ['--endpoint-url', o.endpointUrl] : []),
    ...(o.native ? ['--native'] : []),
    ...(o.broker ? ['--broker'] : []),
  ]
  const word = (a: string) => shellQuote(a).replace(/%/g, '%%')
  return [...o.command.map(word), 'ssh-proxy', '%h', '%p', ...extra.map(word)].join(' ')
}

/** A name usable as an ssh Host alias: no spaces, no pattern characters. */
export const hostAlias = (name: string): string =>
  name
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')

/**
 * A ~/.ssh/config block: `Host i-* mi-*` through ssmx, and with `aliases` one Host per Name tag
 * (names shared by several instances are left out, with a comment saying so).
 */
export function sshConfig(o: ProxyOptions & {user?: string; aliases?: InventoryItem[]; invocation?: string}): string {
  const proxy = proxyCommand(o)
  const user = o.user ? [`  User ${o.user}`] : []
  const lines = [
    `# SSH through AWS Session Manager, written by: ${o.invocation ?? 'ssmx ssh-config'}`,
    '# ssh i-0123456789abcdef0 · scp file i-0123456789abcdef0:/tmp/ · rsync -a dir/ i-0123456789abcdef0:dir/',
  ]
  if (o.aliases) {
    const byAlias = new Map<string, InventoryItem[]>()
    for (const item of o.aliases) {
      const alias = item.name ? hostAlias(item.name) : ''
      if (!alias || /^(i|mi)-/.test(alias)) continue
      byAlias.set(alias, [...(byAlias.get(alias) ?? []), item])
    }
    const shared = [...byAlias].filter(([, items]) => items.length > 1)
    if (shared.length > 0)
      lines.push(`# left out, the name is on several instances: ${shared.map(([a, items]) => `${a} (${items.map((i) => i.id).join(', ')})`).join('; ')}`)
    for (const [alias, items] of [...byAlias].filter(([, i]) => i.length === 1)) {
      lines.push('', `Host ${alias}`, `  HostName ${items[0].id}`, ...user, `  ProxyCommand ${proxy}`)
    }
  }
  lines.push('', 'Host i-* mi-*', ...user, `  ProxyCommand ${proxy}`)
  return `${lines.join('\n')}\n`
}
