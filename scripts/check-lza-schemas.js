#!/usr/bin/env node
// CI step after `npm test` (.ci/run, when LZA's published schemas are at hand): renders the LZA entries with the
// built CLI and validates them against Landing Zone Accelerator's own JSON schemas in DIR
// (customizations-config.json, organization-config.json, iam-config.json). npm test validates the same files against
// ssmx's own strict schemas (test/admin/lza-schemas.ts); this checks those did not drift from LZA's.
//   node scripts/check-lza-schemas.js DIR
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Ajv} from 'ajv'
import {parse} from 'yaml'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node scripts/check-lza-schemas.js DIR (LZA\'s customizations-config.json, organization-config.json, iam-config.json)')
  process.exit(2)
}
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const work = mkdtempSync(join(tmpdir(), 'ssmx-lza-'))
try {
  // overrides (a second stack set), an SCP on an account and an OU, permission sets for the guardrail entries
  writeFileSync(join(work, 'config.yaml'), `defaultRunAsUser: ec2-user
permissionSets:
  Developer: {runAsUser: dev}
  Ops+Admin: {runAsUser: ops}
admin:
  regions: [eu-west-1, us-east-1]
  organizationalUnits: [ou-ab12-cdefgh12, ou-ab12-zzzzzz99]
  overrides: {ou-ab12-zzzzzz99: {permissionSets: {Developer: {runAsUser: devops}}}}
  scp: {targets: [r-ab12, '444455556666']}
  lza:
    organizationalUnits: {ou-ab12-cdefgh12: Workloads/Prod, ou-ab12-zzzzzz99: Sandbox}
    accounts: {'444455556666': SharedServices}
`)
  execFileSync(process.execPath, [join(ROOT, 'bin', 'run.js'), 'admin', 'render', '--lza', '--config', join(work, 'config.yaml'), '--out', join(work, 'out')], {
    env: {...process.env, HOME: work, AWS_CONFIG_FILE: join(work, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'none')},
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const read = (file) => parse(readFileSync(join(work, 'out', 'lza', file), 'utf8'))
  const organization = read('organization-config.yaml')
  const iam = read('iam-config.yaml')
  // each entry wrapped in the smallest root document LZA's schema accepts
  const documents = {
    'customizations-config': read('customizations-config.yaml'),
    'organization-config': {enable: true, organizationalUnits: [], taggingPolicies: [], backupPolicies: [], ...organization},
    'iam-config': {homeRegion: 'eu-west-1', identityCenter: {name: 'identity-center', ...iam.identityCenter}},
  }
  let failed = false
  for (const [file, document] of Object.entries(documents)) {
    const validate = new Ajv({allErrors: true, strict: false}).compile(JSON.parse(readFileSync(join(dir, `${file}.json`), 'utf8')))
    if (validate(document)) {
      console.log(`✓ lza/${file}.yaml passes LZA's ${file}.json`)
    } else {
      failed = true
      console.error(`✗ lza/${file}.yaml fails LZA's ${file}.json:`)
      for (const e of validate.errors ?? []) console.error(`  ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
    }
  }
  process.exitCode = failed ? 1 : 0
} finally {
  rmSync(work, {recursive: true, force: true})
}
