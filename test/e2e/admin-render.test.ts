import {readFileSync, readdirSync} from 'node:fs'
import {join, relative} from 'node:path'

import {expect} from 'chai'
import {parse} from 'yaml'

import {ROOT, Sandbox} from '../support/cli.js'
import {zipFileOf} from '../admin/template-handler.js'
import {lzaValidator} from '../admin/lza-schemas.js'

const CONFIG = `defaultRunAsUser: ec2-user
permissionSets:
  Developer: {runAsUser: dev}
  Ops+Admin: {runAsUser: ops}
admin:
  regions: [eu-west-1, us-east-1]
  organizationalUnits: [ou-ab12-cdefgh12]
  lza:
    organizationalUnits: {ou-ab12-cdefgh12: Workloads}
`

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out[relative(dir, p)] = readFileSync(p, 'utf8')
    }
  }
  walk(dir)
  return out
}

describe('ssmx admin render (built CLI)', () => {
  let box: Sandbox
  beforeEach(() => {
    // no AWS call is made: the endpoint is unreachable on purpose
    box = new Sandbox('http://127.0.0.1:9')
    box.file('.ssmxrc.yaml', CONFIG)
  })
  afterEach(() => box.cleanup())

  it("--lza --out writes the same bytes twice; the entries pass LZA's schemas; the template holds the built handler", async () => {
    const first = await box.run(['admin', 'render', '--lza', '--out', 'out1'])
    expect(first.code, first.stderr).to.equal(0)
    const second = await box.run(['admin', 'render', '--lza', '--out', join(box.home, 'out2')])
    expect(second.code, second.stderr).to.equal(0)
    const a = tree(join(box.home, 'out1'))
    expect(Object.keys(a).sort()).to.deep.equal([
      'README.md',
      'lza/cloudformation/ssmx-runas.yaml',
      'lza/customizations-config.yaml',
      'lza/iam-config.yaml',
      'lza/iam-policies/ssmx-guardrail-Developer.json',
      'lza/iam-policies/ssmx-guardrail-Ops_Admin.json',
      'lza/organization-config.yaml',
      'lza/service-control-policies/ssmx-protect-session-documents.json',
      'ssmx-protect-session-documents.scp.json',
      'ssmx-runas.template.yaml',
    ])
    expect(tree(join(box.home, 'out2'))).to.deep.equal(a)
    expect(first.stdout)
      .to.include('Wrote 10 files:')
      .and.include(join(box.home, 'out1', 'ssmx-runas.template.yaml'))
    expect(lzaValidator('customizations-config')(parse(a['lza/customizations-config.yaml']!))).to.deep.equal([])
    const organization = parse(a['lza/organization-config.yaml']!)
    expect(
      lzaValidator('organization-config')({enable: true, organizationalUnits: [], taggingPolicies: [], backupPolicies: [], ...organization}),
    ).to.deep.equal([])
    const iam = parse(a['lza/iam-config.yaml']!)
    expect(lzaValidator('iam-config')({homeRegion: 'eu-west-1', identityCenter: {name: 'identity-center', ...iam.identityCenter}})).to.deep.equal([])
    expect(first.stderr).to.include('LZA owns the inline policy of every permission set it manages')
    expect(zipFileOf(a['ssmx-runas.template.yaml']!)).to.equal(readFileSync(join(ROOT, 'dist', 'src', 'admin', 'handler', 'index.cjs'), 'utf8'))
  })

  it('without --out prints a summary and writes nothing; --json lists the files', async () => {
    const plain = await box.run(['admin', 'render'])
    expect(plain.code, plain.stderr).to.equal(0)
    expect(plain.stdout).to.match(/Stack set ssmx-runas: template version [0-9a-f]{16}/)
    expect(plain.stdout).to.include('Session documents: SSM-SessionManagerRunShell, SSMX-RunAs-Developer, SSMX-RunAs-Ops_Admin')
    expect(plain.stdout).to.match(/SCP ssmx-protect-session-documents: \d+ of 5120 characters/)
    expect(plain.stderr).to.include('pass --out DIR')
    expect(readdirSync(box.home)).to.not.include('out')

    const json = await box.run(['admin', 'render', '--lza', '--json'])
    expect(json.code, json.stderr).to.equal(0)
    const data = JSON.parse(json.stdout)
    expect(data.out).to.equal(undefined)
    expect(data.files.map((f: {path: string}) => f.path)).to.include('lza/customizations-config.yaml')
    expect(data.files.every((f: {bytes: number}) => f.bytes > 0)).to.equal(true)
    expect(data.documents).to.deep.equal(['SSMX-RunAs-Developer', 'SSMX-RunAs-Ops_Admin'])
  })

  it('a configuration error is a clear message with exit code 3', async () => {
    box.file('.ssmxrc.yaml', `permissionSets:\n  Ops+Admin: {runAsUser: a}\n  Ops=Admin: {runAsUser: b}\n`)
    const r = await box.run(['admin', 'render'])
    expect(r.code).to.equal(3)
    expect(r.stderr).to.include('both map to the document "SSMX-RunAs-Ops_Admin"').and.include('→ Give one of them an explicit name')
    const lza = await box.run(['admin', 'render', '--lza', '--json'])
    expect(lza.code).to.equal(3)
    expect(JSON.parse(lza.stdout).error).to.include({code: 'config', exitCode: 3})
  })
})
