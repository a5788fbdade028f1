#!/usr/bin/env node
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

// Before anything that needs a newer Node (dist/ imports module.enableCompileCache, Node >= 22.1): on an older Node
// say so instead of a SyntaxError from the module linker. Only node:fs and node:url are imported above (any Node).
{
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < 22 || (major === 22 && minor < 1)) {
    process.stderr.write(`✗ ssmx needs Node.js ${major < 22 ? '22' : '22.1'} or newer (you have ${process.versions.node}).\n  → Install Node.js 22 LTS or newer (https://nodejs.org/, or a version manager such as nvm or fnm), then run ssmx again.\n`)
    process.exit(13)
  }
}

const argv = process.argv.slice(2)
const root = new URL('..', import.meta.url)

/**
 * An ssmx command or topic (dist/bundle/commands/<word>.js or <word>/) other than help and autocomplete (whose
 * commands are, or call, the core plugins'): oclif then needs neither core plugin (command help renders through
 * @oclif/core; autocomplete's hooks run on plugin installs only), and loading them is ~15 ms of every start-up.
 */
function ownCommand(word) {
  return typeof word === 'string' && /^[a-z][a-z-]*$/.test(word) && word !== 'help' && word !== 'autocomplete' && (existsSync(new URL(`../dist/bundle/commands/${word}.js`, import.meta.url)) || existsSync(new URL(`../dist/bundle/commands/${word}/`, import.meta.url)))
}

function withoutCorePlugins() {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  pjson.oclif = {...pjson.oclif, plugins: []}
  return pjson
}
// --version, --help and the fast entries (dist/fast/, see src/fast/launch.ts) start without oclif
const start = new URL('../dist/fast/start.js', import.meta.url)
const fast = existsSync(start) ? await import(start.href) : undefined
if (!fast?.fastHelp(argv, root) && !(await fast?.launchFast(argv, root))) {
  // V8's code cache (Node >= 22.1), kept owner-only in ssmx's cache directory: later runs skip most parsing and compiling
  fast?.enableNodeCompileCache()
  const bundle = new URL('../dist/bundle/main.js', import.meta.url)
  if (existsSync(bundle)) {
    const {execute} = await import(bundle.href)
    await execute(ownCommand(argv[0]) ? {loadOptions: {root: fileURLToPath(root), pjson: withoutCorePlugins()}} : {dir: import.meta.url})
  } else {
    // no bundle (tsc output only, or a copy of dist/src): oclif from node_modules runs the compiled sources
    const {execute} = await import('@oclif/core')
    const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    pjson.oclif.commands = './dist/src/commands'
    pjson.oclif.hooks = Object.fromEntries(Object.entries(pjson.oclif.hooks ?? {}).map(([event, path]) => [event, path.replace('./dist/bundle/', './dist/src/')]))
    await execute({dir: import.meta.url, loadOptions: {root: fileURLToPath(root), pjson, ignoreManifest: true}})
  }
}
