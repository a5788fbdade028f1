/**
 * ssmx as `npm install -g ./ssmx-<version>.tgz` lays it out: the tarball `npm pack` writes, unpacked to
 * <prefix>/lib/node_modules/ssmx, with the production dependencies (package-lock.json's packages not marked dev)
 * beside it and <prefix>/bin/ssmx linked to bin/run.js. The dependencies are copied from the repository's
 * node_modules (what `npm ci` installed), so no registry is asked: a dependency the package needs at run time but
 * declares only for development is missing here, as it would be for a user.
 */
import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {ROOT} from './cli.js'

export interface PackedFile {
  path: string
  size: number
}

export interface InstalledPackage {
  dir: string
  /** <prefix>/bin/ssmx */
  bin: string
  /** the package's own directory, <prefix>/lib/node_modules/ssmx */
  root: string
  tarball: string
  /** npm pack --json: what the tarball holds */
  files: PackedFile[]
  size: number
  unpackedSize: number
}

/** npm next to this Node (the one running the tests), else the first on PATH. */
function npmCommand(): {command: string; args: string[]} {
  const cli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')
  try {
    readFileSync(cli)
    return {command: process.execPath, args: [cli]}
  } catch {
    return {command: 'npm', args: []}
  }
}

export function packAndInstall(): InstalledPackage {
  const dir = mkdtempSync(join(tmpdir(), 'ssmx-pack-'))
  const npm = npmCommand()
  const out = execFileSync(npm.command, [...npm.args, 'pack', '--json', '--pack-destination', dir, '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const [packed] = JSON.parse(out) as Array<{filename: string; files: PackedFile[]; size: number; unpackedSize: number}>
  const tarball = join(dir, packed.filename)
  const modules = join(dir, 'prefix', 'lib', 'node_modules')
  mkdirSync(modules, {recursive: true})
  execFileSync('tar', ['-xzf', tarball, '-C', modules])
  const root = join(modules, 'ssmx')
  renameSync(join(modules, 'package'), root)
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {packages: Record<string, {dev?: boolean; devOptional?: boolean}>}
  for (const [path, entry] of Object.entries(lock.packages)) {
    // top-level production packages; nested ones come with their parent
    if (!path.startsWith('node_modules/') || path.slice('node_modules/'.length).includes('node_modules/') || entry.dev || entry.devOptional) continue
    cpSync(join(ROOT, path), join(root, path), {recursive: true, dereference: true})
  }
  const bin = join(dir, 'prefix', 'bin', 'ssmx')
  mkdirSync(dirname(bin), {recursive: true})
  symlinkSync('../lib/node_modules/ssmx/bin/run.js', bin)
  return {dir, bin, root, tarball, files: packed.files, size: packed.size, unpackedSize: packed.unpackedSize}
}
