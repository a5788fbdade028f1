#!/usr/bin/env node
// `ssmx admin status` on a fake organization of N accounts × 4 regions, every fake AWS response 50 ms late and
// each service throttled to 10 requests/s (a token bucket; throttled requests answer Throttling /
// TooManyRequestsException and count as retries): wall time, requests, retries and peak RSS, 100 vs 1,000 accounts.
// The fake is the tests' FakeOrganization (dist/test/support/fake-organization.js) with ListStackInstances
// paged as CloudFormation pages it (MaxResults ≤ 100).
// Usage: npm run build && node bench/admin-scale.js [--json]      (BENCH_ACCOUNTS=100,1000 to change the sizes)
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {BIN, BenchBox, ROOT, fakeAws, fmtMiB, fmtMs, fmtRatio, report, timed} from './lib.js'

const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2', 'eu-central-1']
const OUS = 10
const LATENCY_MS = 50
const RATE_PER_SECOND = 10
const TITLE = 'Admin at scale: ssmx admin status, N accounts × 4 regions, 50 ms per response, 10 req/s per service'

function available() {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8'))
  const missing = []
  if (!manifest.commands?.['admin:status']) missing.push('the admin status command (src/commands/admin/status.ts)')
  if (!existsSync(join(ROOT, 'dist', 'test', 'support', 'fake-organization.js'))) missing.push('test/support/fake-organization.ts')
  return missing
}

/** Wraps every handler registered from now on with the latency-independent throttle; returns the counter. */
function throttle(fake, AwsFault) {
  const buckets = new Map()
  const counter = {throttled: 0}
  const on = fake.on.bind(fake)
  fake.on = (service, operation, handler) =>
    on(service, operation, (input, req) => {
      const now = Date.now()
      const b = buckets.get(service) ?? {tokens: RATE_PER_SECOND, at: now}
      b.tokens = Math.min(RATE_PER_SECOND, b.tokens + ((now - b.at) / 1000) * RATE_PER_SECOND)
      b.at = now
      buckets.set(service, b)
      if (b.tokens < 1) {
        counter.throttled++
        throw service === 'cloudformation' || service === 'ec2' || service === 'sts'
          ? new AwsFault('Throttling', 'Rate exceeded', 400)
          : new AwsFault('TooManyRequestsException', 'Rate exceeded', 400)
      }
      b.tokens -= 1
      return handler(input, req)
    })
  return counter
}

/** A fake organization of `accounts` accounts in its deployed state, and a sandbox to run `ssmx admin status` in. */
export async function organization(accounts) {
  const {FakeAws, AwsFault, toXml} = await fakeAws()
  const {FakeOrganization} = await import(join(ROOT, 'dist', 'test', 'support', 'fake-organization.js'))
  const {buildArtifacts} = await import(join(ROOT, 'dist', 'src', 'admin', 'artifacts.js'))
  const {parseConfig} = await import(join(ROOT, 'dist', 'src', 'config', 'load.js'))
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version

  const ous = Array.from({length: OUS}, (_, i) => `ou-ab12-${String(i).padStart(8, '0')}`)
  const perOu = Math.ceil(accounts / OUS)
  const config = {permissionSets: {Developer: {runAsUser: 'dev'}, Admin: {runAsUser: 'admin'}}, admin: {organizationalUnits: ous, regions: REGIONS}}
  const artifacts = buildArtifacts(parseConfig(config), version)

  const fake = await new FakeAws().start()
  const counter = throttle(fake, AwsFault)
  const org = new FakeOrganization(Object.fromEntries(ous.map((ou, i) => [ou, {name: `OU ${i}`, accounts: Array.from({length: perOu}, (_, j) => String(200000000000 + i * 10000 + j))}])))
  org.install(fake)
  // the deployed state enforce would leave: the stack set on every OU × region, the SCP attached to every OU
  const instances = new Map()
  for (const [ou, {accounts: list}] of org.ous) for (const account of list) for (const region of REGIONS) instances.set(`${account}|${region}`, {ou, account, region})
  org.stackSet = {
    name: config.admin.stackSetName ?? 'ssmx-runas',
    id: 'ssmx-runas:1',
    description: '',
    templateBody: artifacts.templateBody,
    parameters: artifacts.parameters,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    permissionModel: 'SERVICE_MANAGED',
    autoDeployment: {Enabled: true, RetainStacksOnAccountRemoval: false},
    managedExecution: {Active: true},
    targets: new Map(ous.map((ou) => [ou, new Set(REGIONS)])),
    overrides: new Map(),
    instances,
  }
  org.policies.set('p-ssmx1', {name: artifacts.scpName, description: artifacts.scpDescription, content: artifacts.scpContent, targets: new Set(ous)})
  // CloudFormation pages stack instances (at most 100 a page)
  fake.on('cloudformation', 'ListStackInstances', (i) => {
    const all = [...org.stackSet.instances.values()]
    const start = Number(i.NextToken ?? 0)
    const size = Math.min(100, Number(i.MaxResults ?? 100))
    const page = all.slice(start, start + size)
    return toXml({
      Summaries: page.map((r) => ({StackSetId: org.stackSet.id, OrganizationalUnitId: r.ou, Account: r.account, Region: r.region, Status: 'CURRENT', StackInstanceStatus: {DetailedStatus: 'SUCCEEDED'}, DriftStatus: 'IN_SYNC'})),
      ...(start + size < all.length ? {NextToken: String(start + size)} : {}),
    }, 'member')
  })
  fake.latencyMs = LATENCY_MS

  const box = new BenchBox(fake.url)
  const configPath = box.file('ssmx.json', JSON.stringify(config))
  const env = box.staticEnv(fake.url)
  return {
    fake,
    box,
    env,
    counter,
    accounts: perOu * OUS,
    instances: instances.size,
    args: [BIN, 'admin', 'status', '--json', '--config', configPath],
    async stop() {
      await fake.stop()
      box.cleanup()
    },
  }
}

async function runAt(accounts) {
  const org = await organization(accounts)
  try {
    const r = await timed(process.execPath, org.args, {env: org.env, cwd: org.box.home, rss: true})
    const out = JSON.parse(r.stdout)
    if (!out.compliant || out.instances.length !== org.instances) throw new Error(`admin status saw ${out.instances.length} of ${org.instances} instances, compliant=${out.compliant}`)
    return {accounts: org.accounts, instances: org.instances, wall: r.wall, requests: org.fake.requests.length, retries: org.counter.throttled, rss: r.rssBytes}
  } finally {
    await org.stop()
  }
}

export async function adminScale() {
  const missing = available()
  if (missing.length > 0) return {title: TITLE, rows: [{name: 'admin status', value: 'not available'}], notes: [`not built yet: ${missing.join(', ')}`]}
  const sizes = (process.env.BENCH_ACCOUNTS ?? '100,1000').split(',').map(Number)
  const results = []
  try {
    for (const n of sizes) results.push(await runAt(n))
  } catch (error) {
    if (/not implemented/i.test(String(error?.message))) return {title: TITLE, rows: [{name: 'admin status', value: 'not available'}], notes: ['src/admin/artifacts.ts is still the placeholder']}
    throw error
  }
  const rows = results.map((r) => ({
    name: `${r.accounts} accounts × 4 regions (${r.instances} stack instances)`,
    value: fmtMs(r.wall),
    ratio: `${r.requests} requests, ${r.retries} retries, peak ${fmtMiB(r.rss)}`,
    ...(r.accounts >= 1000 ? {budget: '< 30 s', ok: r.wall < 30_000} : {}),
  }))
  const small = results.find((r) => r.accounts === 100)
  const large = results.find((r) => r.accounts === 1000)
  if (small && large) {
    const growth = large.rss / small.rss
    rows.push({name: 'peak RSS, 1,000 vs 100 accounts', value: `${fmtMiB(large.rss)} / ${fmtMiB(small.rss)}`, ratio: fmtRatio(growth), budget: '≤ 1.15× (flat)', ok: growth <= 1.15})
  }
  return {title: TITLE, rows, notes: ['one run each (each takes seconds); requests include the throttled ones']}
}

if (import.meta.url === `file://${process.argv[1]}`) report(await adminScale())
