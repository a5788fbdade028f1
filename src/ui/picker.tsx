import {Box, Text, render, useApp, useInput, useWindowSize} from 'ink'
import {useEffect, useMemo, useState} from 'react'

import {SsmxError} from '../errors.js'
import {filterInstances} from '../targets/inventory.js'
import type {Candidate} from '../targets/resolve.js'

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
/** lines the picker uses besides the list: title, query, count, help */
const CHROME = 4

const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width))

/** Column widths from all items once (not per filter), so rows stay put while typing. */
export function columnWidths(items: readonly Candidate[]): number[] {
  const w = [4, 10, 7, 8]
  for (const c of items) {
    w[0] = Math.max(w[0], Math.min(32, (c.name ?? '-').length))
    w[1] = Math.max(w[1], c.id.length)
    w[2] = Math.max(w[2], (c.privateIp ?? '-').length)
    w[3] = Math.max(w[3], Math.min(24, (c.platform ?? '-').length))
  }
  return w
}

export const rowText = (c: Candidate, w: number[]): string =>
  [fit(c.name ?? '-', w[0]), fit(c.id, w[1]), fit(c.privateIp ?? '-', w[2]), fit(c.platform ?? '-', w[3]), c.pingStatus ?? c.state ?? '-'].join('  ')

/** The first visible row: keeps the cursor inside a window of `height` rows. */
export const windowStart = (cursor: number, height: number, total: number): number =>
  Math.max(0, Math.min(cursor - Math.floor(height / 2), total - height))

export interface PickerViewProps {
  items: readonly Candidate[]
  widths: number[]
  query: string
  cursor: number
  height: number
  width: number
  title: string
}

/** A pure view: only the visible window of rows is rendered, whatever the number of items. */
export function PickerView({items, widths, query, cursor, height, width, title}: PickerViewProps) {
  const start = windowStart(cursor, height, items.length)
  const visible = items.slice(start, start + height)
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      <Text>
        <Text color="cyan">{'> '}</Text>
        {query}
        <Text inverse> </Text>
      </Text>
      {visible.map((c, i) => {
        const selected = start + i === cursor
        const stale = c.pingStatus !== undefined && c.pingStatus !== 'Online'
        return (
          <Text key={c.id} inverse={selected} dimColor={!selected && stale} wrap="truncate">
            {fit(`${selected ? '›' : ' '} ${rowText(c, widths)}`, width)}
          </Text>
        )
      })}
      <Text dimColor>
        {items.length === 0 ? 'no match' : `${cursor + 1}/${items.length}`} · type to filter · ↑↓ PgUp PgDn move · Enter select · Esc cancel
      </Text>
    </Box>
  )
}

export interface PickerProps {
  load: () => Promise<readonly Candidate[]>
  query?: string
  title?: string
  onDone: (result: {choice?: Candidate; error?: unknown}) => void
}

/** The interactive picker: spinner while loading, then type-to-filter, arrows, Enter, Esc. */
export function Picker({load, query: initialQuery = '', title = 'Pick an instance', onDone}: PickerProps) {
  const {exit} = useApp()
  const {columns, rows} = useWindowSize()
  const [items, setItems] = useState<readonly Candidate[] | undefined>()
  const [query, setQuery] = useState(initialQuery)
  const [cursor, setCursor] = useState(0)
  const [frame, setFrame] = useState(0)
  const [done, setDone] = useState(false)
  const finish = (result: {choice?: Candidate; error?: unknown}) => {
    onDone(result)
    setDone(true)
  }
  useEffect(() => {
    if (done) exit()
  }, [done])
  useEffect(() => {
    load().then(setItems, (error) => finish({error}))
  }, [])
  useEffect(() => {
    if (items) return
    const timer = setInterval(() => setFrame((f) => f + 1), 80)
    return () => clearInterval(timer)
  }, [items])
  const widths = useMemo(() => columnWidths(items ?? []), [items])
  const matches = useMemo(() => (items ? filterInstances(items, query) : []), [items, query])
  const height = Math.max(3, (rows || 24) - CHROME)
  useInput((input, key) => {
    if (done) return
    if (key.escape || (key.ctrl && input === 'c')) return finish({})
    if (!items) return
    if (key.return) {
      if (matches[cursor]) finish({choice: matches[cursor]})
      return
    }
    const move = (to: number) => setCursor(Math.max(0, Math.min(matches.length - 1, to)))
    if (key.upArrow || (key.ctrl && input === 'p')) return move(cursor - 1)
    if (key.downArrow || (key.ctrl && input === 'n')) return move(cursor + 1)
    if (key.pageUp) return move(cursor - height)
    if (key.pageDown) return move(cursor + height)
    if (key.home) return move(0)
    if (key.end) return move(matches.length - 1)
    if (key.backspace || key.delete) {
      setQuery((q) => q.slice(0, -1))
      setCursor(0)
      return
    }
    if (key.ctrl && input === 'u') {
      setQuery('')
      setCursor(0)
      return
    }
    if (input && !key.ctrl && !key.meta && !key.tab) {
      setQuery((q) => q + input.replace(/[\r\n\t]/g, ''))
      setCursor(0)
    }
  })
  if (done) return null
  if (!items) return <Text>{`${SPINNER[frame % SPINNER.length]} Loading instances…`}</Text>
  return <PickerView items={matches} widths={widths} query={query} cursor={Math.min(cursor, Math.max(0, matches.length - 1))} height={height} width={Math.max(20, (columns || 80) - 1)} title={title} />
}

export interface PickOptions {
  load: () => Promise<readonly Candidate[]>
  query?: string
  title?: string
  stdin?: NodeJS.ReadStream
  /** where the picker draws: stderr, so stdout stays for results */
  stdout?: NodeJS.WriteStream
}

/** Opens the picker; resolves with the chosen instance, rejects with a `cancelled` SsmxError on Esc / Ctrl-C. */
export async function pickInstance(options: PickOptions): Promise<Candidate> {
  let result: {choice?: Candidate; error?: unknown} = {}
  const app = render(<Picker load={options.load} query={options.query} title={options.title} onDone={(r) => (result = r)} />, {
    stdout: options.stdout ?? process.stderr,
    stdin: options.stdin ?? process.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    interactive: true,
  })
  await app.waitUntilExit()
  if (result.error) throw result.error
  if (!result.choice) throw new SsmxError('cancelled', 'Cancelled: no instance picked, no session started.')
  return result.choice
}
