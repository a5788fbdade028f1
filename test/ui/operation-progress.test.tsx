import {PassThrough} from 'node:stream'

import {expect} from 'chai'
import {renderToString} from 'ink'

import type {ProgressEvent} from '../../src/admin/progress.js'
import {confirmChange} from '../../src/ui/confirm.js'
import {OperationProgress, type ProgressState, reduceProgress} from '../../src/ui/operation-progress.js'
import {lineProgress} from '../../src/ui/progress.js'

const EVENTS: ProgressEvent[] = [
  {type: 'step', message: 'Creating stack set ssmx-runas'},
  {type: 'operation', operationId: 'op-1', action: 'CREATE_STACK_INSTANCES', status: 'RUNNING'},
  {
    type: 'results',
    operationId: 'op-1',
    results: [
      {account: '222222222220', region: 'eu-west-1', status: 'SUCCEEDED'},
      {account: '222222222221', region: 'eu-west-1', status: 'RUNNING'},
      {account: '222222222220', region: 'us-east-1', status: 'PENDING'},
    ],
  },
  {
    type: 'results',
    operationId: 'op-1',
    results: [
      {account: '222222222220', region: 'eu-west-1', status: 'SUCCEEDED'},
      {account: '222222222221', region: 'eu-west-1', status: 'FAILED', reason: 'Role ssmx-runas-eu-west-1 already exists'},
      {account: '222222222220', region: 'us-east-1', status: 'SUCCEEDED'},
    ],
  },
  {type: 'operation', operationId: 'op-1', action: 'CREATE_STACK_INSTANCES', status: 'FAILED'},
]

describe('ui: stack-set operation progress', () => {
  it('the live view counts accounts per region and lists failures with their reason', () => {
    const state = EVENTS.slice(0, 3).reduce(reduceProgress, {steps: [], results: []} as ProgressState)
    const running = renderToString(<OperationProgress state={state} />, {columns: 120})
    expect(running).to.include('CREATE_STACK_INSTANCES op-1: RUNNING (2 accounts)')
    expect(running).to.match(/eu-west-1\s+✓ 1 {2}… 1 {2}✗ 0 {2}pending 0/)
    expect(running).to.match(/us-east-1\s+✓ 0 {2}… 0 {2}✗ 0 {2}pending 1/)
    const done = renderToString(<OperationProgress state={EVENTS.reduce(reduceProgress, {steps: [], results: []} as ProgressState)} />, {columns: 120})
    expect(done).to.include('✗ 222222222221 eu-west-1: Role ssmx-runas-eu-west-1 already exists')
    expect(done).to.include('• Creating stack set ssmx-runas')
    const next = renderToString(
      <OperationProgress
        state={reduceProgress(EVENTS.reduce(reduceProgress, {steps: [], results: []} as ProgressState), {
          type: 'operation',
          operationId: 'op-2',
          action: 'UPDATE_STACK_INSTANCES',
          status: 'STARTED',
        })}
      />,
      {columns: 120},
    )
    expect(next).to.include('• CREATE_STACK_INSTANCES op-1: FAILED (2 succeeded, 1 failed)')
    expect(next).to.include('UPDATE_STACK_INSTANCES op-2: STARTED (0 accounts)')
  })

  it('without a terminal: one line per step, status change and account × region change', () => {
    const lines: string[] = []
    const view = lineProgress((l) => lines.push(l))
    for (const e of EVENTS) view.progress(e)
    expect(lines).to.deep.equal([
      'Creating stack set ssmx-runas',
      'CREATE_STACK_INSTANCES op-1: RUNNING',
      '  222222222220 eu-west-1 SUCCEEDED',
      '  222222222221 eu-west-1 RUNNING',
      '  222222222220 us-east-1 PENDING',
      '  222222222221 eu-west-1 FAILED: Role ssmx-runas-eu-west-1 already exists',
      '  222222222220 us-east-1 SUCCEEDED',
      'CREATE_STACK_INSTANCES op-1: FAILED',
    ])
  })

  it('confirmChange() refuses without a terminal and names the flag', async () => {
    const input = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.ReadStream
    const output = Object.assign(new PassThrough(), {isTTY: true}) as unknown as NodeJS.WriteStream
    const error = await confirmChange('Apply?', {flag: '--yes', action: 'apply the plan above', input, output}).catch((e) => e)
    expect(error.code).to.equal('usage')
    expect(error.message).to.equal('Not asking to apply the plan above: there is no terminal to answer in.')
    expect(error.suggestions[0]).to.include('Pass --yes')
  })

  it('confirmChange() on a terminal: y is yes, Enter or anything else no', async () => {
    for (const [answer, expected] of [
      ['y\n', true],
      ['yes\n', true],
      ['\n', false],
      ['n\n', false],
    ] as const) {
      const input = Object.assign(new PassThrough(), {isTTY: true}) as unknown as NodeJS.ReadStream
      const output = Object.assign(new PassThrough(), {isTTY: true}) as unknown as NodeJS.WriteStream
      const asked = confirmChange('Apply?', {flag: '--yes', action: 'apply', input, output})
      ;(input as unknown as PassThrough).write(answer)
      expect(await asked).to.equal(expected)
    }
  })
})
