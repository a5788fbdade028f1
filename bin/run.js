#!/usr/bin/env node
import {enableCompileCache} from 'node:module'

import {fastPath} from './fast-path.js'

if (!fastPath(process.argv.slice(2))) {
  // V8's code cache for the bundle (Node >= 22.1): later runs skip most parsing and compiling
  enableCompileCache?.()
  const {execute} = await import('../dist/bundle/main.js')
  await execute({dir: import.meta.url})
}
