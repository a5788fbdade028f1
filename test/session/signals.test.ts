import {spawnSync} from 'node:child_process'
import {EventEmitter} from 'node:events'

import {expect} from 'chai'

import {DEFERRED_SIGNALS, deferSignals} from '../../src/session/signals.js'

describe('session/signals: deferSignals', () => {
  const counts = (source: EventEmitter) => DEFERRED_SIGNALS.map((s) => source.listenerCount(s))

  it('listens for SIGTERM, SIGHUP and SIGINT until released, then leaves no listener behind', () => {
    const source = new EventEmitter()
    const deferred = deferSignals({source})
    expect(counts(source)).to.deep.equal([1, 1, 1])
    expect(deferred.signal).to.equal(undefined)
    deferred.release()
    deferred.release()
    expect(counts(source)).to.deep.equal([0, 0, 0])
  })

  it('records the first signal only, and says so once', () => {
    const source = new EventEmitter()
    const told: string[] = []
    const deferred = deferSignals({source, onFirst: (s) => told.push(s)})
    source.emit('SIGHUP')
    source.emit('SIGTERM')
    source.emit('SIGINT')
    expect(deferred.signal).to.equal('SIGHUP')
    expect(told).to.deep.equal(['SIGHUP'])
    deferred.release()
    expect(counts(source)).to.deep.equal([0, 0, 0])
  })

  it('ignores what arrives after release (the next owner handles it)', () => {
    const source = new EventEmitter()
    const deferred = deferSignals({source})
    deferred.release()
    source.emit('SIGTERM')
    expect(deferred.signal).to.equal(undefined)
  })

  it('only the signals asked for', () => {
    const source = new EventEmitter()
    const deferred = deferSignals({source, signals: ['SIGTERM']})
    expect(counts(source)).to.deep.equal([1, 0, 0])
    deferred.release()
  })

  it("on the process by default: while deferred, a listener stands in for Node's default action; released, the count is back", () => {
    const before = DEFERRED_SIGNALS.map((s) => process.listenerCount(s))
    const deferred = deferSignals()
    expect(DEFERRED_SIGNALS.map((s) => process.listenerCount(s))).to.deep.equal(before.map((n) => n + 1))
    deferred.release()
    expect(DEFERRED_SIGNALS.map((s) => process.listenerCount(s))).to.deep.equal(before)
  })

  it('a real SIGTERM to a process that defers it: recorded, listeners gone, and the process lives on to exit 0', () => {
    // in a child process: a real signal to mocha's own process would end the test run
    const module = new URL('../../src/session/signals.js', import.meta.url).href
    const script = `
      const {deferSignals, DEFERRED_SIGNALS} = await import(${JSON.stringify(module)})
      const deferred = deferSignals()
      process.kill(process.pid, 'SIGTERM')
      const deadline = Date.now() + 10000
      const poll = setInterval(() => {
        if (!deferred.signal && Date.now() < deadline) return
        clearInterval(poll)
        deferred.release()
        console.log(JSON.stringify({signal: deferred.signal, listeners: DEFERRED_SIGNALS.map((s) => process.listenerCount(s))}))
      }, 5)
    `
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', timeout: 15_000})
    expect(r.status, r.stderr).to.equal(0)
    expect(r.signal).to.equal(null)
    expect(JSON.parse(r.stdout)).to.deep.equal({signal: 'SIGTERM', listeners: [0, 0, 0]})
  })
})
