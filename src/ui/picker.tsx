import {Box, Text, render, useApp, useInput, useWindowSize} from 'ink'
import {useEffect, useMemo, useRef, useState} from 'react'

import {SsmxError} from '../errors.js'
import {filterInstances} from '../targets/inventory.js'
import type {Candidate} from '../targets/resolve.js'
import {openKeyboard} from './keyboard.js'

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
export const windowStart = (cursor: number, height: number, total: number): number => Math.max(0, Math.min(cursor - Math.floor(height / 2), total - height))

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
      <Text dimColor>{items.length === 0 ? 'no match' : `${cursor + 1}/${items.length}`} · type to filter · ↑↓ PgUp PgDn move · Enter select · Esc cancel</Text>
    </Box>
  )
}

export interface PickerProps {
  load: () => Promise<readonly Candidate[]>
  query?: string
  title?: string
  onDone: (result: {choice?: Candidate; error?: unknown}) => void
}

/** What the keys change; kept in a ref so several keys in one input chunk see each other's effect. */
interface Model {
  query: string
  cursor: number
  matches: readonly Candidate[]
}

/** The interactive picker: spinner while loading, then type-to-filter, arrows, Enter, Esc. */
export function Picker({load, query: initialQuery = '', title = 'Pick an instance', onDone}: PickerProps) {
  const {exit} = useApp()
  const {columns, rows} = useWindowSize()
  const [items, setItems] = useState<readonly Candidate[] | undefined>()
  const model = useRef<Model>({query: initialQuery, cursor: 0, matches: []})
  const [, setVersion] = useState(0)
  const [frame, setFrame] = useState(0)
  const [done, setDone] = useState(false)
  const finished = useRef(false)
  const finish = (result: {choice?: Candidate; error?: unknown}) => {
    if (finished.current) return
    finished.current = true
    onDone(result)
    setDone(true)
  }
  useEffect(() => {
    if (done) exit()
  }, [done])
  useEffect(() => {
    load().then(
      (loaded) => {
        model.current.matches = filterInstances(loaded, model.current.query)
        setItems(loaded)
      },
      (error) => finish({error}),
    )
  }, [])
  useEffect(() => {
    if (items) return
    const timer = setInterval(() => setFrame((f) => f + 1), 80)
    return () => clearInterval(timer)
  }, [items])
  const widths = useMemo(() => columnWidths(items ?? []), [items])
  const height = Math.max(3, (rows || 24) - CHROME)
  useInput((input, key) => {
    if (finished.current) return
    if (key.escape || (key.ctrl && input === 'c')) return finish({})
    if (!items) return
    const m = model.current
    const setQuery = (query: string) => {
      m.query = query
      m.matches = filterInstances(items, query)
      m.cursor = 0
    }
    const move = (to: number) => (m.cursor = Math.max(0, Math.min(m.matches.length - 1, to)))
    if (key.return) {
      if (m.matches[m.cursor]) finish({choice: m.matches[m.cursor]})
      return
    }
    if (key.upArrow || (key.ctrl && input === 'p')) move(m.cursor - 1)
    else if (key.downArrow || (key.ctrl && input === 'n')) move(m.cursor + 1)
    else if (key.pageUp) move(m.cursor - height)
    else if (key.pageDown) move(m.cursor + height)
    else if (key.home) move(0)
    else if (key.end) move(m.matches.length - 1)
    else if (key.backspace || key.delete) setQuery(m.query.slice(0, -1))
    else if (key.ctrl && input === 'u') setQuery('')
    else if (input && !key.ctrl && !key.meta && !key.tab) setQuery(m.query + input.replace(/[\r\n\t]/g, ''))
    else return
    setVersion((v) => v + 1)
  })
  if (done) return null
  if (!items) return <Text>{`${SPINNER[frame % SPINNER.length]} Loading instances…`}</Text>
  const m = model.current
  return (
    <PickerView items={m.matches} widths={widths} query={m.query} cursor={m.cursor} height={height} width={Math.max(20, (columns || 80) - 1)} title={title} />
  )
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
  const input = options.stdin ? {stdin: options.stdin, release: () => {}} : openKeyboard()
  const app = render(<Picker load={options.load} query={options.query} title={options.title} onDone={(r) => (result = r)} />, {
    stdout: options.stdout ?? process.stderr,
    stdin: input.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    interactive: true,
  })
  try {
    await app.waitUntilExit()
  } finally {
    input.release()
  }
  if (result.error) throw result.error
  if (!result.choice) throw new SsmxError('cancelled', 'Cancelled: no instance picked, no session started.')
  return result.choice
}
