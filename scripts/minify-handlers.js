#!/usr/bin/env node
// Build step after tsc: the Lambda handlers (dist/src/admin/handler/*.cjs) are embedded in the StackSet template
// as inline code, and CreateStackSet takes at most 51,200 bytes of template. They are minified in place (same
// file, so the unit tests, the template and the function-URL emulator all run exactly the deployed bytes).
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {transformSync} from 'esbuild'

const DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist', 'src', 'admin', 'handler')
for (const name of readdirSync(DIR).filter((n) => n.endsWith('.cjs'))) {
  const path = join(DIR, name)
  const before = readFileSync(path, 'utf8')
  const {code} = transformSync(before, {loader: 'js', format: 'cjs', platform: 'node', target: 'node22', minify: true, legalComments: 'none'})
  writeFileSync(path, code)
  console.log(`minified ${name}: ${before.length} → ${code.length} bytes`)
}
