import {Box, Text, render} from 'ink'

import type {AccountResult, ProgressEvent} from '../admin/progress.js'
import type {ProgressView} from './progress.js'

export interface ProgressState {
  steps: string[]
  operation?: {operationId: string; action: string; status: string}
  results: AccountResult[]
}

interface RegionCounts {
  succeeded: number
  running: number
  failed: number
  pending: number
}

export function countByRegion(results: AccountResult[]): Array<[string, RegionCounts]> {
  const regions = new Map<string, RegionCounts>()
  for (const r of results) {
    const c = regions.get(r.region) ?? {succeeded: 0, running: 0, failed: 0, pending: 0}
    if (r.status === 'SUCCEEDED') c.succeeded++
    else if (r.status === 'RUNNING') c.running++
    else if (r.status === 'FAILED' || r.status === 'CANCELLED') c.failed++
    else c.pending++
    regions.set(r.region, c)
  }
  return [...regions.entries()].sort(([a], [b]) => a.localeCompare(b))
}

const MAX_FAILURES_SHOWN = 8

/** Accounts × regions of the running stack-set operation: per region succeeded / running / failed / pending, and the latest failures. */
export function OperationProgress({state}: {state: ProgressState}) {
  const failures = state.results.filter((r) => r.status === 'FAILED' || r.status === 'CANCELLED')
  const accounts = new Set(state.results.map((r) => r.account)).size
  return (
    <Box flexDirection="column">
      {state.steps.map((s, i) => (
        <Text key={i} dimColor>
          • {s}
        </Text>
      ))}
      {state.operation && (
        <Text>
          <Text bold>{state.operation.action}</Text> {state.operation.operationId}: {state.operation.status} ({accounts} account{accounts === 1 ? '' : 's'})
        </Text>
      )}
      {countByRegion(state.results).map(([region, c]) => (
        <Text key={region}>
          {'  '}
          {region.padEnd(16)}
          <Text color="green">✓ {c.succeeded}</Text>
          {'  '}
          <Text color="yellow">… {c.running}</Text>
          {'  '}
          <Text color="red">✗ {c.failed}</Text>
          {'  '}
          <Text dimColor>pending {c.pending}</Text>
        </Text>
      ))}
      {failures.slice(-MAX_FAILURES_SHOWN).map((f) => (
        <Text key={`${f.account}|${f.region}`} color="red">
          {'  '}✗ {f.account} {f.region}: {f.reason ?? f.status}
        </Text>
      ))}
      {failures.length > MAX_FAILURES_SHOWN && <Text color="red">{`  … and ${failures.length - MAX_FAILURES_SHOWN} more failures (listed at the end)`}</Text>}
    </Box>
  )
}

export function reduceProgress(state: ProgressState, e: ProgressEvent): ProgressState {
  if (e.type === 'step') return {...state, steps: [...state.steps, e.message]}
  if (e.type === 'operation') {
    const previous = state.operation
    if (!previous || previous.operationId === e.operationId) return {...state, operation: {operationId: e.operationId, action: e.action, status: e.status}}
    // a new operation: the finished one stays on screen as a line
    const ok = state.results.filter((r) => r.status === 'SUCCEEDED').length
    const failed = state.results.filter((r) => r.status === 'FAILED' || r.status === 'CANCELLED').length
    const summary = `${previous.action} ${previous.operationId}: ${previous.status} (${ok} succeeded, ${failed} failed)`
    return {steps: [...state.steps, summary], operation: {operationId: e.operationId, action: e.action, status: e.status}, results: []}
  }
  return {...state, results: e.results}
}

/** Live view on a terminal: re-renders on every event, at most ink's frame rate. */
export function liveProgress(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  let state: ProgressState = {steps: [], results: []}
  const app = render(<OperationProgress state={state} />, {stdout: stream, patchConsole: false, exitOnCtrlC: true})
  return {
    progress: (e) => {
      state = reduceProgress(state, e)
      app.rerender(<OperationProgress state={state} />)
    },
    close: async () => {
      app.unmount()
      await app.waitUntilExit().catch(() => undefined)
    },
  }
}
