import type {Command} from '@oclif/core'

const fishQuote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
const firstLine = (s: string | undefined, bin: string): string => (s ?? '').split('\n')[0].replaceAll('<%= config.bin %>', bin).trim()

/** Profile names from ~/.aws/config, computed by fish when completing --profile. */
const PROFILES = `(string replace -rf '^\\[(?:profile )?([^\\]]+)\\]$' '$1' < ~/.aws/config 2>/dev/null | string match -v 'sso-session *')`

/**
 * A fish completion script for the CLI's commands (oclif's autocomplete plugin covers bash, zsh and
 * PowerShell only): sub-commands with their summaries, then each command's flags and their options.
 */
export function fishCompletion(bin: string, commands: Command.Loadable[]): string {
  const visible = commands.filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id))
  const words = (id: string) => id.split(':')
  const lines = [`# fish completion for ${bin}: ${bin} autocomplete fish > ~/.config/fish/completions/${bin}.fish`, `complete -c ${bin} -f`]
  for (const c of visible) {
    const [top, sub] = words(c.id)
    const summary = fishQuote(firstLine(c.summary ?? c.description, bin))
    if (sub === undefined) lines.push(`complete -c ${bin} -n '__fish_use_subcommand' -a ${top} -d ${summary}`)
    else lines.push(`complete -c ${bin} -n '__fish_seen_subcommand_from ${top}' -a ${sub} -d ${summary}`)
  }
  for (const c of visible) {
    const [top, sub] = words(c.id)
    const when = sub === undefined ? `__fish_seen_subcommand_from ${top}` : `__fish_seen_subcommand_from ${top}; and __fish_seen_subcommand_from ${sub}`
    for (const arg of Object.values(c.args ?? {})) {
      if (arg.options?.length) lines.push(`complete -c ${bin} -n ${fishQuote(when)} -a ${fishQuote(arg.options.join(' '))}`)
    }
    for (const [name, flag] of Object.entries(c.flags ?? {})) {
      if (flag.hidden) continue
      const parts = [`complete -c ${bin} -n ${fishQuote(when)} -l ${name}`]
      if (flag.char) parts.push(`-s ${flag.char}`)
      if (flag.type === 'option') {
        if (flag.options?.length) parts.push(`-xa ${fishQuote(flag.options.join(' '))}`)
        else if (name === 'profile') parts.push(`-xa ${fishQuote(PROFILES)}`)
        else parts.push('-r')
      }
      parts.push(`-d ${fishQuote(firstLine(flag.summary ?? flag.description, bin))}`)
      lines.push(parts.join(' '))
    }
  }
  return `${lines.join('\n')}\n`
}
