/*
 * ssmx RunAs custom resource. Compiled to CommonJS (index.cjs) and embedded byte for byte as the
 * Lambda function's inline code (Code.ZipFile → index.js, handler index.handler, nodejs22.x).
 * Dependencies: Node.js and the AWS SDK v3 that the runtime ships. Never logs the ResponseURL.
 *
 * In its own account and region it:
 *  - sets runAsEnabled/runAsDefaultUser in SSM-SessionManagerRunShell (created if missing), editing
 *    only those two values in the JSON text so every other field stays byte for byte, then moves the
 *    default version to the new one;
 *  - keeps one session document per permission set (tag ssmx:managed=true) with that RunAs user and
 *    the other inputs (logging, KMS, timeouts, shell profiles) copied from SSM-SessionManagerRunShell;
 *  - deletes the tagged documents no longer configured, and on stack Delete all of them;
 *  - answers CloudFormation in a finally, whatever happened.
 * Invoked by CloudFormation (RequestType Create/Update/Delete) or by the daily schedule
 * ({"ssmx":"reapply", ...settings}), which re-applies after anything (e.g. LZA) rewrote the settings.
 */
import http = require('node:http')
import https = require('node:https')
import ssm = require('@aws-sdk/client-ssm')

export const MAIN_DOCUMENT = 'SSM-SessionManagerRunShell'
export const MANAGED_TAG = 'ssmx:managed'
const MAX_RESPONSE_BYTES = 4096
const DOCUMENT_NAME = /^[a-zA-Z0-9_.-]{3,128}$/
const LINUX_USER = /^[a-z_A-Z][a-zA-Z0-9_.@-]{0,31}$/

export interface Settings {
  defaultRunAsUser: string
  /** permission set → its document and RunAs user */
  permissionSets: Record<string, {document: string; runAsUser: string}>
  onDelete: 'leave' | 'disable-runas'
}

export interface CfnEvent {
  RequestType: 'Create' | 'Update' | 'Delete'
  ResponseURL: string
  StackId: string
  RequestId: string
  LogicalResourceId: string
  PhysicalResourceId?: string
  ResourceProperties?: Record<string, unknown>
}

interface Context {
  getRemainingTimeInMillis?: () => number
  logStreamName?: string
}

type Client = Pick<ssm.SSMClient, 'send'>

const log = (fields: Record<string, unknown>): void => console.log(JSON.stringify(fields))

/** Reads and checks the settings from the custom resource's properties or the scheduled event. */
export function parseSettings(props: Record<string, unknown> | undefined): Settings {
  const p = props ?? {}
  const user = p.DefaultRunAsUser
  if (typeof user !== 'string' || !LINUX_USER.test(user)) throw new Error(`DefaultRunAsUser ${JSON.stringify(user)} is not a Linux user name`)
  let sets = p.PermissionSets ?? {}
  if (typeof sets === 'string') {
    try {
      sets = JSON.parse(sets)
    } catch {
      throw new Error('PermissionSets is not valid JSON')
    }
  }
  if (!sets || typeof sets !== 'object' || Array.isArray(sets)) throw new Error('PermissionSets must be a JSON object')
  const permissionSets: Settings['permissionSets'] = {}
  const seen = new Set<string>()
  for (const [name, entry] of Object.entries(sets as Record<string, {document?: unknown; runAsUser?: unknown}>)) {
    const document = entry?.document
    const runAsUser = entry?.runAsUser
    if (typeof document !== 'string' || !DOCUMENT_NAME.test(document) || /^(aws|amazon|amzn)/i.test(document) || document === MAIN_DOCUMENT) {
      throw new Error(`PermissionSets.${name}.document ${JSON.stringify(document)} is not a usable session document name`)
    }
    if (typeof runAsUser !== 'string' || !LINUX_USER.test(runAsUser))
      throw new Error(`PermissionSets.${name}.runAsUser ${JSON.stringify(runAsUser)} is not a Linux user name`)
    if (seen.has(document.toLowerCase())) throw new Error(`PermissionSets: two permission sets use the document ${document}`)
    seen.add(document.toLowerCase())
    permissionSets[name] = {document, runAsUser}
  }
  const onDelete = p.OnDelete ?? 'leave'
  if (onDelete !== 'leave' && onDelete !== 'disable-runas') throw new Error(`OnDelete ${JSON.stringify(onDelete)} must be leave or disable-runas`)
  return {defaultRunAsUser: user, permissionSets, onDelete}
}

interface Member {
  key: string
  valueStart: number
  valueEnd: number
}

/** Scans one JSON value starting at i (after whitespace); returns its end and, for objects, its members. */
function scan(text: string, i: number): {start: number; end: number; members?: Member[]} {
  const ws = (j: number): number => {
    while (j < text.length && ' \t\n\r'.includes(text[j]!)) j++
    return j
  }
  const string = (j: number): number => {
    j++
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
    if (j >= text.length) throw new Error('unterminated string')
    return j + 1
  }
  const start = ws(i)
  const c = text[start]
  if (c === '"') return {start, end: string(start)}
  if (c === '{' || c === '[') {
    const members: Member[] = []
    let j = ws(start + 1)
    const close = c === '{' ? '}' : ']'
    while (text[j] !== close) {
      let key = ''
      if (c === '{') {
        const keyEnd = string(j)
        key = JSON.parse(text.slice(j, keyEnd)) as string
        j = ws(keyEnd)
        if (text[j] !== ':') throw new Error(`expected : at ${j}`)
        j++
      }
      const value = scan(text, j)
      if (c === '{') members.push({key, valueStart: value.start, valueEnd: value.end})
      j = ws(value.end)
      if (text[j] === ',') j = ws(j + 1)
      else if (text[j] !== close) throw new Error(`expected , or ${close} at ${j}`)
    }
    return {start, end: j + 1, members: c === '{' ? members : undefined}
  }
  let j = start
  while (j < text.length && !',}] \t\n\r'.includes(text[j]!)) j++
  if (j === start) throw new Error(`unexpected character at ${start}`)
  return {start, end: j}
}

/**
 * Sets inputs.<key> = value in a session document's JSON text, changing nothing else: existing values
 * are replaced in place, missing keys appended to inputs (created if absent). Byte for byte elsewhere.
 */
export function setInputs(content: string, values: Record<string, string | boolean>): string {
  JSON.parse(content)
  const root = scan(content, 0)
  if (!root.members) throw new Error('the document content is not a JSON object')
  const inputs = root.members.find((m) => m.key === 'inputs')
  const edits: Array<{at: number; end: number; text: string}> = []
  if (!inputs) {
    const body = Object.entries(values)
      .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
      .join(',')
    const at = root.start + 1
    edits.push({at, end: at, text: `"inputs":{${body}}${root.members.length > 0 ? ',' : ''}`})
  } else {
    const object = scan(content, inputs.valueStart)
    if (!object.members || content[object.start] !== '{') throw new Error('inputs is not a JSON object')
    const missing: string[] = []
    for (const [key, value] of Object.entries(values)) {
      const member = object.members.filter((m) => m.key === key).pop()
      if (member) edits.push({at: member.valueStart, end: member.valueEnd, text: JSON.stringify(value)})
      else missing.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`)
    }
    if (missing.length > 0) {
      const last = object.members.at(-1)
      const at = last ? last.valueEnd : object.start + 1
      edits.push({at, end: at, text: `${last ? ',' : ''}${missing.join(',')}`})
    }
  }
  let out = content
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end)
  return out
}

/** The content of a permission set's document: the account's preferences with this RunAs user. */
export function roleDocumentContent(mainContent: string, permissionSet: string, runAsUser: string): string {
  const main = JSON.parse(mainContent) as {inputs?: Record<string, unknown>}
  const inputs = {...(main.inputs ?? {}), runAsEnabled: true, runAsDefaultUser: runAsUser}
  return `${JSON.stringify(
    {
      schemaVersion: '1.0',
      description: `ssmx: Session Manager sessions of permission set ${permissionSet} run as ${runAsUser}. Managed by ssmx; settings copied from ${MAIN_DOCUMENT}.`,
      sessionType: 'Standard_Stream',
      inputs,
    },
    null,
    2,
  )}\n`
}

export function defaultMainContent(runAsUser: string): string {
  return `${JSON.stringify(
    {
      schemaVersion: '1.0',
      description: 'Document to hold regional settings for Session Manager',
      sessionType: 'Standard_Stream',
      inputs: {
        s3BucketName: '',
        s3KeyPrefix: '',
        s3EncryptionEnabled: true,
        cloudWatchLogGroupName: '',
        cloudWatchEncryptionEnabled: true,
        cloudWatchStreamingEnabled: true,
        kmsKeyId: '',
        runAsEnabled: true,
        runAsDefaultUser: runAsUser,
        idleSessionTimeout: '20',
        maxSessionDuration: '',
        shellProfile: {windows: '', linux: ''},
      },
    },
    null,
    2,
  )}\n`
}

const errorName = (e: unknown): string => (e && typeof e === 'object' && 'name' in e ? String((e as {name: unknown}).name) : '')

type Outcome = 'created' | 'updated' | 'promoted' | 'unchanged'

/** The latest version's content and the version numbers, or undefined when the document does not exist. */
async function read(client: Client, name: string): Promise<{content: string; latest: string; default: string} | undefined> {
  let described
  try {
    described = await client.send(new ssm.DescribeDocumentCommand({Name: name}))
  } catch (error) {
    if (errorName(error) === 'InvalidDocument') return undefined
    throw error
  }
  const latest = described.Document?.LatestVersion ?? '$LATEST'
  const got = await client.send(new ssm.GetDocumentCommand({Name: name, DocumentVersion: latest, DocumentFormat: 'JSON'}))
  return {content: got.Content ?? '', latest, default: described.Document?.DefaultVersion ?? latest}
}

/** Makes `content` the default version of an existing document; no new version when $LATEST already has it. */
async function converge(client: Client, name: string, current: {content: string; latest: string; default: string}, content: string): Promise<Outcome> {
  let version = current.latest
  let outcome: Outcome = 'promoted'
  if (current.content !== content) {
    try {
      const updated = await client.send(new ssm.UpdateDocumentCommand({Name: name, Content: content, DocumentVersion: '$LATEST', DocumentFormat: 'JSON'}))
      version = updated.DocumentDescription?.DocumentVersion ?? version
      outcome = 'updated'
    } catch (error) {
      if (errorName(error) !== 'DuplicateDocumentContent') throw error
    }
  }
  if (outcome === 'promoted' && current.default === version) return 'unchanged'
  await client.send(new ssm.UpdateDocumentDefaultVersionCommand({Name: name, DocumentVersion: version}))
  return outcome
}

async function create(client: Client, name: string, content: string, tagged: boolean): Promise<Outcome | undefined> {
  try {
    await client.send(
      new ssm.CreateDocumentCommand({
        Name: name,
        Content: content,
        DocumentType: 'Session',
        DocumentFormat: 'JSON',
        Tags: tagged ? [{Key: MANAGED_TAG, Value: 'true'}] : undefined,
      }),
    )
    return 'created'
  } catch (error) {
    if (errorName(error) === 'DocumentAlreadyExists') return undefined
    throw error
  }
}

/** Session documents owned by this account: name → whether ssmx tagged it. */
async function listSessionDocuments(client: Client): Promise<Map<string, boolean>> {
  const found = new Map<string, boolean>()
  let NextToken: string | undefined
  do {
    const page = await client.send(
      new ssm.ListDocumentsCommand({
        Filters: [
          {Key: 'Owner', Values: ['Self']},
          {Key: 'DocumentType', Values: ['Session']},
        ],
        MaxResults: 50,
        NextToken,
      }),
    )
    for (const d of page.DocumentIdentifiers ?? []) {
      if (d.Name)
        found.set(
          d.Name,
          (d.Tags ?? []).some((t) => t.Key === MANAGED_TAG && t.Value === 'true'),
        )
    }
    NextToken = page.NextToken
  } while (NextToken)
  return found
}

async function remove(client: Client, name: string): Promise<void> {
  try {
    await client.send(new ssm.DeleteDocumentCommand({Name: name}))
  } catch (error) {
    if (errorName(error) !== 'InvalidDocument') throw error
  }
}

export interface Summary {
  runShell: Outcome | 'left'
  created: string[]
  updated: string[]
  unchanged: string[]
  removed: string[]
}

const summarize = (s: Summary): string =>
  `${MAIN_DOCUMENT} ${s.runShell}; ` +
  (['created', 'updated', 'unchanged', 'removed'] as const).map((k) => `${k} ${s[k].length}${s[k].length ? ` (${s[k].join(', ')})` : ''}`).join(', ')

/** Converges this account and region to the settings. */
export async function apply(client: Client, settings: Settings): Promise<Summary> {
  const summary: Summary = {runShell: 'unchanged', created: [], updated: [], unchanged: [], removed: []}
  const main = await convergeMain(client, settings.defaultRunAsUser)
  summary.runShell = main.outcome
  log({document: MAIN_DOCUMENT, outcome: summary.runShell})
  const existing = await listSessionDocuments(client)
  const wanted = new Set<string>()
  for (const [permissionSet, {document, runAsUser}] of Object.entries(settings.permissionSets).sort(([a], [b]) => (a < b ? -1 : 1))) {
    wanted.add(document)
    const outcome = await convergeRoleDocument(client, document, roleDocumentContent(main.content, permissionSet, runAsUser), existing)
    const bucket = outcome === 'created' ? summary.created : outcome === 'unchanged' ? summary.unchanged : summary.updated
    bucket.push(document)
    log({document, permissionSet, runAsUser, outcome})
  }
  for (const [document, tagged] of [...existing].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!tagged || wanted.has(document) || document === MAIN_DOCUMENT) continue
    await remove(client, document)
    summary.removed.push(document)
    log({document, outcome: 'removed'})
  }
  return summary
}

/** SSM-SessionManagerRunShell with RunAs on and the default user: created when missing, else converged. Its content is the role documents' base. */
async function convergeMain(client: Client, defaultRunAsUser: string): Promise<{outcome: Outcome; content: string}> {
  let main = await read(client, MAIN_DOCUMENT)
  if (!main) {
    const content = defaultMainContent(defaultRunAsUser)
    const created = await create(client, MAIN_DOCUMENT, content, false)
    if (created) return {outcome: created, content}
    // created meanwhile by someone else: converge what is there
    main = await read(client, MAIN_DOCUMENT)
    if (!main) return {outcome: 'unchanged', content}
  }
  const content = setInputs(main.content, {runAsEnabled: true, runAsDefaultUser: defaultRunAsUser})
  return {outcome: await converge(client, MAIN_DOCUMENT, main, content), content}
}

/** One permission set's document: created when missing, else converged, and tagged as ssmx's when it was not. */
async function convergeRoleDocument(client: Client, document: string, content: string, existing: Map<string, boolean>): Promise<Outcome | undefined> {
  if (!existing.has(document)) {
    const created = await create(client, document, content, true)
    if (created) return created
  }
  const current = await read(client, document)
  const outcome = current ? await converge(client, document, current, content) : await create(client, document, content, true)
  if (!existing.get(document)) {
    await client.send(new ssm.AddTagsToResourceCommand({ResourceType: 'Document', ResourceId: document, Tags: [{Key: MANAGED_TAG, Value: 'true'}]}))
  }
  return outcome
}

/** Stack deletion: removes ssmx's documents; SSM-SessionManagerRunShell stays, or gets RunAs switched off. */
export async function teardown(client: Client, onDelete: Settings['onDelete']): Promise<Summary> {
  const summary: Summary = {runShell: 'left', created: [], updated: [], unchanged: [], removed: []}
  for (const [document, tagged] of [...(await listSessionDocuments(client))].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!tagged || document === MAIN_DOCUMENT) continue
    await remove(client, document)
    summary.removed.push(document)
    log({document, outcome: 'removed'})
  }
  if (onDelete === 'disable-runas') {
    const main = await read(client, MAIN_DOCUMENT)
    if (main) summary.runShell = await converge(client, MAIN_DOCUMENT, main, setInputs(main.content, {runAsEnabled: false}))
    log({document: MAIN_DOCUMENT, outcome: summary.runShell})
  }
  return summary
}

/** The response body, cut to CloudFormation's 4,096 bytes (Data dropped first, then the Reason shortened). */
export function responseBody(event: CfnEvent, status: 'SUCCESS' | 'FAILED', reason: string, physicalResourceId: string, data?: Record<string, string>): string {
  const body = {
    Status: status,
    Reason: reason,
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ...(data ? {Data: data} : {}),
  }
  let text = JSON.stringify(body)
  if (Buffer.byteLength(text) <= MAX_RESPONSE_BYTES) return text
  delete body.Data
  while (Buffer.byteLength((text = JSON.stringify(body))) > MAX_RESPONSE_BYTES) {
    const keep = Math.max(0, Buffer.byteLength(body.Reason) - (Buffer.byteLength(text) - MAX_RESPONSE_BYTES) - 4)
    body.Reason = `${Buffer.from(body.Reason)
      .subarray(0, keep)
      .toString('utf8')
      .replace(/\uFFFD+$/, '')}…`
  }
  return text
}

function put(url: string, body: string): Promise<void> {
  const target = new URL(url)
  const request = target.protocol === 'https:' ? https.request : http.request
  return new Promise((resolve, reject) => {
    const req = request(target, {method: 'PUT', timeout: 15_000, headers: {'content-type': '', 'content-length': Buffer.byteLength(body)}}, (res) => {
      res.resume()
      res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(body)
  })
}

/** PUTs the response to the pre-signed URL, retrying; never throws. */
export async function sendResponse(url: string, body: string, attempts = 3): Promise<boolean> {
  for (let i = 1; i <= attempts; i++) {
    try {
      await put(url, body)
      return true
    } catch (error) {
      log({response: 'failed', attempt: i, error: String(error)})
      if (i < attempts) await new Promise((r) => setTimeout(r, 500 * i))
    }
  }
  return false
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${Math.round(ms / 1000)} s so CloudFormation gets an answer before the function times out`)), ms)
  })
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}

const isCloudFormation = (event: unknown): event is CfnEvent => Boolean(event && typeof event === 'object' && 'RequestType' in event && 'ResponseURL' in event)

export async function handler(event: unknown, context: Context = {}): Promise<Summary | undefined> {
  const client = (): Client => new ssm.SSMClient({maxAttempts: 6})
  if (!isCloudFormation(event)) {
    // the daily schedule: errors fail the invocation (visible in the function's metrics and logs)
    const summary = await apply(client(), parseSettings(event as Record<string, unknown>))
    log({scheduled: summarize(summary)})
    return summary
  }
  log({requestType: event.RequestType, stackId: event.StackId, logicalResourceId: event.LogicalResourceId})
  const physicalResourceId = event.PhysicalResourceId ?? `ssmx-runas-${process.env.AWS_REGION ?? 'region'}`
  let status: 'SUCCESS' | 'FAILED' = 'FAILED'
  let reason = 'the handler stopped before finishing'
  let summary: Summary | undefined
  try {
    const remaining = context.getRemainingTimeInMillis?.() ?? 300_000
    const work =
      event.RequestType === 'Delete'
        ? teardown(client(), event.ResourceProperties?.OnDelete === 'disable-runas' ? 'disable-runas' : 'leave')
        : apply(client(), parseSettings(event.ResourceProperties))
    summary = await withDeadline(work, Math.max(1_000, remaining - 10_000))
    status = 'SUCCESS'
    reason = summarize(summary)
  } catch (error) {
    reason =
      `${errorName(error) || 'Error'}: ${error instanceof Error ? error.message : String(error)}` +
      (context.logStreamName ? ` (log stream ${context.logStreamName})` : '')
    log({failed: reason})
  } finally {
    const data = summary
      ? {RunShell: summary.runShell, Documents: String(summary.created.length + summary.updated.length + summary.unchanged.length)}
      : undefined
    const sent = await sendResponse(event.ResponseURL, responseBody(event, status, reason, physicalResourceId, data))
    log({response: sent ? 'sent' : 'not sent', status})
  }
  return summary
}
