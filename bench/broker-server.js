#!/usr/bin/env node
// The session broker's server side, on the function-URL emulator (test/support/function-url.ts: SigV4 verified, the
// template's own broker code in a runtime process) against the tests' fake AWS: wall time of a signed `decide` and
// `start` request (warm function), and how many AWS calls the broker makes for each, with the fake AWS answering at
// once and 20 ms late (a same-region AWS API). The client's hand-off (broker mode vs documents mode) is measured by
// the client's bench; this is the broker's share of it.
// Usage: npm run build && node bench/broker-server.js [--json]
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {INSTANCE, ROOT, fakeAws, fmtMs, median, report, runs} from './lib.js'

const dist = (p) => import(join(ROOT, 'dist', ...p.split('/')))
const {FakeBrokerAws} = await dist('test/support/fake-broker-aws.js')
const {FunctionUrlEmulator, TEST_REGION, idcCredentials} = await dist('test/support/function-url.js')
const {post, signBrokerRequest} = await dist('test/support/sign.js')
const {buildArtifacts} = await dist('src/admin/artifacts.js')
const {parseConfig} = await dist('src/config/load.js')

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
const config = parseConfig({permissionSets: {Developer: {runAsUser: 'dev'}}, admin: {broker: {enabled: true, organizationId: 'o-abcdefghij'}}})
const {FakeAws} = await fakeAws()

async function measure(latencyMs) {
  const fake = await new FakeAws().start()
  const world = new FakeBrokerAws().install(fake)
  world.idcRole('Developer', () => 'allowed').instance(INSTANCE, {Environment: 'dev'})
  const emulator = await new FunctionUrlEmulator({templateBody: buildArtifacts(config, version).templateBody, awsEndpoint: fake.url}).start()
  const alice = idcCredentials({permissionSet: 'Developer', user: 'alice@example.com'})
  emulator.register(alice)
  const once = async (body) => {
    const before = fake.requests.length
    const t0 = performance.now()
    const res = await post(await signBrokerRequest(emulator.url, body, alice, {region: TEST_REGION}))
    const ms = performance.now() - t0
    if (res.status !== 200) throw new Error(`broker answered ${res.status}: ${res.text}`)
    return {ms, calls: fake.requests.length - before}
  }
  // warm: the first request loads the SDK clients in the runtime (a cold start)
  const cold = await once({action: 'decide', target: INSTANCE, kind: 'shell'})
  for (let i = 0; i < 3; i++) for (const action of ['decide', 'start']) await once({action, target: INSTANCE, kind: 'shell'})
  fake.latencyMs = latencyMs
  const out = {}
  for (const action of ['decide', 'start']) {
    const samples = []
    for (let i = 0; i < runs(); i++) samples.push(await once({action, target: INSTANCE, kind: 'shell'}))
    out[action] = {ms: median(samples.map((s) => s.ms)), calls: samples[0].calls}
  }
  await emulator.stop()
  await fake.stop()
  return {cold, ...out}
}

const fast = await measure(0)
const slow = await measure(20)
report({
  title: 'Session broker (server) on the function-URL emulator: signed request → answer, warm',
  rows: [
    {name: 'decide, fake AWS at once', value: `${fmtMs(fast.decide.ms)}, ${fast.decide.calls} AWS calls`},
    {name: 'start, fake AWS at once', value: `${fmtMs(fast.start.ms)}, ${fast.start.calls} AWS calls`},
    {name: 'decide, fake AWS 20 ms per call', value: fmtMs(slow.decide.ms)},
    {name: 'start, fake AWS 20 ms per call', value: fmtMs(slow.start.ms)},
    {name: 'first request (cold: SDK clients load)', value: fmtMs(fast.cold.ms)},
  ],
  notes: [
    'start = GetRole and DescribeTags at once, then SimulatePrincipalPolicy, AssumeRole, StartSession; a connect in broker mode is one start request (plus the URL lookup, cached per account × region, on the client).',
    'Real Lambda adds its own cold start (~200-400 ms for nodejs24.x with the SDK) and the function URL hop; neither is emulated.',
  ],
})
