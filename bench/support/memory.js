// Where a benchmarked client's memory is, measured inside its process: native-client.js answers over IPC, and
// memory-probe.mjs (loaded with --import into the whole CLI) answers on a signal.
import {readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {getHeapSpaceStatistics, writeHeapSnapshot} from 'node:v8'

/** RSS, V8's heap and spaces (committed MiB), Buffers outside the heap, and resident memory by mapping. */
export function memoryReport() {
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.physical_space_size / 1048576)]))
  const u = process.memoryUsage()
  return {rss: u.rss, heapTotal: u.heapTotal, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers, spaces, mappings: residentByMapping()}
}

/** Live objects by kind (constructor or V8 type), from a heap snapshot: the ten largest by self size, and totals. */
export function heapSummary() {
  const path = join(tmpdir(), `ssmx-bench-${process.pid}.heapsnapshot`)
  writeHeapSnapshot(path)
  // a snapshot collects garbage first (a full GC): what it gave back is what was waiting for a collection
  const u = process.memoryUsage()
  const afterGc = {rss: u.rss, heapUsed: u.heapUsed, arrayBuffers: u.arrayBuffers}
  const snapshot = JSON.parse(readFileSync(path, 'utf8'))
  rmSync(path, {force: true})
  const {node_fields: fields, node_types: [types]} = snapshot.snapshot.meta
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f))
  const kinds = new Map()
  let total = 0
  let count = 0
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]]
    const size = snapshot.nodes[i + sizeAt]
    if (type === 'synthetic' || size === 0) continue
    // objects by constructor; strings, code, arrays and the rest by V8's type
    const name = type === 'object' || type === 'closure' ? `${snapshot.strings[snapshot.nodes[i + nameAt]]} (${type})` : `(${type})`
    const k = kinds.get(name) ?? {name, size: 0, count: 0}
    k.size += size
    k.count++
    kinds.set(name, k)
    total += size
    count++
  }
  const top = [...kinds.values()].sort((a, b) => b.size - a.size).slice(0, 10).map((k) => ({...k, size: k.size / 1048576}))
  return {total: total / 1048576, count, top, afterGc}
}

/**
 * Resident MiB by mapping, from /proc/self/smaps: the node binary (code and the JavaScript sources of Node's own
 * modules), other files (shared libraries), [heap] (malloc's main arena), and anonymous memory (V8's heap pages,
 * malloc's other arenas and large blocks, thread stacks), with the anonymous mappings' count.
 */
function residentByMapping() {
  const out = {node: 0, files: 0, mallocMain: 0, anonymous: 0, anonymousMappings: 0}
  let kind = ''
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (m) {
      const name = m[1]
      kind = name === '[heap]' ? 'mallocMain' : !name || name.startsWith('[') ? 'anonymous' : name === process.execPath ? 'node' : 'files'
      if (kind === 'anonymous') out.anonymousMappings++
      continue
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line)
    if (r) out[kind] += Number(r[1]) / 1024
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v * 10) / 10]))
}
