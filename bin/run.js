#!/usr/bin/env node
import {existsSync, readFileSync} from 'node:fs'
import {enableCompileCache} from 'node:module'
import {fileURLToPath} from 'node:url'

import {fastPath} from './fast-path.js'

const argv = process.argv.slice(2)
if (!fastPath(argv)) {
  // V8's code cache (Node >= 22.1): later runs skip most parsing and compiling
  enableCompileCache?.()
  const root = fileURLToPath(new URL('..', import.meta.url))
  const bundle = new URL('../dist/bundle/main.js', import.meta.url)
  if (existsSync(bundle)) {
    const {execute} = await import(bundle.href)
    await execute({dir: import.meta.url})
  } else {
    // no bundle (tsc output only, or a copy of dist/src): oclif from node_modules runs the compiled sources
    const {execute} = await import('@oclif/core')
    const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    pjson.oclif.commands = './dist/src/commands'
    await execute({dir: import.meta.url, loadOptions: {root, pjson, ignoreManifest: true}})
  }
}
