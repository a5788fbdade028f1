import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {ExitCode} from '../../src/errors.js'
import {OU_A, OU_B, adminSandbox} from '../support/admin-cli.js'
import type {Sandbox} from '../support/cli.js'
import {closedPort} from '../support/ports.js'
import {useSessionWorld} from '../support/session-env.js'
import type {FakeAws} from '../support/fake-aws.js'
import type {FakeOrganization} from '../support/fake-organization.js'

const json = (stdout: string) =>
  JSON.parse(stdout) as Record<string, unknown> & {error?: {code: string; message: string; suggestions: string[]; exitCode: number}}

/** What a new user meets in the first hour (issue 12, "Misleading"): each must say what is true, and what to do. */
describe("a new user's first hour: errors that tell the truth (built CLI)", () => {
  const world = useSessionWorld()
  let fake: FakeAws
  let box: Sandbox
  beforeEach(() => ({fake, box} = world))

  describe('--region is an AWS region name, as the configuration requires', () => {
    it('connect (fast start and oclif) and doctor refuse mars-1 with a usage error, and call nothing', async () => {
      for (const env of [{}, {SSMX_NO_FAST: '1'}]) {
        const r = await box.run(['connect', 'i-0123456789abcdef0', '--profile', 'dev', '--region', 'mars-1'], {env})
        expect(r.code, r.stderr).to.equal(ExitCode.usage)
        expect(r.stderr).to.include('--region "mars-1" is not an AWS region: it must be an AWS region name such as eu-west-1')
      }
      const doctor = await box.run(['doctor', '--profile', 'dev', '--region', 'mars-1'])
      expect(doctor.code).to.equal(ExitCode.usage)
      expect(doctor.stderr).to.include('--region "mars-1" is not an AWS region')
      expect(fake.requests).to.deep.equal([])
    })

    it('a real region still works, and doctor --json gives the usage error as JSON', async () => {
      const ok = await box.run(['whoami', '--profile', 'dev', '--region', 'us-gov-west-1', '--json'])
      expect(ok.code, ok.stderr).to.equal(0)
      const bad = await box.run(['doctor', '--profile', 'dev', '--region', 'mars-1', '--json'])
      expect(bad.code).to.equal(ExitCode.usage)
      expect(json(bad.stdout).error).to.include({code: 'usage', exitCode: ExitCode.usage})
    })
  })

  describe("--endpoint-url overrides the command's own service, or is refused: never ignored", () => {
    it('admin status sends CloudFormation to --endpoint-url (it went to the real CloudFormation host)', async () => {
      const {fake: orgFake, box: admin, configPath, org} = await adminSandbox()
      try {
        const dead = `http://127.0.0.1:${await closedPort()}`
        // every other service on the fake; CloudFormation's own variable points nowhere: only the flag can save it
        const r = await admin.run(['admin', 'status', '--config', configPath, '--json', '--endpoint-url', orgFake.url], {
          env: {AWS_ENDPOINT_URL_CLOUDFORMATION: dead},
          timeoutMs: 60_000,
        })
        expect(r.stderr).not.to.include('ECONNREFUSED')
        expect(r.code, r.stderr).to.equal(ExitCode.compliance) // nothing deployed yet: answered, not unreachable
        expect(json(r.stdout)).to.have.property('stackSet')
        expect(orgFake.calls('cloudformation', 'DescribeStackSet')).to.have.length.greaterThan(0)
        expect((org as FakeOrganization).stackSet).to.equal(undefined)
      } finally {
        await orgFake.stop()
        admin.cleanup()
      }
    })

    it('whoami sends STS to --endpoint-url, and its help says so', async () => {
      const dead = `http://127.0.0.1:${await closedPort()}`
      const r = await box.run(['whoami', '--profile', 'dev', '--json', '--endpoint-url', fake.url], {env: {AWS_ENDPOINT_URL_STS: dead}})
      expect(r.code, r.stderr).to.equal(0)
      expect(json(r.stdout)).to.include({account: '111122223333'})
      const help = await box.run(['whoami', '--help'])
      expect(help.stdout.replaceAll(/\s+/g, ' ')).to.include('--endpoint-url=<value> override the STS endpoint')
      const status = await box.run(['admin', 'status', '--help'])
      expect(status.stdout.replaceAll(/\s+/g, ' ')).to.include('override the CloudFormation endpoint')
    })

    it('commands without a service of their own refuse it, naming AWS_ENDPOINT_URL_<SERVICE>; a non-URL is refused', async () => {
      const login = await box.run(['login', '--profile', 'dev', '--no-aws-cli', '--endpoint-url', fake.url])
      expect(login.code, login.stderr).to.equal(ExitCode.usage)
      expect(login.stderr).to.include('does not take --endpoint-url').and.include('AWS_ENDPOINT_URL_<SERVICE>')
      for (const flag of [
        ['--endpoint-url', fake.url],
        ['--profile', 'dev'],
        ['--region', 'eu-west-1'],
      ]) {
        const r = await box.run(['admin', 'render', ...flag])
        expect(r.code, r.stderr).to.equal(ExitCode.usage)
        expect(r.stderr).to.include(`ssmx admin render calls no AWS service: ${flag[0]} would change nothing`)
      }
      const help = await box.run(['admin', 'render', '--help'])
      expect(help.stdout.replaceAll(/\s+/g, ' ')).to.include('--profile=<value> not taken by this command: it calls no AWS service')
      const bad = await box.run(['connect', 'i-0123456789abcdef0', '--profile', 'dev', '--endpoint-url', 'localhost:4566'])
      expect(bad.code).to.equal(ExitCode.usage)
      expect(bad.stderr).to.include('--endpoint-url "localhost:4566" is not an http(s) URL')
      expect(fake.requests).to.deep.equal([])
    })
  })

  it('--config that does not exist says "not found" and the search order, not "valid YAML"', async () => {
    const r = await box.run(['whoami', '--profile', 'dev', '--config', '/nonexistent.yaml'])
    expect(r.code).to.equal(ExitCode.config)
    expect(r.stderr).to.include('/nonexistent.yaml (from --config or SSMX_CONFIG) was not found')
    expect(r.stderr).to.include('.ssmxrc').and.include('~/.config/ssmx/')
    expect(r.stderr).not.to.include('valid YAML')
  })

  describe('typos get the closest suggestion', () => {
    it('an unknown command: usage error (exit 2) naming the closest command, JSON with --json', async () => {
      const r = await box.run(['conect', 'i-0123456789abcdef0'])
      expect(r.code).to.equal(ExitCode.usage)
      expect(r.stderr).to.include('"conect" is not an ssmx command.').and.include('Did you mean: ssmx connect')
      const admin = await box.run(['admin', 'enforc'])
      expect(admin.stderr).to.include('Did you mean: ssmx admin enforce')
      const asJson = await box.run(['lst', '--json'])
      expect(asJson.code).to.equal(ExitCode.usage)
      expect(json(asJson.stdout).error?.suggestions).to.include('Did you mean: ssmx list')
    })

    it('an unknown configuration key: the closest key at that place', async () => {
      box.file('.ssmxrc.yaml', 'permissionSets:\n  Developer:\n    runasuser: dev\n')
      const r = await box.run(['whoami', '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.config)
      expect(r.stderr).to.include('permissionSets.Developer: unknown key "runasuser" (did you mean "runAsUser"?)')
    })
  })

  describe('whoami without a usable SSO session keeps what it knows locally', () => {
    it('text: profile, permission set, document, Linux user; the rest unavailable; the error; exit 5', async () => {
      box.file('.ssmxrc.yaml', 'permissionSets:\n  Developer:\n    runAsUser: dev\n')
      rmSync(join(box.home, '.aws', 'sso', 'cache'), {recursive: true, force: true})
      const r = await box.run(['whoami', '--profile', 'dev'])
      expect(r.code).to.equal(ExitCode.ssoExpired)
      expect(r.stdout).to.match(/^profile +dev$/m)
      expect(r.stdout).to.match(/^permission set +Developer \(from profile\)$/m)
      expect(r.stdout).to.match(/^document +SSMX-RunAs-Developer$/m)
      expect(r.stdout).to.match(/^runs as +dev$/m)
      expect(r.stdout).to.match(/^principal +unavailable/m)
      expect(r.stderr).to.match(/^✗ /m)
    })

    it('--json: the same facts, "unavailable" naming the rest, and the error, with the exit code', async () => {
      rmSync(join(box.home, '.aws', 'sso', 'cache'), {recursive: true, force: true})
      const r = await box.run(['whoami', '--profile', 'dev', '--json'])
      expect(r.code).to.equal(ExitCode.ssoExpired)
      const out = json(r.stdout)
      expect(out).to.include({profile: 'dev', permissionSet: 'Developer', document: 'SSMX-RunAs-Developer', account: '111122223333'})
      expect(out.unavailable).to.deep.equal(['principalArn'])
      expect(out.error).to.include({code: 'ssoExpired', exitCode: ExitCode.ssoExpired})
    })
  })

  it('--json answers in JSON on usage mistakes too (unknown flag, missing value, bad option)', async () => {
    for (const args of [
      ['whoami', '--bogus'],
      ['list', '--filter'],
      ['admin', 'status', '--call-as', 'ME'],
    ]) {
      const r = await box.run([...args, '--json'])
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(ExitCode.usage)
      const out = json(r.stdout)
      expect(out.error, args.join(' ')).to.include({code: 'usage', exitCode: ExitCode.usage})
      expect(out.error?.suggestions.at(-1)).to.equal(`See: ssmx ${args[0] === 'admin' ? 'admin status' : args[0]} --help`)
    }
  })

  it('doctor with no ~/.aws at all: "not found" and how to create it', async () => {
    rmSync(join(box.home, '.aws'), {recursive: true, force: true})
    const r = await box.run(['doctor', '--json'])
    const check = (json(r.stdout).checks as Array<{id: string; status: string; detail: string; fix: string[]}>).find((c) => c.id === 'awsConfig')!
    expect(check.status).to.equal('warn')
    expect(check.detail).to.equal(`${join(box.home, '.aws', 'config')} not found: no AWS profiles on this machine`)
    expect(check.fix.join('\n')).to.include('aws configure sso').and.include('by hand')
  })
})

describe('admin enforce and remove --json (built CLI against a stateful fake organization)', () => {
  it("no prompt with --json: --yes or --dry-run; the plan and every account × region's result as JSON", async function () {
    this.timeout(180_000)
    const {fake, box, configPath} = await adminSandbox()
    const ssmx = (...args: string[]) => box.run(['admin', ...args, '--config', configPath, '--json'], {timeoutMs: 60_000})
    try {
      const refused = await ssmx('enforce')
      expect(refused.code).to.equal(ExitCode.usage)
      expect(json(refused.stdout).error?.message).to.include('pass --yes')

      const dry = await ssmx('enforce', '--dry-run')
      expect(dry.code, dry.stderr).to.equal(0)
      const plan = json(dry.stdout) as {
        dryRun: boolean
        applied: boolean
        plan: {stackSet: {change: string}; instances: Array<{organizationalUnitId: string; region: string; change: string}>; changes: number}
      }
      expect(plan).to.include({dryRun: true, applied: false})
      expect(plan.plan.stackSet.change).to.equal('create')
      expect(plan.plan.instances.map((i) => `${i.organizationalUnitId} ${i.region} ${i.change}`).sort()).to.deep.equal([
        `${OU_A} eu-west-1 create`,
        `${OU_A} us-east-1 create`,
        `${OU_B} eu-west-1 create`,
        `${OU_B} us-east-1 create`,
      ])
      expect(fake.requests.filter((r) => /^(Create|Update|Delete|Attach)/.test(r.operation))).to.deep.equal([])

      const applied = await ssmx('enforce', '--yes')
      expect(applied.code, applied.stderr).to.equal(0)
      const result = json(applied.stdout) as {
        applied: boolean
        failed: number
        operations: Array<{results: Array<{account: string; region: string; status: string}>}>
      }
      expect(result).to.include({applied: true, failed: 0})
      const accounts = result.operations.flatMap((o) => o.results.map((r) => `${r.account} ${r.region} ${r.status}`)).sort()
      expect(accounts).to.have.length(6)
      expect(accounts).to.include('333333333330 us-east-1 SUCCEEDED')

      const removed = await ssmx('remove', '--yes')
      expect(removed.code, removed.stderr).to.equal(0)
      const gone = json(removed.stdout) as {removed: boolean; plan: {regions: string[]; scp: {targets: string[]}}; operation: {results: unknown[]}}
      expect(gone.removed).to.equal(true)
      expect(gone.plan.regions).to.deep.equal(['eu-west-1', 'us-east-1'])
      expect(gone.plan.scp.targets.sort()).to.deep.equal([OU_A, OU_B])
      expect(gone.operation.results).to.have.length(6)
    } finally {
      await fake.stop()
      box.cleanup()
    }
  })
})
