import {
  CloudFormationClient,
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
  ListStackSetAutoDeploymentTargetsCommand,
  ListStackSetOperationsCommand,
} from '@aws-sdk/client-cloudformation'
import {DescribeRegionsCommand, EC2Client} from '@aws-sdk/client-ec2'
import {
  DescribeOrganizationCommand,
  DescribeOrganizationalUnitCommand,
  DescribePolicyCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'

import {cloudFormationPort} from '../../src/aws/cloudformation.js'
import {ec2Port} from '../../src/aws/ec2.js'
import {organizationsPort} from '../../src/aws/organizations.js'
import {stsPort} from '../../src/aws/sts.js'
import type {AdminDeps, CallAs} from '../../src/admin/deps.js'
import {AUTO_DEPLOYMENT, CAPABILITIES, MANAGED_EXECUTION} from '../../src/admin/enforce.js'
import type {ProgressEvent} from '../../src/admin/progress.js'
import type {AdminArtifacts} from '../../src/admin/types.js'
import {parseConfig} from '../../src/config/load.js'
import type {ConfigInput, SsmxConfig} from '../../src/config/schema.js'

export const MGMT = '111111111111'
export const ROOT_ID = 'r-ab12'
export const OU_A = 'ou-ab12-aaaaaaaa'
export const OU_B = 'ou-ab12-bbbbbbbb'
export const REGIONS = ['eu-west-1', 'us-east-1']
export const STACK_SET = 'ssmx-runas'
export const POLICY_ID = 'p-ssmx0001'

/** A small stand-in for what buildArtifacts renders. */
export const ARTIFACTS: AdminArtifacts = {
  templateBody: [
    'AWSTemplateFormatVersion: "2010-09-09"',
    'Description: ssmx per-permission-set RunAs (template 1.2.3)',
    'Metadata:',
    '  Ssmx:',
    '    TemplateVersion: "1.2.3"',
    'Parameters:',
    '  DefaultRunAsUser: {Type: String}',
    'Resources:',
    '  Nothing: {Type: AWS::CloudFormation::WaitConditionHandle}',
    'Outputs:',
    '  SsmxTemplateVersion:',
    '    Value: "1.2.3"',
    '',
  ].join('\n'),
  templateVersion: '1.2.3',
  parameters: [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'ssm-user'}],
  ouOverrides: [{organizationalUnitId: OU_B, parameters: [{ParameterKey: 'DefaultRunAsUser', ParameterValue: 'ec2-user'}]}],
  scpContent: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["ssm:UpdateDocument"],"Resource":"*"}]}',
  scpName: 'ssmx-protect-session-documents',
  scpDescription: 'ssmx: protects the Session Manager RunAs documents',
  functionRoleName: (region: string) => `ssmx-runas-${region}`,
  documents: ['SSMX-RunAs-Developer'],
}

export const configWith = (admin: ConfigInput['admin'] = {}): SsmxConfig =>
  parseConfig({admin: {organizationalUnits: [OU_A, OU_B], regions: REGIONS, overrides: {[OU_B]: {defaultRunAsUser: 'ec2-user'}}, ...admin}})

export type Mocks = ReturnType<typeof mocks>

/** Stubbed clients (one mock per client instance) and deps with a no-op sleep and a clock that advances on sleep. */
export function mocks(callAs: CallAs = 'SELF') {
  const clients = {
    cfn: new CloudFormationClient({region: 'eu-west-1'}),
    orgs: new OrganizationsClient({region: 'us-east-1'}),
    sts: new STSClient({region: 'eu-west-1'}),
    ec2: new EC2Client({region: 'eu-west-1'}),
  }
  const m = {cfn: mockClient(clients.cfn), orgs: mockClient(clients.orgs), sts: mockClient(clients.sts), ec2: mockClient(clients.ec2)}
  const events: ProgressEvent[] = []
  const sleeps: number[] = []
  let now = 0
  const deps: AdminDeps = {
    cfn: cloudFormationPort(clients.cfn),
    orgs: organizationsPort(clients.orgs),
    sts: stsPort(clients.sts),
    ec2: ec2Port(clients.ec2),
    callAs,
    region: 'eu-west-1',
    progress: (e) => events.push(e),
    sleep: async (ms) => {
      sleeps.push(ms)
      now += ms
    },
    now: () => now,
  }
  return {...m, deps, events, sleeps}
}

/** Every prerequisite met, the caller is the management account, both OUs and regions exist. */
export function healthyOrganization(m: Mocks, caller = MGMT): void {
  m.orgs.on(DescribeOrganizationCommand).resolves({Organization: {MasterAccountId: MGMT, FeatureSet: 'ALL'}})
  m.sts.on(GetCallerIdentityCommand).resolves({Account: caller, Arn: `arn:aws:sts::${caller}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice`})
  m.orgs
    .on(ListAWSServiceAccessForOrganizationCommand)
    .resolves({EnabledServicePrincipals: [{ServicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com'}]})
  m.orgs.on(ListRootsCommand).resolves({Roots: [{Id: ROOT_ID, Name: 'Root', PolicyTypes: [{Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED'}]}]})
  m.orgs.on(DescribeOrganizationalUnitCommand, {OrganizationalUnitId: OU_A}).resolves({OrganizationalUnit: {Id: OU_A, Name: 'Workloads'}})
  m.orgs.on(DescribeOrganizationalUnitCommand, {OrganizationalUnitId: OU_B}).resolves({OrganizationalUnit: {Id: OU_B, Name: 'Sandbox'}})
  m.ec2.on(DescribeRegionsCommand).resolves({
    Regions: ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'].map((RegionName) => ({RegionName, OptInStatus: 'opt-in-not-required'})),
  })
}

/** Nothing deployed yet: no stack set, no SCP, two SCPs (FullAWSAccess + one) on each OU. */
export function nothingDeployed(m: Mocks): void {
  m.cfn.on(DescribeStackSetCommand).rejects(Object.assign(new Error('StackSet ssmx-runas not found'), {name: 'StackSetNotFoundException'}))
  m.orgs.on(ListPoliciesCommand).resolves({Policies: [{Id: 'p-FullAWSAccess', Name: 'FullAWSAccess', AwsManaged: true}]})
  m.orgs.on(ListPoliciesForTargetCommand).resolves({Policies: [{Id: 'p-FullAWSAccess'}, {Id: 'p-other'}]})
}

export interface InstanceFixture {
  ou: string
  account: string
  region: string
  status?: 'CURRENT' | 'OUTDATED' | 'INOPERABLE'
  detailed?: string
  reason?: string
  drift?: string
}

/** Everything deployed exactly as ARTIFACTS and configWith() say, with these instances (default: one account per OU × region, current). */
export function fullyDeployed(m: Mocks, instances?: InstanceFixture[]): InstanceFixture[] {
  const list = instances ?? [OU_A, OU_B].flatMap((ou, i) => REGIONS.map((region) => ({ou, account: `22222222222${i}`, region})))
  m.cfn.on(DescribeStackSetCommand).resolves({
    StackSet: {
      StackSetName: STACK_SET,
      Status: 'ACTIVE',
      TemplateBody: ARTIFACTS.templateBody,
      Parameters: ARTIFACTS.parameters,
      Capabilities: [...CAPABILITIES],
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: AUTO_DEPLOYMENT,
      ManagedExecution: MANAGED_EXECUTION,
    },
  })
  m.cfn.on(ListStackSetOperationsCommand).resolves({Summaries: [{OperationId: 'op-old', Action: 'CREATE', Status: 'SUCCEEDED'}]})
  m.cfn.on(ListStackSetAutoDeploymentTargetsCommand).resolves({
    Summaries: [OU_A, OU_B].map((ou) => ({OrganizationalUnitId: ou, Regions: REGIONS})),
  })
  m.cfn.on(ListStackInstancesCommand).resolves({Summaries: list.map(summary)})
  m.cfn.on(DescribeStackInstanceCommand).callsFake((input: {StackInstanceAccount: string}) => ({
    StackInstance: {ParameterOverrides: list.find((i) => i.account === input.StackInstanceAccount)?.ou === OU_B ? ARTIFACTS.ouOverrides[0].parameters : []},
  }))
  m.orgs.on(ListPoliciesCommand).resolves({
    Policies: [
      {Id: 'p-FullAWSAccess', Name: 'FullAWSAccess', AwsManaged: true},
      {Id: POLICY_ID, Name: ARTIFACTS.scpName, AwsManaged: false},
    ],
  })
  m.orgs.on(DescribePolicyCommand, {PolicyId: POLICY_ID}).resolves({
    Policy: {
      Content: JSON.stringify(JSON.parse(ARTIFACTS.scpContent), null, 2),
      PolicySummary: {Id: POLICY_ID, Name: ARTIFACTS.scpName, Description: ARTIFACTS.scpDescription},
    },
  })
  m.orgs.on(ListPoliciesForTargetCommand).resolves({Policies: [{Id: 'p-FullAWSAccess'}, {Id: POLICY_ID}]})
  m.orgs.on(ListTargetsForPolicyCommand).resolves({Targets: [{TargetId: OU_A}, {TargetId: OU_B}]})
  return list
}

export const summary = (i: InstanceFixture) => ({
  StackSetId: `${STACK_SET}:1`,
  OrganizationalUnitId: i.ou,
  Account: i.account,
  Region: i.region,
  Status: i.status ?? 'CURRENT',
  StackInstanceStatus: {DetailedStatus: (i.detailed ?? 'SUCCEEDED') as 'SUCCEEDED'},
  DriftStatus: (i.drift ?? 'IN_SYNC') as 'IN_SYNC',
  ...(i.reason ? {StatusReason: i.reason} : {}),
})

const WRITES = new Set([
  'CreateStackSetCommand',
  'UpdateStackSetCommand',
  'DeleteStackSetCommand',
  'CreateStackInstancesCommand',
  'UpdateStackInstancesCommand',
  'DeleteStackInstancesCommand',
  'CreatePolicyCommand',
  'UpdatePolicyCommand',
  'AttachPolicyCommand',
  'DetachPolicyCommand',
  'DeletePolicyCommand',
])

/** Names of the write calls made: CloudFormation's in order, then Organizations' in order. */
export function writes(m: Mocks): string[] {
  return [...m.cfn.calls(), ...m.orgs.calls()].map((c) => (c.args[0] as object).constructor.name).filter((n) => WRITES.has(n))
}

/** Inputs of every call of a command. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function inputs<C extends new (...args: any[]) => unknown>(
  mock: {commandCalls: (c: never) => Array<{args: [{input: unknown}]}>},
  command: C,
): NonNullable<ConstructorParameters<C>[0]>[] {
  return mock.commandCalls(command as never).map((c) => c.args[0].input as NonNullable<ConstructorParameters<C>[0]>)
}
