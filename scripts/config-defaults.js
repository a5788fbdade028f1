#!/usr/bin/env node
// Build step after tsc: the configuration's built-in defaults (the schema applied to {}), as JSON next to the
// compiled loader, so that a run without a configuration file never loads zod (src/config/lazy.ts).
import {writeFileSync} from 'node:fs'

const {parseConfig} = await import('../dist/src/config/load.js')
const {DEFAULTS_FILE} = await import('../dist/src/config/lazy.js')
writeFileSync(DEFAULTS_FILE, `${JSON.stringify(parseConfig({}), null, 2)}\n`)
