// THIRD-PARTY-NOTICES for the npm package: the bundles (dist/bundle, dist/fast) inline code from npm packages, and
// esbuild drops their licence comments (legalComments: 'none'), so the licences ship in this one file instead.
// scripts/bundle.js hands over its builds' metafiles; every input under a node_modules directory belongs to the
// package whose directory follows the last node_modules/ in its path (@scope/name for a scoped one, and a nested
// node_modules/a/node_modules/b is b's own copy). Each package (name@version) is listed once, sorted by name and
// version, with its package.json license field and the text of its LICENSE/LICENCE/COPYING/NOTICE files. Nothing
// in the output depends on time, order of inputs or the machine, so the same bundles give byte-identical notices.
// The Lambda handlers (scripts/minify-handlers.js) are not bundled: they require the AWS SDK that the Lambda
// runtime provides, so they add nothing here.
import {existsSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join, resolve, sep} from 'node:path'

/** A licence file's name: LICENSE, LICENCE, COPYING or NOTICE, with any extension or suffix (LICENSE.md, LICENSE-MIT). */
const LICENCE_FILE = /^(licen[cs]e|copying|notice)([.\-_].*)?$/i
const RULE = '='.repeat(80)
const THIN = '-'.repeat(80)

/** Code point order (not localeCompare: the same on every machine and locale). */
const byCodePoint = (a, b) => (a < b ? -1 : a > b ? 1 : 0)

/** Versions part by part, numeric parts as numbers (2.0.0 before 10.0.0), ties broken by code point order. */
function byVersion(a, b) {
  const pa = a.split(/[.+-]/)
  const pb = b.split(/[.+-]/)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? ''
    const y = pb[i] ?? ''
    const c = /^\d+$/.test(x) && /^\d+$/.test(y) ? Math.sign(Number(x) - Number(y)) : byCodePoint(x, y)
    if (c !== 0) return c
  }
  return byCodePoint(a, b)
}

/** The package directory an input path belongs to, or undefined when it is not under node_modules. */
export function packageDirOf(path) {
  const parts = path.split(/[\\/]/)
  const at = parts.lastIndexOf('node_modules')
  if (at < 0 || at + 1 >= parts.length) return undefined
  const end = at + (parts[at + 1].startsWith('@') ? 3 : 2)
  if (end > parts.length) return undefined
  return parts.slice(0, end).join(sep)
}

/** The package.json license field as one SPDX-like string (also the old `licenses: [{type}]` form). */
function licenseField(pkg) {
  const one = (l) => (typeof l === 'string' ? l : l && typeof l.type === 'string' ? l.type : undefined)
  const license = one(pkg.license)
  if (license) return license
  if (Array.isArray(pkg.licenses)) {
    const types = pkg.licenses.map(one).filter(Boolean)
    if (types.length > 0) return types.length === 1 ? types[0] : `(${types.join(' OR ')})`
  }
  return 'UNKNOWN'
}

/** A licence text as plain text: LF line ends, no trailing blanks or blank lines. */
const normalize = (text) =>
  text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/^\n+|\n+$/g, '')

/** One package: name, version, license field and licence files ({name, text}, sorted by file name). */
export function readPackage(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const files = readdirSync(dir)
    .filter((name) => LICENCE_FILE.test(name) && statSync(join(dir, name)).isFile())
    .sort(byCodePoint)
    .map((name) => ({name, text: normalize(readFileSync(join(dir, name), 'utf8'))}))
  return {name: pkg.name, version: pkg.version ?? '0.0.0', license: licenseField(pkg), files}
}

/**
 * The npm packages the metafiles' inputs come from, once each (by name@version), sorted by name then version.
 * Input paths are relative to workingDir (esbuild's absWorkingDir); a plugin's namespace prefix (`ns:path`) is
 * stripped, so a virtual module of a package's file still counts for that package.
 */
export function bundledPackages(metafiles, {workingDir}) {
  const dirs = new Set()
  for (const metafile of metafiles) {
    for (const key of Object.keys(metafile.inputs ?? {})) {
      const path = key.replace(/^[a-z][\w-]+:/i, '')
      const dir = packageDirOf(resolve(workingDir, path))
      if (dir && existsSync(join(dir, 'package.json'))) dirs.add(dir)
    }
  }
  const packages = new Map()
  for (const dir of [...dirs].sort(byCodePoint)) {
    const pkg = readPackage(dir)
    const id = `${pkg.name}@${pkg.version}`
    if (!packages.has(id)) packages.set(id, pkg)
  }
  return [...packages.values()].sort((a, b) => byCodePoint(a.name, b.name) || byVersion(a.version, b.version))
}

/** The notices file's text. */
export function renderNotices(packages, {product = 'ssmx'} = {}) {
  const lines = [
    'THIRD-PARTY NOTICES',
    '',
    `${product} bundles code from the following ${packages.length} npm package${packages.length === 1 ? '' : 's'}.`,
    'Each is listed with its version, its package.json license field and the licence files it ships.',
    'Generated by scripts/third-party-notices.js from the build; do not edit.',
    '',
    ...packages.map((p) => `  ${p.name}@${p.version} (${p.license})`),
  ]
  for (const p of packages) {
    lines.push('', RULE, `${p.name}@${p.version}`, `License: ${p.license}`, RULE)
    if (p.files.length === 0) lines.push('', `No licence file in the package; its package.json license field is: ${p.license}`)
    for (const file of p.files) lines.push('', THIN, `${file.name}:`, THIN, '', file.text)
  }
  return `${lines.join('\n')}\n`
}

/** Writes the notices for the metafiles' bundled packages to `out`; returns the packages and the file's size. */
export function writeThirdPartyNotices(metafiles, {workingDir, out, product}) {
  const packages = bundledPackages(metafiles, {workingDir})
  const text = renderNotices(packages, {product})
  writeFileSync(out, text)
  return {packages, bytes: Buffer.byteLength(text)}
}
