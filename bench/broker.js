#!/usr/bin/env node
// Broker mode vs documents mode: the hand-off (ssmx spawned → session-manager-plugin started) of
// `ssmx connect i-…` with each, and the requests one connect makes: the user's own AWS requests, the requests to
// the broker, and the AWS requests the broker makes for it. The broker is the function-URL emulator running the
// template's broker code (SigV4 verified, a Lambda runtime process) against a fake AWS on 127.0.0.1, so the numbers
// are ssmx's and the broker code's own cost without network latency: on AWS add a round trip to the function URL
// and the broker's AWS calls (and a Lambda cold start now and then).
// Usage: npm run build && node bench/broker.js [--json]
import {join} from 'node:path'

import {BIN, BenchBox, INSTANCE, ROOT, fmtMs, fmtRatio, interleave, median, report, runs, timed} from './lib.js'

const load = (path) => import(join(ROOT, 'dist', path))

export async function broker() {
  const [{FakeAws, toXml}, {FakeBrokerAws}, {FunctionUrlEmulator, TEST_REGION, idcCredentials}, {buildArtifacts}, {parseConfig}] = await Promise.all([
    load('test/support/fake-aws.js'),
    load('test/support/fake-broker-aws.js'),
    load('test/support/function-url.js'),
    load('src/admin/artifacts.js'),
    load('src/config/load.js'),
  ])
  const config = parseConfig({permissionSets: {Developer: {runAsUser: 'dev'}}, admin: {broker: {enabled: true, organizationId: 'o-abcdefghij'}}})
  const jane = idcCredentials({permissionSet: 'Developer', user: 'jane@example.com'})
  const identity = () => toXml({Arn: jane.userArn, UserId: jane.userId, Account: jane.accountId})

  // broker mode: the user's fake AWS (the URL parameter, STS) is the broker's fake AWS too
  const fake = await new FakeAws().start()
  const world = new FakeBrokerAws().install(fake)
  world.idcRole('Developer', () => 'allowed').instance(INSTANCE, {Environment: 'dev'})
  const emulator = await new FunctionUrlEmulator({templateBody: buildArtifacts(config, '0.0.0').templateBody, awsEndpoint: fake.url}).start()
  emulator.register(jane)
  fake.on('ssm', 'GetParameter', (input) => ({Parameter: {Name: input.Name, Type: 'String', Value: emulator.url}})).on('sts', 'GetCallerIdentity', identity)
  // documents mode: StartSession by the user
  const direct = await new FakeAws().start()
  direct
    .on('ssm', 'StartSession', () => ({SessionId: 'jane-0abc', TokenValue: 'TOKEN', StreamUrl: 'wss://x'}))
    .on('ssm', 'TerminateSession', (i) => ({SessionId: i.SessionId}))
    .on('sts', 'GetCallerIdentity', identity)

  const boxes = {documents: new BenchBox(direct.url), broker: new BenchBox(fake.url)}
  for (const box of Object.values(boxes)) box.file('.ssmxrc.yaml', 'permissionSets:\n  Developer:\n    runAsUser: dev\n')
  const creds = {AWS_ACCESS_KEY_ID: jane.accessKeyId, AWS_SECRET_ACCESS_KEY: jane.secretAccessKey, AWS_SESSION_TOKEN: jane.sessionToken}
  const envFor = (box, endpoint) => ({...box.env, ...creds, AWS_ENDPOINT_URL: endpoint})
  const connect = async (mode) => {
    const box = boxes[mode]
    const r = await timed(process.execPath, [BIN, 'connect', INSTANCE, ...(mode === 'broker' ? ['--broker'] : [])], {env: envFor(box, mode === 'broker' ? fake.url : direct.url), cwd: box.home, box})
    return r.handoff
  }
  /** one connect's requests, by who made them */
  const count = async (mode, prepare = () => {}) => {
    prepare()
    const aws = mode === 'broker' ? fake : direct
    aws.requests.length = 0
    emulator.requests.length = 0
    await connect(mode)
    const byUser = aws.requests.filter((r) => String(r.headers.authorization ?? '').includes(`Credential=${jane.accessKeyId}/`))
    const byBroker = aws.requests.filter((r) => !byUser.includes(r))
    const list = (rs) => rs.map((r) => `${r.service}.${r.operation}`).join(', ') || '-'
    return {user: byUser.length, broker: emulator.requests.length, brokerAws: byBroker.length, text: `you: ${list(byUser)}; broker: ${emulator.requests.length}; its AWS: ${list(byBroker)}`}
  }
  try {
    const n = runs()
    const samples = await interleave({documents: () => connect('documents'), broker: () => connect('broker')}, n)
    const docs = median(samples.documents)
    const brk = median(samples.broker)
    const cold = await count('broker', () => {
      for (const box of Object.values(boxes)) box.file('.cache/ssmx/broker-urls.json', '{}')
    })
    const warm = await count('broker')
    const documents = await count('documents')
    return {
      title: 'Broker mode vs documents mode: ssmx connect i-… hand-off, and requests per connect',
      rows: [
        {name: 'hand-off, documents mode (warm caches)', value: fmtMs(docs)},
        {name: 'hand-off, broker mode (URL cached)', value: fmtMs(brk), ratio: fmtRatio(brk / docs)},
        {name: 'requests, documents mode', value: `${documents.user} AWS`, ratio: documents.text},
        {name: 'requests, broker mode, URL cached', value: `${warm.user} AWS + ${warm.broker} broker`, ratio: warm.text, budget: '0 AWS + 1 broker', ok: warm.user === 0 && warm.broker === 1},
        {name: 'requests, broker mode, first run', value: `${cold.user} AWS + ${cold.broker} broker`, ratio: cold.text, budget: '1 GetParameter + 1 broker', ok: cold.user === 1 && cold.broker === 1},
      ],
      notes: [
        `${n} interleaved runs each, medians; the broker is the emulator (SigV4 check + the template's code in a Lambda-like runtime) on 127.0.0.1, no network latency`,
        'the user credentials come from the environment (STS GetCallerIdentity cached per access key after the first run)',
      ],
    }
  } finally {
    await emulator.stop()
    await fake.stop()
    await direct.stop()
    for (const box of Object.values(boxes)) box.cleanup()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) report(await broker())
