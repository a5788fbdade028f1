/**
 * A stand-in for Lambda's Node.js runtime, run as a child process by the function-URL emulator: writes the
 * inline code (LAMBDA_CODE, a template's Code.ZipFile) as index.js in a CommonJS directory under dist (where
 * the project's node_modules resolve, as the runtime's bundled AWS SDK does), requires it, and runs
 * `index.handler(event, context)` for every {id, event, context} message, answering {id, result} or {id, error}.
 * Only async handlers are supported, like nodejs24.x.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import {ROOT} from './cli.js'

const send = (m: unknown) => process.send!(m)
const dir = mkdtempSync(join(ROOT, 'dist', 'lambda-'))
process.on('exit', () => rmSync(dir, {recursive: true, force: true}))
process.on('SIGTERM', () => process.exit(0))
process.on('disconnect', () => process.exit(0))

try {
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n')
  writeFileSync(join(dir, 'index.js'), process.env.LAMBDA_CODE ?? '')
  delete process.env.LAMBDA_CODE
  const mod = createRequire(import.meta.url)(join(dir, 'index.js')) as {handler: (event: unknown, context: unknown) => Promise<unknown>}
  if (typeof mod.handler !== 'function' || mod.handler.length > 2) throw new Error('index.handler must be an async (event, context) function')
  process.on('message', (m: {id: number; event: unknown; context: Record<string, unknown>}) => {
    const context = {...m.context, getRemainingTimeInMillis: () => 30_000}
    mod.handler(m.event, context).then(
      (result) => send({id: m.id, result}),
      (error: unknown) => send({id: m.id, error: String((error as Error)?.stack ?? error)}),
    )
  })
  send({ready: true})
} catch (error) {
  send({error: String((error as Error)?.stack ?? error)})
  process.exit(1)
}
