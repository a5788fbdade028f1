import {type IncomingHttpHeaders, type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {expect} from 'chai'

import {buildArtifacts} from '../../src/admin/artifacts.js'
import {MANAGED_TAG} from '../../src/admin/template.js'
import {parseConfig} from '../../src/config/load.js'
import {AwsFault, FakeAws} from '../support/fake-aws.js'
import {FakeSsmDocuments} from '../support/fake-ssm-documents.js'
import {type TemplateHandler, loadTemplateHandler, parseTemplate} from './template-handler.js'

const MAIN = 'SSM-SessionManagerRunShell'
const REGION = 'eu-west-1'

/** What LZA's session-manager-settings custom resource writes: its own formatting, logging, KMS, plus fields others set. */
const LZA_CONTENT = `{
    "schemaVersion": "1.0",
    "description": "Document to hold regional settings for Session Manager",
    "sessionType": "Standard_Stream",
    "inputs": {
        "s3BucketName": "aws-accelerator-central-logs-111122223333-eu-west-1",
        "s3KeyPrefix": "session\\/111122223333\\/",
        "s3EncryptionEnabled": true,
        "cloudWatchLogGroupName": "aws-accelerator-sessionmanager-logs",
        "cloudWatchEncryptionEnabled": true,
        "cloudWatchStreamingEnabled": true,
        "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666",
        "runAsEnabled": false,
        "runAsDefaultUser": "",
        "idleSessionTimeout": "15",
        "maxSessionDuration": "480",
        "shellProfile": {"linux": "exec bash -l\\nPS1='\\\\u@\\\\h \\u00e9 '", "windows": ""}
    }
}`

interface Captured {
  method?: string
  url?: string
  headers: IncomingHttpHeaders
  body: string
}

/** Stands in for CloudFormation's pre-signed S3 ResponseURL. */
class ResponseServer {
  readonly received: Captured[] = []
  failNext = 0
  private server?: Server
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (this.failNext > 0) {
          this.failNext--
          res.writeHead(500).end()
          return
        }
        this.received.push({method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8')})
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server!.close(() => resolve()))
  }

  /** the one response, parsed */
  single(): Record<string, any> {
    expect(this.received, 'exactly one response').to.have.length(1)
    return JSON.parse(this.received[0].body)
  }
}

const config = (permissionSets: Record<string, {runAsUser: string; document?: string}>, extra: Record<string, unknown> = {}) =>
  parseConfig({defaultRunAsUser: 'ec2-user', permissionSets, ...extra})

describe("RunAs custom resource handler (the template's inline code, real HTTP)", () => {
  let fake: FakeAws
  let ssm: FakeSsmDocuments
  let responses: ResponseServer
  let lambda: TemplateHandler
  let cleanup: () => void
  const saved: Record<string, string | undefined> = {}
  const ENV = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: '/nonexistent/ssmx-test-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ssmx-test-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  }

  const baseConfig = config({Developer: {runAsUser: 'dev'}, 'Ops+Admin': {runAsUser: 'ops'}, DBA: {runAsUser: 'postgres', document: 'Team-DBA-Session'}})

  /** ResourceProperties as CloudFormation passes them: the template's parameter values. */
  function properties(cfg = baseConfig): Record<string, unknown> {
    const artifacts = buildArtifacts(cfg, '0.0.0-test')
    return {
      ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:ssmx-runas',
      ServiceTimeout: '300',
      ...Object.fromEntries(artifacts.parameters.map((p) => [p.ParameterKey, p.ParameterValue])),
      TemplateVersion: artifacts.templateVersion,
    }
  }

  function event(requestType: 'Create' | 'Update' | 'Delete', props: Record<string, unknown> = properties(), physical?: string) {
    return {
      RequestType: requestType,
      ResponseURL: `${responses.url}/cloudformation-custom-resource-response?X-Amz-Signature=0123abcd`,
      StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/StackSet-ssmx-runas-abc/11111111-2222-3333-4444-555555555555',
      RequestId: 'req-7f3c',
      LogicalResourceId: 'RunAs',
      ResourceType: 'AWS::CloudFormation::CustomResource',
      ...(physical ? {PhysicalResourceId: physical} : {}),
      ResourceProperties: props,
    }
  }

  const context = {getRemainingTimeInMillis: () => 240_000, logStreamName: '2026/11/22/[$LATEST]abc'}
  const calls = (operation: string) => fake.calls('ssm', operation).map((c) => c.input)
  let logged: string[] = []
  const quietly = async <T>(f: () => Promise<T>): Promise<T> => {
    const log = console.log
    console.log = (...args: unknown[]) => void logged.push(args.join(' '))
    try {
      return await f()
    } finally {
      console.log = log
    }
  }
  const invoke = (e: unknown, ctx: unknown = context) => quietly(() => lambda.handler(e, ctx))

  before(() => {
    ;({module: lambda, cleanup} = loadTemplateHandler(buildArtifacts(baseConfig, '0.0.0-test').templateBody))
  })
  after(() => cleanup())

  beforeEach(async () => {
    logged = []
    fake = await new FakeAws().start()
    ssm = new FakeSsmDocuments(fake)
    responses = await new ResponseServer().start()
    for (const [k, v] of Object.entries({...ENV, AWS_ENDPOINT_URL: fake.url})) {
      saved[k] = process.env[k]
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  afterEach(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    await fake.stop()
    await responses.stop()
  })

  it('document missing: creates SSM-SessionManagerRunShell with RunAs, one tagged document per permission set, and answers SUCCESS', async () => {
    await invoke(event('Create'))
    const creates = calls('CreateDocument')
    expect(creates.map((c) => c.Name)).to.deep.equal([MAIN, 'Team-DBA-Session', 'SSMX-RunAs-Developer', 'SSMX-RunAs-Ops_Admin'])
    expect(creates[0]).to.include({DocumentType: 'Session', DocumentFormat: 'JSON'})
    expect(creates[0].Tags).to.equal(undefined)
    const main = JSON.parse(ssm.content(MAIN)!)
    expect(main).to.include({schemaVersion: '1.0', sessionType: 'Standard_Stream'})
    expect(main.inputs).to.include({runAsEnabled: true, runAsDefaultUser: 'ec2-user'})
    for (const c of creates.slice(1)) expect(c.Tags).to.deep.equal([{Key: MANAGED_TAG, Value: 'true'}])
    expect(JSON.parse(ssm.content('SSMX-RunAs-Developer')!).inputs).to.include({runAsEnabled: true, runAsDefaultUser: 'dev'})
    expect(JSON.parse(ssm.content('Team-DBA-Session')!).inputs).to.include({runAsDefaultUser: 'postgres'})

    const [put] = responses.received
    expect(put.method).to.equal('PUT')
    expect(put.url).to.equal('/cloudformation-custom-resource-response?X-Amz-Signature=0123abcd')
    expect(put.headers['content-type']).to.equal('')
    expect(Number(put.headers['content-length'])).to.equal(Buffer.byteLength(put.body))
    const body = responses.single()
    expect(body).to.include({
      Status: 'SUCCESS',
      PhysicalResourceId: `ssmx-runas-${REGION}`,
      StackId: event('Create').StackId,
      RequestId: 'req-7f3c',
      LogicalResourceId: 'RunAs',
    })
    expect(body.Reason).to.match(/SSM-SessionManagerRunShell created; created 3/)
    expect(Buffer.byteLength(put.body)).to.be.at.most(4096)
    // the pre-signed URL is a credential: never logged
    expect(logged.join('\n')).to.include('"outcome":"created"').and.not.include('0123abcd')
  })

  it('LZA-written document: only runAsEnabled/runAsDefaultUser change, every other byte survives; the default version moves', async () => {
    ssm.put(MAIN, LZA_CONTENT)
    await invoke(event('Create'))
    const expected = LZA_CONTENT.replace('"runAsEnabled": false', '"runAsEnabled": true').replace('"runAsDefaultUser": ""', '"runAsDefaultUser": "ec2-user"')
    expect(ssm.content(MAIN)).to.equal(expected)
    expect(ssm.docs.get(MAIN)!.defaultVersion).to.equal(2)
    expect(calls('UpdateDocument').filter((c) => c.Name === MAIN)).to.deep.equal([
      {Name: MAIN, Content: expected, DocumentVersion: '$LATEST', DocumentFormat: 'JSON'},
    ])
    expect(calls('UpdateDocumentDefaultVersion').filter((c) => c.Name === MAIN)).to.deep.equal([{Name: MAIN, DocumentVersion: '2'}])
    // the per-role documents carry LZA's logging/KMS settings (and timeouts, shell profile) with their own user
    const lza = JSON.parse(LZA_CONTENT).inputs
    const dev = JSON.parse(ssm.content('SSMX-RunAs-Developer')!).inputs
    expect(dev).to.deep.equal({...lza, runAsEnabled: true, runAsDefaultUser: 'dev'})
    expect(responses.single().Status).to.equal('SUCCESS')
  })

  it('RunAs already right: no new version, no update, on a second run', async () => {
    ssm.put(MAIN, LZA_CONTENT)
    await invoke(event('Create'))
    const versions = [...ssm.docs].map(([n, d]) => [n, d.versions.length])
    fake.requests.length = 0
    responses.received.length = 0
    await invoke(event('Update', properties(), `ssmx-runas-${REGION}`))
    expect(calls('UpdateDocument')).to.deep.equal([])
    expect(calls('CreateDocument')).to.deep.equal([])
    expect(calls('UpdateDocumentDefaultVersion')).to.deep.equal([])
    expect([...ssm.docs].map(([n, d]) => [n, d.versions.length])).to.deep.equal(versions)
    const body = responses.single()
    expect(body).to.include({Status: 'SUCCESS', PhysicalResourceId: `ssmx-runas-${REGION}`})
    expect(body.Reason).to.match(/SSM-SessionManagerRunShell unchanged; created 0, updated 0, unchanged 3/)
  })

  it('a newer version that is right but not the default (as LZA leaves it) is promoted without a new version', async () => {
    ssm.put(MAIN, LZA_CONTENT)
    const right = LZA_CONTENT.replace('"runAsEnabled": false', '"runAsEnabled": true').replace('"runAsDefaultUser": ""', '"runAsDefaultUser": "ec2-user"')
    ssm.docs.get(MAIN)!.versions.push(right)
    await invoke(event('Create'))
    expect(calls('UpdateDocument').filter((c) => c.Name === MAIN)).to.deep.equal([])
    expect(calls('UpdateDocumentDefaultVersion').filter((c) => c.Name === MAIN)).to.deep.equal([{Name: MAIN, DocumentVersion: '2'}])
    expect(ssm.docs.get(MAIN)!.versions).to.have.length(2)
  })

  it('per-role documents: updated when the user or the logging settings change, removed when no longer configured, foreign ones untouched', async () => {
    ssm.put(MAIN, LZA_CONTENT)
    ssm.put('SSMX-RunAs-Handmade', '{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{}}')
    await invoke(event('Create'))
    // LZA rewrites its logging settings in between (a new bucket)
    const main = ssm.docs.get(MAIN)!
    main.versions.push(main.versions.at(-1)!.replace('central-logs-111122223333', 'central-logs-v2'))
    main.defaultVersion = main.versions.length
    fake.requests.length = 0
    responses.received.length = 0
    const next = config({Developer: {runAsUser: 'developer'}, DBA: {runAsUser: 'postgres', document: 'Team-DBA-Session'}})
    await invoke(event('Update', properties(next), `ssmx-runas-${REGION}`))

    expect(calls('DeleteDocument')).to.deep.equal([{Name: 'SSMX-RunAs-Ops_Admin'}])
    expect(ssm.docs.has('SSMX-RunAs-Handmade'), 'untagged document left alone').to.equal(true)
    expect(calls('UpdateDocument').map((c) => c.Name)).to.deep.equal(['Team-DBA-Session', 'SSMX-RunAs-Developer'])
    const dev = JSON.parse(ssm.content('SSMX-RunAs-Developer')!).inputs
    expect(dev).to.include({runAsDefaultUser: 'developer', s3BucketName: 'aws-accelerator-central-logs-v2-eu-west-1'})
    expect(ssm.docs.get('SSMX-RunAs-Developer')!.defaultVersion).to.equal(2)
    expect(JSON.parse(ssm.content('Team-DBA-Session')!).inputs.s3BucketName).to.equal('aws-accelerator-central-logs-v2-eu-west-1')
    const body = responses.single()
    expect(body.Status).to.equal('SUCCESS')
    expect(body.Reason).to.include('removed 1 (SSMX-RunAs-Ops_Admin)')
  })

  it('adopts an existing untagged document of the same name: updates and tags it', async () => {
    ssm.put('SSMX-RunAs-Developer', '{"schemaVersion":"1.0","sessionType":"Standard_Stream","inputs":{"runAsEnabled":true,"runAsDefaultUser":"old"}}')
    await invoke(event('Create'))
    expect(calls('AddTagsToResource')).to.deep.equal([
      {ResourceType: 'Document', ResourceId: 'SSMX-RunAs-Developer', Tags: [{Key: MANAGED_TAG, Value: 'true'}]},
    ])
    expect(JSON.parse(ssm.content('SSMX-RunAs-Developer')!).inputs.runAsDefaultUser).to.equal('dev')
  })

  it('Delete: removes its own documents and leaves SSM-SessionManagerRunShell as it is (onDelete: leave)', async () => {
    ssm.put(MAIN, LZA_CONTENT)
    await invoke(event('Create'))
    const mainBefore = structuredClone(ssm.docs.get(MAIN))
    ssm.put('Other-Session', '{}')
    fake.requests.length = 0
    responses.received.length = 0
    await invoke(event('Delete', properties(), `ssmx-runas-${REGION}`))
    expect(calls('DeleteDocument').map((c) => c.Name)).to.deep.equal(['SSMX-RunAs-Developer', 'SSMX-RunAs-Ops_Admin', 'Team-DBA-Session'])
    expect([...ssm.docs.keys()].sort()).to.deep.equal(['Other-Session', MAIN])
    expect(ssm.docs.get(MAIN)).to.deep.equal(mainBefore)
    expect(calls('UpdateDocument')).to.deep.equal([])
    expect(responses.single()).to.include({Status: 'SUCCESS', PhysicalResourceId: `ssmx-runas-${REGION}`})
  })

  it('Delete with onDelete disable-runas switches RunAs off and keeps the rest', async () => {
    ssm.put(MAIN, LZA_CONTENT)
    const props = properties(config({Developer: {runAsUser: 'dev'}}, {admin: {onDelete: 'disable-runas'}}))
    await invoke(event('Create', props))
    responses.received.length = 0
    await invoke(event('Delete', props, `ssmx-runas-${REGION}`))
    expect(ssm.content(MAIN)).to.equal(LZA_CONTENT.replace('"runAsDefaultUser": ""', '"runAsDefaultUser": "ec2-user"'))
    expect(ssm.docs.has('SSMX-RunAs-Developer')).to.equal(false)
    expect(responses.single().Status).to.equal('SUCCESS')
  })

  it('an SSM error mid-way answers FAILED with the error as the reason, and the stable physical id', async () => {
    ssm.put(MAIN, LZA_CONTENT)
    fake.on('ssm', 'CreateDocument', (i) => {
      throw new AwsFault(
        'AccessDeniedException',
        `User: arn:aws:sts::111122223333:assumed-role/ssmx-runas-eu-west-1/fn is not authorized to perform: ssm:CreateDocument on ${String(i.Name)}`,
      )
    })
    await invoke(event('Create'))
    expect(calls('UpdateDocument').map((c) => c.Name)).to.deep.equal([MAIN])
    const body = responses.single()
    expect(body).to.include({Status: 'FAILED', PhysicalResourceId: `ssmx-runas-${REGION}`, RequestId: 'req-7f3c', LogicalResourceId: 'RunAs'})
    expect(body.Reason).to.match(/^AccessDeniedException: User: .* ssm:CreateDocument on Team-DBA-Session \(log stream 2026\/11\/22\/\[\$LATEST\]abc\)$/)
  })

  it('always answers: invalid properties, and an SSM call that never returns (deadline before the function timeout)', async () => {
    await invoke(event('Create', {...properties(), PermissionSets: '{not json'}))
    expect(responses.single()).to.include({Status: 'FAILED', Reason: 'Error: PermissionSets is not valid JSON (log stream 2026/11/22/[$LATEST]abc)'})
    expect(fake.requests).to.have.length(0)

    responses.received.length = 0
    let release!: () => void
    const hang = new Promise<void>((resolve) => (release = resolve))
    fake.on('ssm', 'DescribeDocument', async () => {
      await hang
      return {}
    })
    // 11.5 s left: the handler keeps 10 s for answering, so it gives up after 1.5 s
    await invoke(event('Create'), {getRemainingTimeInMillis: () => 11_500})
    release()
    const body = responses.single()
    expect(body.Status).to.equal('FAILED')
    expect(body.Reason).to.match(/gave up after 2 s so CloudFormation gets an answer/)
  })

  it('retries the response PUT when the URL fails once', async () => {
    responses.failNext = 1
    await invoke(event('Create'))
    expect(responses.single().Status).to.equal('SUCCESS')
  })

  it('keeps the response within 4,096 bytes (Reason cut, Data dropped)', () => {
    const body = lambda.responseBody(event('Create'), 'FAILED', `Error: ${'é'.repeat(5000)}`, 'ssmx-runas-eu-west-1', {RunShell: 'updated'})
    expect(Buffer.byteLength(body)).to.be.at.most(4096)
    const parsed = JSON.parse(body)
    expect(parsed.Data).to.equal(undefined)
    expect(parsed.Reason).to.match(/^Error: é+…$/)
    expect(parsed).to.include({Status: 'FAILED', RequestId: 'req-7f3c'})
  })

  it("the daily schedule's event (the rule's Input) re-applies without answering CloudFormation", async () => {
    const artifacts = buildArtifacts(baseConfig, '0.0.0-test')
    const rule = parseTemplate(artifacts.templateBody).Resources.RunAsSchedule.Properties
    const values = Object.fromEntries(artifacts.parameters.map((p) => [p.ParameterKey, p.ParameterValue]))
    const input = (rule.Targets[0].Input['Fn::Sub'] as string).replace(/\$\{(\w+)\}/g, (_, name: string) => values[name])
    ssm.put(MAIN, LZA_CONTENT)
    await invoke(JSON.parse(input))
    expect(JSON.parse(ssm.content(MAIN)!).inputs.runAsEnabled).to.equal(true)
    expect(ssm.docs.has('SSMX-RunAs-Developer')).to.equal(true)
    expect(responses.received).to.have.length(0)
  })
})

describe("setInputs (the handler's byte-preserving edit)", () => {
  let lambda: TemplateHandler
  let cleanup: () => void
  before(() => {
    ;({module: lambda, cleanup} = loadTemplateHandler(buildArtifacts(parseConfig({}), '0.0.0-test').templateBody))
  })
  after(() => cleanup())

  it('replaces values in place, appends missing keys, creates inputs when absent', () => {
    const set = {runAsEnabled: true, runAsDefaultUser: 'ec2-user'}
    expect(lambda.setInputs('{"a" : 1, "inputs" : { "runAsEnabled" : false , "x":[1,{"runAsEnabled":0}] } }', set)).to.equal(
      '{"a" : 1, "inputs" : { "runAsEnabled" : true , "x":[1,{"runAsEnabled":0}],"runAsDefaultUser":"ec2-user" } }',
    )
    expect(lambda.setInputs('{"inputs":{}}', set)).to.equal('{"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ec2-user"}}')
    expect(lambda.setInputs('{}', set)).to.equal('{"inputs":{"runAsEnabled":true,"runAsDefaultUser":"ec2-user"}}')
    expect(lambda.setInputs('{"schemaVersion":"1.0"}', {runAsEnabled: false})).to.equal('{"inputs":{"runAsEnabled":false},"schemaVersion":"1.0"}')
    expect(lambda.setInputs('{"inputs":{"s":"a\\"}b","runAsDefaultUser":"x"}}', set)).to.equal(
      '{"inputs":{"s":"a\\"}b","runAsDefaultUser":"ec2-user","runAsEnabled":true}}',
    )
    expect(() => lambda.setInputs('{"inputs": [1]}', set)).to.throw(/inputs is not a JSON object/)
    expect(() => lambda.setInputs('not json', set)).to.throw()
  })
  it("uses the same tag as the template's IAM condition", () => {
    expect(lambda.MANAGED_TAG).to.equal(MANAGED_TAG)
  })
})
