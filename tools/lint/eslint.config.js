// ESLint for ssmx (run by `npm run lint`, from the repository root): typescript-eslint's recommended rules, kept
// pragmatic, and the architecture as a rule (ssmx/layers): the layers below, bottom first, as DEVELOPING.md draws
// them. A module may import its own layer and the layers below it, never one above; only src/aws imports the AWS
// SDK (and the Lambda sources under src/admin/handler/, which ship alone). Static imports, re-exports and
// dynamic import() are all checked, type-only imports included.
import {dirname, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Bottom first. A path is a folder under src/ (ending in /) or a file under src/ without its extension. */
export const LAYERS = [
  {name: 'foundation', paths: ['platform/', 'broker/protocol', 'errors', 'pretty-json']},
  {name: 'adapters', paths: ['aws/', 'config/']},
  {name: 'core', paths: ['native/', 'documents/', 'targets/']},
  {name: 'services', paths: ['identity/', 'login/', 'session/', 'doctor/', 'admin/', 'completion/', 'broker/']},
  {name: 'ui', paths: ['ui/']},
  // the command layer, with the command bodies that live beside their topic
  {name: 'commands', paths: ['cli/', 'commands/', 'hooks/', 'fast/', 'base-command', 'session/commands', 'session/ssh-command', 'admin/command', 'login/offer']},
]

/** Where the AWS SDK may be imported. */
const SDK_ALLOWED = ['aws/', 'admin/handler/']

const under = (rel, path) => (path.endsWith('/') ? rel.startsWith(path) : rel.replace(/\.[cm]?[jt]sx?$/, '') === path)

/** The layer index of a path relative to src/: the most specific (longest) match wins. */
function layerOf(rel) {
  let best
  LAYERS.forEach((layer, index) => {
    for (const path of layer.paths) if (under(rel, path) && (!best || path.length > best.path.length)) best = {index, path}
  })
  return best?.index
}

const layersRule = {
  meta: {type: 'problem', docs: {description: 'no import of a higher layer; the AWS SDK only in src/aws'}, schema: []},
  create(context) {
    const file = relative(resolve(ROOT, 'src'), context.filename).split('\\').join('/')
    if (file.startsWith('..')) return {}
    const own = layerOf(file)
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return
      const spec = source.value
      if (/^@aws-sdk\//.test(spec)) {
        if (!SDK_ALLOWED.some((p) => under(file, p))) context.report({node, message: `Only src/aws imports the AWS SDK (${spec}): take a port from src/aws instead.`})
        return
      }
      if (!spec.startsWith('.') || own === undefined) return
      const target = relative(resolve(ROOT, 'src'), resolve(dirname(context.filename), spec)).split('\\').join('/')
      if (target.startsWith('..')) return
      const theirs = layerOf(target)
      if (theirs !== undefined && theirs > own) {
        context.report({node, message: `src/${file} (${LAYERS[own].name}) imports src/${target} (${LAYERS[theirs].name}), a higher layer: see DEVELOPING.md.`})
      }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportType: (node) => check(node, node.argument?.literal ?? node.argument),
    }
  },
}

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'tools/**', 'oclif.manifest.json']},
  {
    files: ['src/**/*.{ts,tsx,cts}', 'test/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    plugins: {ssmx: {rules: {layers: layersRule}}},
    rules: {
      'ssmx/layers': 'error',
      // tsc checks these (noUnusedLocals, strict) with the project's own settings
      '@typescript-eslint/no-unused-vars': 'off',
      'no-undef': 'off',
      // `import x = require()` is how the CommonJS Lambda source loads the SDK
      '@typescript-eslint/no-require-imports': 'off',
      // `catch {}` where a failure has a default is deliberate; a defaulted `let` before branches is a style
      'no-empty': ['error', {allowEmptyCatch: true}],
      'no-useless-assignment': 'off',
    },
  },
  {
    // chai's `expect(x).to.be.true` is an expression; fakes may alias `this` and take `any` JSON
    files: ['test/**/*.ts'],
    linterOptions: {reportUnusedDisableDirectives: 'off'},
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
)
