#!/usr/bin/env node
// Bundles the compiled CLI (dist/src, from tsc) with esbuild into dist/bundle/: one entry per command under
// dist/bundle/commands/ (oclif's command directory, see package.json "oclif.commands") plus dist/bundle/main.js
// (oclif's execute), sharing code through chunks. Loading a few large files instead of hundreds of small
// modules is most of ssmx's start-up time; each command loads only the chunks it imports, and a dynamic
// import() stays lazy (its own chunk). The unbundled dist/src stays for the unit tests.
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {build} from 'esbuild'

import {writeThirdPartyNotices} from './third-party-notices.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SRC = join(ROOT, 'dist', 'src')
const OUT = join(ROOT, 'dist', 'bundle')

function jsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return jsFiles(path)
    return name.endsWith('.js') ? [path] : []
  })
}

// A bundled module's import.meta.url is its chunk's URL; code that finds files next to its own source
// (import.meta.url) gets the URL of its file in dist/src instead, so bundling never moves what it reads.
// With `lazy` (the fast entries' build), a dynamic import of a module of ssmx's own (`import('../aws/ec2.js')`)
// loads that module's entry in the ESM bundle (bundle/lazy/aws/ec2.js) through __ssmxImport, Node's import()
// handed in by src/fast/code-cache.ts; `lazy` collects them, for the ESM build to add as entries.
const keepDistUrls = (lazy) => ({
  name: 'keep-dist-urls',
  setup(b) {
    b.onLoad({filter: /[\\/]dist[\\/]src[\\/].*\.js$/}, async (args) => {
      const {readFile} = await import('node:fs/promises')
      let text = await readFile(args.path, 'utf8')
      const rel = relative(join(ROOT, 'dist'), args.path).split('\\').join('/')
      const dynamic = /\bimport\((['"])(\.{1,2}\/[^'"]+\.js)\1\)/g
      const before = text
      if (lazy) {
        text = text.replace(dynamic, (_, _q, specifier) => {
          const target = relative(SRC, join(dirname(args.path), specifier)).split('\\').join('/').replace(/\.js$/, '')
          lazy.add(target)
          return `__ssmxImport(__ssmxDistUrl(${JSON.stringify(`bundle/lazy/${target}.js`)}))`
        })
      }
      if (text === before && !text.includes('import.meta.url')) return undefined
      return {contents: text.replaceAll('import.meta.url', `__ssmxDistUrl(${JSON.stringify(rel)})`), loader: 'js', resolveDir: dirname(args.path)}
    })
  },
})

// `import {request} from 'node:http'` makes Node evaluate every export of the built-in, and node:http's lazy
// WebSocket/EventSource getters then load undici (~30 ms) that ssmx never uses: built-ins are required instead.
const requireBuiltins = {
  name: 'require-builtins',
  setup(b) {
    b.onResolve({filter: /^(node:)?(http|https)$/, namespace: 'file'}, (args) => ({path: args.path.replace(/^node:/, ''), namespace: 'builtin'}))
    b.onLoad({filter: /.*/, namespace: 'builtin'}, (args) => ({contents: `module.exports = require('node:${args.path}')`, loader: 'js'}))
  },
}

// Optional dependencies that are not installed (ink's react-devtools-core, ws's native add-ons) stay imports:
// only reached at run time in modes ssmx does not use, where they fail as they would unbundled.
const externalIfMissing = {
  name: 'external-if-missing',
  setup(b) {
    b.onResolve({filter: /^[^./]/}, async (args) => {
      if (args.pluginData?.probing) return undefined
      const found = await b.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: {probing: true}})
      return found.errors.length > 0 ? {path: args.path, external: true} : undefined
    })
  },
}

// zod re-exports ~40 message locales (a third of its size) as z.locales; ssmx uses only the default English one
// (which zod imports directly), so the bundle's z.locales holds just `en`.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({filter: /^\.\.\/locales\/index\.js$/}, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? {path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales'} : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'zod-locales'}, (args) => ({contents: `export {default as en} from ${JSON.stringify(args.path)}`, loader: 'js', resolveDir: dirname(args.path)}))
  },
}

// oclif sorts each plugin's command ids with localeCompare, and the first localeCompare in a process loads ICU's
// collator (~12 ms of CPU). For ids of lowercase letters, ':' and '-' (ssmx's), code point order is the same
// order, so those are compared directly; any other id still goes through localeCompare.
const SORT = '.sort((a, b) => a.id.localeCompare(b.id))'
const PLAIN_ID = '/^[a-z:-]*$/'
const oclifSortWithoutIcu = {
  name: 'oclif-sort-without-icu',
  setup(b) {
    b.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, async (args) => {
      const {readFile} = await import('node:fs/promises')
      const text = await readFile(args.path, 'utf8')
      if (!text.includes(SORT)) return undefined
      const compare = `.sort((a, b) => ${PLAIN_ID}.test(a.id) && ${PLAIN_ID}.test(b.id) ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.id.localeCompare(b.id))`
      return {contents: text.replace(SORT, compare), loader: 'js'}
    })
  },
}

// The fast entries (src/fast/launch.ts): one minified CommonJS file each, so bin/run.js can load it with a V8 code
// cache (node:vm runs scripts, not ES modules). ssmx's own lazily imported modules are not inlined: the fast entry
// imports them from the ESM bundle (keepDistUrls below), which keeps the file small, and ink (a top-level await)
// out of CommonJS.
// A script run by node:vm has no import() of its own (without --experimental-vm-modules): esbuild turns the
// bundle's dynamic imports into require() (`supported`), and the ones that need Node's ESM loader call
// __ssmxImport instead: the picker (above) and cosmiconfig's loader for ssmx.config.{js,mjs} files.
const nativeImports = {
  name: 'native-imports',
  setup(b) {
    b.onLoad({filter: /[\\/]node_modules[\\/]cosmiconfig[\\/]dist[\\/]loaders\.js$/}, async (args) => {
      const {readFile} = await import('node:fs/promises')
      const text = await readFile(args.path, 'utf8')
      if (!text.includes('await import(href)')) throw new Error('cosmiconfig no longer loads config files with import(href): update the fast build')
      return {contents: text.replace('await import(href)', 'await __ssmxImport(href)'), loader: 'js'}
    })
  },
}

const FAST_SRC = join(SRC, 'fast', 'commands')
const FAST_OUT = join(ROOT, 'dist', 'fast')
const lazy = new Set()
const fastEntries = jsFiles(FAST_SRC).map((file) => ({in: file, out: relative(FAST_SRC, file).replace(/\.js$/, '')}))
// every build's metafile, for THIRD-PARTY-NOTICES (the licences legalComments: 'none' leaves out of the bundles)
const metafiles = []
const fastBuild = await build({
  entryPoints: fastEntries,
  outdir: FAST_OUT,
  outExtension: {'.js': '.cjs'},
  bundle: true,
  format: 'cjs',
  platform: 'node',
  mainFields: ['module', 'main'],
  target: 'node22',
  banner: {js: "const __ssmxDistUrl = (rel) => require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', rel)).href;"},
  external: ['node-pty', 'typescript', '*.node'],
  minify: true,
  supported: {'dynamic-import': false},
  plugins: [keepDistUrls(lazy), nativeImports, zodEnglishOnly, externalIfMissing],
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
})
metafiles.push(fastBuild.metafile)
// bin/run.js's first import: --version, --help and the fast entries' launcher, one small ES module (the code
// cache loader, a chunk of its own, loads only for a fast entry)
const startBuild = await build({
  entryPoints: [{in: join(SRC, 'fast', 'start.js'), out: 'start'}],
  outdir: FAST_OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  chunkNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
})
metafiles.push(startBuild.metafile)
for (const {out} of fastEntries) {
  const code = readFileSync(join(FAST_OUT, `${out}.cjs`), 'utf8')
  const left = code.split('\n').filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line) && /(^|[^\w$.])import\s*\((?!\))/.test(line))
  if (left.length > 0) throw new Error(`dist/fast/${out}.cjs still calls import(), which fails under node:vm:\n${left.slice(0, 5).join('\n')}`)
}

const entryPoints = [
  {in: join(ROOT, 'scripts', 'bundle-main.js'), out: 'main'},
  ...jsFiles(join(SRC, 'commands')).map((file) => ({in: file, out: relative(SRC, file).replace(/\.js$/, '')})),
  // oclif's hooks (package.json "oclif.hooks"): loaded only when oclif runs one (an unknown command)
  ...jsFiles(join(SRC, 'hooks')).map((file) => ({in: file, out: relative(SRC, file).replace(/\.js$/, '')})),
  // what the fast entries load lazily
  ...[...lazy].sort().map((target) => ({in: join(SRC, `${target}.js`), out: `lazy/${target}`})),
]

const banner = [
  // CommonJS dependencies (oclif) call require() for Node built-ins
  "import {createRequire as __ssmxCreateRequire} from 'node:module';",
  'const require = __ssmxCreateRequire(import.meta.url);',
  // dist/bundle/<any depth>/file.js → dist/<rel>
  "const __ssmxDistUrl = (rel) => { let u = new URL('.', import.meta.url); while (!u.pathname.endsWith('/bundle/') && u.pathname !== '/') u = new URL('..', u); return new URL('../' + rel, u).href; };",
].join('\n')

const result = await build({
  entryPoints,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // the AWS SDK's ES modules (dist-es) tree-shake; its CommonJS builds do not
  mainFields: ['module', 'main'],
  target: 'node22',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  banner: {js: banner},
  // never bundled: native add-ons, and the compiler cosmiconfig loads only for a .ts config file
  external: ['node-pty', 'typescript', '*.node'],
  plugins: [keepDistUrls(undefined), requireBuiltins, zodEnglishOnly, oclifSortWithoutIcu, externalIfMissing],
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
})
metafiles.push(result.metafile)

// esbuild's metafile paths are relative to its working directory (absWorkingDir, by default the process's)
const notices = writeThirdPartyNotices(metafiles, {workingDir: process.cwd(), out: join(ROOT, 'THIRD-PARTY-NOTICES')})
console.log(`THIRD-PARTY-NOTICES: ${notices.packages.length} bundled npm packages, ${notices.bytes} bytes`)

if (process.argv.includes('--analyze')) {
  const {analyzeMetafile} = await import('esbuild')
  console.log(await analyzeMetafile(result.metafile))
}
console.log(`bundled ${entryPoints.length} entries into ${relative(ROOT, OUT)}/ (${pathToFileURL(OUT).pathname}), ${fastEntries.length} fast entr${fastEntries.length === 1 ? 'y' : 'ies'} into ${relative(ROOT, FAST_OUT)}/`)
