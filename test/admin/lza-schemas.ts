/** LZA's published configuration schemas (shared/lza-schemas, v1.15.5) as ajv validators. */
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {Ajv} from 'ajv'

import {ROOT} from '../support/cli.js'

/** shared/lza-schemas beside the repository (CI: ../shared; a worktree under wt/: ../../shared). */
export function lzaSchemaDir(): string {
  for (let dir = ROOT; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'lza-schemas')
    if (existsSync(join(candidate, 'customizations-config.json'))) return candidate
  }
  throw new Error(`shared/lza-schemas not found above ${ROOT}`)
}

type SchemaFile = 'customizations-config' | 'organization-config' | 'iam-config'
const compiled = new Map<SchemaFile, ReturnType<Ajv['compile']>>()

export function lzaValidator(file: SchemaFile) {
  let validate = compiled.get(file)
  if (!validate) {
    validate = new Ajv({allErrors: true, strict: false}).compile(JSON.parse(readFileSync(join(lzaSchemaDir(), `${file}.json`), 'utf8')))
    compiled.set(file, validate)
  }
  return (document: unknown): string[] =>
    validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
}
