/**
 * What the admin services report while they work. Services emit these events; src/ui/ turns them into
 * a live view (terminal) or one line per event (logs, CI). Services never import the UI.
 */
export type ResultStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED'

/** One account × region of a stack-set operation. */
export interface AccountResult {
  account: string
  region: string
  status: ResultStatus
  reason?: string
}

export type ProgressEvent =
  /** a step that is not a stack-set operation (creating the stack set, the SCP, an attachment) */
  | {type: 'step'; message: string}
  /** a stack-set operation started, or its overall status changed */
  | {type: 'operation'; operationId: string; action: string; status: string}
  /** the operation's per-account results so far (a full snapshot, not a delta) */
  | {type: 'results'; operationId: string; results: AccountResult[]}

export type Progress = (event: ProgressEvent) => void

export const noProgress: Progress = () => {}
