#!/usr/bin/env node
// `npm run lint` after the type-check: ESLint (tools/lint/eslint.config.js: typescript-eslint and the layer rule) and
// Prettier's check (.prettierrc.json). The linters have their own package and lockfile in tools/lint/, because
// typescript-eslint parses with the TypeScript 5/6 API that TypeScript 7, the build's compiler, no longer ships; they
// are installed there on first use (npm ci), so a fresh clone needs nothing more than `npm ci`.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const TOOLS = join(ROOT, 'tools', 'lint')
const bin = (name) => join(TOOLS, 'node_modules', '.bin', name)

const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, {cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32', ...options})
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (!existsSync(bin('eslint')) || !existsSync(bin('prettier'))) {
  console.error('Installing the linters in tools/lint (npm ci)…')
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: TOOLS})
}
run(bin('eslint'), ['--config', join(TOOLS, 'eslint.config.js'), '--max-warnings', '0', 'src', 'test'])
run(bin('prettier'), ['--check', '--log-level', 'warn', 'src', 'test'])
console.log('lint: tsc, eslint and prettier found nothing')
