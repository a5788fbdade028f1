import type {Progress} from '../admin/progress.js'

/** Where a service's progress events go while a command runs. */
export interface ProgressView {
  progress: Progress
  /** stops the view (a live view leaves its last frame on screen) */
  close(): Promise<void>
}

/** Without a terminal: one line per step, per operation status change and per account × region status change. */
export function lineProgress(write: (line: string) => void): ProgressView {
  const last = new Map<string, string>()
  let operationId = ''
  return {
    progress: (e) => {
      if (e.type === 'step') write(e.message)
      else if (e.type === 'operation') {
        if (e.operationId !== operationId) last.clear()
        operationId = e.operationId
        write(`${e.action} ${e.operationId}: ${e.status}`)
      } else {
        for (const r of e.results) {
          const key = `${r.account}|${r.region}`
          if (last.get(key) === r.status) continue
          last.set(key, r.status)
          write(`  ${r.account} ${r.region} ${r.status}${r.reason ? `: ${r.reason}` : ''}`)
        }
      }
    },
    close: async () => {},
  }
}

/** The view for this process: live (ink, loaded only then) when stderr is a terminal, lines otherwise. */
export async function progressView(stream: NodeJS.WriteStream = process.stderr): Promise<ProgressView> {
  if (!stream.isTTY) return lineProgress((line) => stream.write(`${line}\n`))
  const {liveProgress} = await import('./operation-progress.js')
  return liveProgress(stream)
}
