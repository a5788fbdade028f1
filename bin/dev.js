#!/usr/bin/env node
// Development entry: runs the compiled sources after `npm run build` with oclif's development settings.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
