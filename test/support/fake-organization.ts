/**
 * A stateful fake of the parts of CloudFormation StackSets, Organizations, STS and EC2 that `ssmx admin` uses,
 * installed as handlers on a FakeAws. Stack-set operations take effect when started and report SUCCEEDED on the
 * second DescribeStackSetOperation (RUNNING on the first), per account × region.
 */
import {AwsFault, type FakeAws, toXml} from './fake-aws.js'

interface Param {
  ParameterKey: string
  ParameterValue: string
}

interface StackSetState {
  name: string
  id: string
  description: string
  templateBody: string
  parameters: Param[]
  capabilities: string[]
  permissionModel: string
  autoDeployment: {Enabled: boolean; RetainStacksOnAccountRemoval: boolean}
  managedExecution: {Active: boolean}
  targets: Map<string, Set<string>>
  overrides: Map<string, Param[]>
  instances: Map<string, {ou: string; account: string; region: string}>
}

interface Operation {
  id: string
  action: string
  polls: number
  results: Array<{account: string; region: string; ou: string}>
}

/** `A.B.member.1.C=x` query parameters → `{A: {B: [{C: 'x'}]}}`; booleans stay strings. */
export function unflattenQuery(input: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    const parts = key.split('.')
    let node: Record<string, unknown> | unknown[] = root
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1
      let part: string | number = parts[i]
      if (part === 'member') continue
      if (/^\d+$/.test(part) && Array.isArray(node)) part = Number(part) - 1
      const nextIsList = parts[i + 1] === 'member'
      const container = node as Record<string | number, unknown>
      if (last) container[part] = value === '' && nextIsList ? [] : value
      else {
        container[part] ??= nextIsList ? [] : {}
        node = container[part] as Record<string, unknown> | unknown[]
      }
    }
  }
  return root
}

const params = (list: unknown): Param[] =>
  ((list as Param[] | undefined) ?? []).filter(Boolean).map((p) => ({ParameterKey: p.ParameterKey, ParameterValue: p.ParameterValue}))

export class FakeOrganization {
  readonly managementAccount = '111111111111'
  readonly rootId = 'r-ab12'
  readonly ous = new Map<string, {name: string; accounts: string[]}>()
  readonly regions = ['eu-west-1', 'us-east-1', 'us-west-2']
  stackSet?: StackSetState
  readonly operations: Operation[] = []
  readonly policies = new Map<string, {name: string; description: string; content: string; targets: Set<string>}>()
  private seq = 0

  constructor(ous: Record<string, {name: string; accounts: string[]}>) {
    for (const [id, ou] of Object.entries(ous)) this.ous.set(id, ou)
  }

  install(fake: FakeAws): this {
    const org = this
    fake.on('sts', 'GetCallerIdentity', () =>
      toXml({Arn: `arn:aws:iam::${org.managementAccount}:user/admin`, UserId: 'AIDAFAKE', Account: org.managementAccount}),
    )
    fake.on('ec2', 'DescribeRegions', () => toXml({regionInfo: org.regions.map((regionName) => ({regionName, optInStatus: 'opt-in-not-required'}))}))
    this.organizations(fake)
    this.cloudformation(fake)
    return this
  }

  private organizations(fake: FakeAws): void {
    const org = this
    const SCP = 'SERVICE_CONTROL_POLICY'
    const policy = (id: unknown) => {
      const p = org.policies.get(String(id))
      if (!p) throw new AwsFault('PolicyNotFoundException', `policy ${String(id)} not found`)
      return p
    }
    const attachedTo = (target: string) => ['p-FullAWSAccess', ...[...org.policies].filter(([, p]) => p.targets.has(target)).map(([id]) => id)]
    fake
      .on('organizations', 'DescribeOrganization', () => ({Organization: {Id: 'o-fake', FeatureSet: 'ALL', MasterAccountId: org.managementAccount}}))
      .on('organizations', 'ListAWSServiceAccessForOrganization', () => ({
        EnabledServicePrincipals: [{ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com'}],
      }))
      .on('organizations', 'ListRoots', () => ({Roots: [{Id: org.rootId, Name: 'Root', PolicyTypes: [{Type: SCP, Status: 'ENABLED'}]}]}))
      .on('organizations', 'ListDelegatedAdministrators', () => ({DelegatedAdministrators: []}))
      .on('organizations', 'DescribeOrganizationalUnit', (i) => {
        const ou = org.ous.get(String(i.OrganizationalUnitId))
        if (!ou) throw new AwsFault('OrganizationalUnitNotFoundException', 'not found')
        return {OrganizationalUnit: {Id: i.OrganizationalUnitId, Name: ou.name}}
      })
      .on('organizations', 'ListPolicies', () => ({
        Policies: [
          {Id: 'p-FullAWSAccess', Name: 'FullAWSAccess', Type: SCP, AwsManaged: true},
          ...[...org.policies].map(([Id, p]) => ({Id, Name: p.name, Type: SCP, AwsManaged: false})),
        ],
      }))
      .on('organizations', 'DescribePolicy', (i) => {
        const p = policy(i.PolicyId)
        return {Policy: {PolicySummary: {Id: i.PolicyId, Name: p.name, Description: p.description, Type: SCP}, Content: p.content}}
      })
      .on('organizations', 'CreatePolicy', (i) => {
        if ([...org.policies.values()].some((p) => p.name === i.Name)) throw new AwsFault('DuplicatePolicyException', 'exists')
        const Id = `p-ssmx${++org.seq}`
        org.policies.set(Id, {name: String(i.Name), description: String(i.Description ?? ''), content: String(i.Content), targets: new Set()})
        return {Policy: {PolicySummary: {Id, Name: i.Name, Type: i.Type}, Content: i.Content}}
      })
      .on('organizations', 'UpdatePolicy', (i) => {
        const p = policy(i.PolicyId)
        if (i.Content) p.content = String(i.Content)
        if (i.Description !== undefined) p.description = String(i.Description)
        return {Policy: {PolicySummary: {Id: i.PolicyId, Name: p.name}, Content: p.content}}
      })
      .on('organizations', 'AttachPolicy', (i) => {
        const p = policy(i.PolicyId)
        if (p.targets.has(String(i.TargetId))) throw new AwsFault('DuplicatePolicyAttachmentException', 'already attached')
        p.targets.add(String(i.TargetId))
        return {}
      })
      .on('organizations', 'DetachPolicy', (i) => {
        const p = policy(i.PolicyId)
        if (!p.targets.delete(String(i.TargetId))) throw new AwsFault('PolicyNotAttachedException', 'not attached')
        return {}
      })
      .on('organizations', 'DeletePolicy', (i) => {
        const p = policy(i.PolicyId)
        if (p.targets.size > 0) throw new AwsFault('PolicyInUseException', 'in use')
        org.policies.delete(String(i.PolicyId))
        return {}
      })
      .on('organizations', 'ListPoliciesForTarget', (i) => ({Policies: attachedTo(String(i.TargetId)).map((Id) => ({Id, Type: SCP}))}))
      .on('organizations', 'ListTargetsForPolicy', (i) => ({
        Targets: [...policy(i.PolicyId).targets].map((TargetId) => ({TargetId, Type: 'ORGANIZATIONAL_UNIT'})),
      }))
  }

  private cloudformation(fake: FakeAws): void {
    const org = this
    const xml = (v: unknown) => toXml(v, 'member')
    const stackSet = (name: unknown): StackSetState => {
      if (!org.stackSet || org.stackSet.name !== name) throw new AwsFault('StackSetNotFoundException', `StackSet ${String(name)} not found`, 404)
      return org.stackSet
    }
    const start = (action: string, results: Operation['results']) => {
      if (org.operations.some((o) => o.polls < 2)) throw new AwsFault('OperationInProgressException', 'Another Operation on StackSet is in progress')
      const op = {id: `op-${++org.seq}`, action, polls: 0, results}
      org.operations.push(op)
      return xml({OperationId: op.id})
    }
    const operation = (id: unknown) => {
      const op = org.operations.find((o) => o.id === id)
      if (!op) throw new AwsFault('OperationNotFoundException', 'no such operation', 404)
      return op
    }
    const done = (op: Operation) => op.polls >= 2
    const pairs = (input: Record<string, unknown>) => {
      const i = unflattenQuery(input) as {DeploymentTargets?: {OrganizationalUnitIds?: string[]}; Regions?: string[]; ParameterOverrides?: Param[]}
      const ous = i.DeploymentTargets?.OrganizationalUnitIds ?? []
      const regions = i.Regions ?? []
      return {ous, regions, overrides: i.ParameterOverrides === undefined ? undefined : params(i.ParameterOverrides)}
    }
    const accountsOf = (ous: string[], regions: string[]) =>
      ous.flatMap((ou) => (org.ous.get(ou)?.accounts ?? []).flatMap((account) => regions.map((region) => ({ou, account, region}))))

    fake
      .on('cloudformation', 'DescribeStackSet', (i) => {
        const s = stackSet(i.StackSetName)
        return xml({
          StackSet: {
            StackSetName: s.name,
            StackSetId: s.id,
            Description: s.description,
            Status: 'ACTIVE',
            TemplateBody: s.templateBody,
            Parameters: s.parameters,
            Capabilities: s.capabilities,
            PermissionModel: s.permissionModel,
            AutoDeployment: s.autoDeployment,
            ManagedExecution: s.managedExecution,
            OrganizationalUnitIds: [...s.targets.keys()],
            Regions: [...new Set([...s.targets.values()].flatMap((r) => [...r]))],
          },
        })
      })
      .on('cloudformation', 'CreateStackSet', (input) => {
        if (org.stackSet) throw new AwsFault('NameAlreadyExistsException', 'exists')
        const i = unflattenQuery(input) as Record<string, never>
        org.stackSet = {
          name: i.StackSetName,
          id: `${i.StackSetName}:${++org.seq}`,
          description: i.Description ?? '',
          templateBody: i.TemplateBody,
          parameters: params(i.Parameters),
          capabilities: i.Capabilities ?? [],
          permissionModel: i.PermissionModel ?? 'SELF_MANAGED',
          autoDeployment: {
            Enabled: (i.AutoDeployment as {Enabled?: string})?.Enabled === 'true',
            RetainStacksOnAccountRemoval: (i.AutoDeployment as {RetainStacksOnAccountRemoval?: string})?.RetainStacksOnAccountRemoval === 'true',
          },
          managedExecution: {Active: (i.ManagedExecution as {Active?: string})?.Active === 'true'},
          targets: new Map(),
          overrides: new Map(),
          instances: new Map(),
        }
        return xml({StackSetId: org.stackSet.id})
      })
      .on('cloudformation', 'UpdateStackSet', (input) => {
        const s = stackSet(input.StackSetName)
        const i = unflattenQuery(input) as Record<string, never>
        s.templateBody = i.TemplateBody ?? s.templateBody
        s.parameters = i.Parameters ? params(i.Parameters) : s.parameters
        s.description = i.Description ?? s.description
        return start('UPDATE', [...s.instances.values()])
      })
      .on('cloudformation', 'DeleteStackSet', (i) => {
        const s = stackSet(i.StackSetName)
        if (s.instances.size > 0) throw new AwsFault('StackSetNotEmptyException', 'StackSet is not empty')
        org.stackSet = undefined
        return ''
      })
      .on('cloudformation', 'CreateStackInstances', (input) => {
        const s = stackSet(input.StackSetName)
        const {ous, regions, overrides} = pairs(input)
        const results = accountsOf(ous, regions)
        const out = start('CREATE', results)
        for (const ou of ous) {
          s.targets.set(ou, new Set([...(s.targets.get(ou) ?? []), ...regions]))
          if (overrides) s.overrides.set(ou, overrides)
        }
        for (const r of results) s.instances.set(`${r.account}|${r.region}`, r)
        return out
      })
      .on('cloudformation', 'UpdateStackInstances', (input) => {
        const s = stackSet(input.StackSetName)
        const {ous, regions, overrides} = pairs(input)
        const out = start('UPDATE', accountsOf(ous, regions))
        if (overrides) for (const ou of ous) s.overrides.set(ou, overrides)
        return out
      })
      .on('cloudformation', 'DeleteStackInstances', (input) => {
        const s = stackSet(input.StackSetName)
        const {ous, regions} = pairs(input)
        const results = [...s.instances.values()].filter((r) => ous.includes(r.ou) && regions.includes(r.region))
        const out = start('DELETE', results)
        for (const r of results) s.instances.delete(`${r.account}|${r.region}`)
        for (const ou of ous) {
          const left = [...(s.targets.get(ou) ?? [])].filter((r) => !regions.includes(r))
          if (left.length > 0) s.targets.set(ou, new Set(left))
          else s.targets.delete(ou)
        }
        return out
      })
      // IAM Identity Center lives in another account or region: admin status reports the guardrails as not checked
      .on('sso', 'ListInstances', () => ({Instances: []}))
      .on('cloudformation', 'ListStackSetAutoDeploymentTargets', (i) => {
        const s = stackSet(i.StackSetName)
        return xml({Summaries: [...s.targets].map(([OrganizationalUnitId, regions]) => ({OrganizationalUnitId, Regions: [...regions]}))})
      })
      .on('cloudformation', 'ListStackInstances', (i) => {
        const s = stackSet(i.StackSetName)
        return xml({
          Summaries: [...s.instances.values()].map((r) => ({
            StackSetId: s.id,
            OrganizationalUnitId: r.ou,
            Account: r.account,
            Region: r.region,
            Status: 'CURRENT',
            StackInstanceStatus: {DetailedStatus: 'SUCCEEDED'},
            DriftStatus: 'NOT_CHECKED',
          })),
        })
      })
      .on('cloudformation', 'DescribeStackInstance', (i) => {
        const s = stackSet(i.StackSetName)
        const r = s.instances.get(`${String(i.StackInstanceAccount)}|${String(i.StackInstanceRegion)}`)
        if (!r) throw new AwsFault('StackInstanceNotFoundException', 'not found', 404)
        return xml({
          StackInstance: {Account: r.account, Region: r.region, OrganizationalUnitId: r.ou, Status: 'CURRENT', ParameterOverrides: s.overrides.get(r.ou) ?? []},
        })
      })
      .on('cloudformation', 'ListStackSetOperations', (i) => {
        stackSet(i.StackSetName)
        return xml({Summaries: [...org.operations].reverse().map((o) => ({OperationId: o.id, Action: o.action, Status: done(o) ? 'SUCCEEDED' : 'RUNNING'}))})
      })
      .on('cloudformation', 'DescribeStackSetOperation', (i) => {
        const op = operation(i.OperationId)
        op.polls++
        return xml({StackSetOperation: {OperationId: op.id, Action: op.action, Status: done(op) ? 'SUCCEEDED' : 'RUNNING'}})
      })
      .on('cloudformation', 'ListStackSetOperationResults', (i) => {
        const op = operation(i.OperationId)
        return xml({
          Summaries: op.results.map((r) => ({Account: r.account, Region: r.region, OrganizationalUnitId: r.ou, Status: done(op) ? 'SUCCEEDED' : 'RUNNING'})),
        })
      })
  }
}
