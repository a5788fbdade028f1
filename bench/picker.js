#!/usr/bin/env node
/**
 * Picker responsiveness with many instances (not a test: prints numbers, asserts nothing).
 * Renders the real ink picker (dist/src/ui/picker.js) into a fake 120x40 terminal and a fake stdin, then
 *   first paint: render() until the first frame that shows the list
 *   keystroke:   a key written to stdin until the next frame is written (filter + React + ink layout + output)
 * Run after `npm run build`: node bench/picker.js [instances=10000] [rounds=5]
 */
import {PassThrough, Writable} from 'node:stream'
import {performance} from 'node:perf_hooks'

// as ssmx loads it: React's production build (see loadPicker in src/ui/chooser.ts)
const {loadPicker} = await import('../dist/src/ui/chooser.js')
const {Picker} = await loadPicker()
const {createElement} = await import('react')
const {render} = await import('ink')

const N = Number(process.argv[2] ?? 10_000)
const ROUNDS = Number(process.argv[3] ?? 5)

const platforms = ['Linux/UNIX', 'Windows', 'Red Hat Enterprise Linux', 'Ubuntu']
const roles = ['web', 'api', 'worker', 'db', 'cache', 'batch', 'bastion', 'search']
const instances = Array.from({length: N}, (_, i) => ({
  id: `i-${(0x1000000 + i * 7919).toString(16).padStart(17, '0')}`,
  name: `${roles[i % roles.length]}-${['prod', 'stage', 'dev'][i % 3]}-${i}`,
  privateIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  platform: platforms[i % platforms.length],
  pingStatus: i % 50 === 0 ? 'ConnectionLost' : 'Online',
}))

class FakeTerminal extends Writable {
  columns = 120
  rows = 40
  isTTY = true
  frames = 0
  last = ''
  waiters = []
  _write(chunk, _enc, done) {
    this.frames++
    this.last = String(chunk)
    const ready = this.waiters.filter((w) => w.test(this.last))
    this.waiters = this.waiters.filter((w) => !ready.includes(w))
    for (const w of ready) w.resolve()
    done()
  }
  next(test = () => true) {
    return new Promise((resolve) => this.waiters.push({test, resolve}))
  }
}

function fakeStdin() {
  const s = new PassThrough()
  s.isTTY = true
  s.setRawMode = () => s
  s.ref = () => s
  s.unref = () => s
  return s
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const ms = (x) => `${x.toFixed(1)} ms`

const firstPaint = []
const keystroke = []
const filterOnly = []
const { filterInstances } = await import('../dist/src/targets/inventory.js')
const QUERY = 'web-prod-1' // no spaces: a key that changes nothing visible draws no frame
for (let round = 0; round < ROUNDS; round++) {
  const stdout = new FakeTerminal()
  const stdin = fakeStdin()
  let done
  const finished = new Promise((r) => (done = r))
  const t0 = performance.now()
  const painted = stdout.next((frame) => frame.includes(`/${N}`))
  const app = render(createElement(Picker, {load: async () => instances, onDone: done}), {stdout, stdin, stderr: stdout, exitOnCtrlC: false, patchConsole: false, interactive: true, maxFps: 1000})
  await painted
  firstPaint.push(performance.now() - t0)
  const keys = [...QUERY, '\u007F', '\u007F', '\u007F', '\u007F', '\u007F', '\u007F', '\u007F', '\u007F', '\u007F', '\u007F']
  for (const key of keys) {
    await new Promise((r) => setTimeout(r, 5)) // let ink's frame throttle settle: measure one key at a time
    const frame = stdout.next()
    const t = performance.now()
    stdin.write(key)
    const drawn = await Promise.race([frame.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))])
    if (drawn) keystroke.push(performance.now() - t)
  }
  for (let i = 1; i <= QUERY.length; i++) {
    const t = performance.now()
    filterInstances(instances, QUERY.slice(0, i))
    filterOnly.push(performance.now() - t)
  }
  stdin.write('\u001B')
  await finished
  app.unmount()
  await app.waitUntilExit().catch(() => {})
}

console.log(`picker with ${N} instances, ${ROUNDS} rounds (node ${process.version})`)
console.log(`  first paint (render → list frame):   median ${ms(median(firstPaint))}  (max ${ms(Math.max(...firstPaint))})`)
console.log(`  keystroke (key → next frame):        median ${ms(median(keystroke))}  (max ${ms(Math.max(...keystroke))}, n=${keystroke.length})`)
console.log(`  filter alone (filterInstances):      median ${ms(median(filterOnly))}  (max ${ms(Math.max(...filterOnly))})`)
const BUDGET_MS = 50 // a keystroke should feel instant: well under 100 ms, on a loaded laptop
console.log(`  frame budget ${BUDGET_MS} ms per keystroke (median): ${median(keystroke) <= BUDGET_MS ? 'within' : 'OVER'}`)
process.exit(0)
