import type {SsmxConfig} from '../config/schema.js'
import {DEFAULT_SESSION_DOCUMENT, documentPlan} from '../documents/naming.js'
import {SsmxError} from '../errors.js'
import {BROKER_URL_PARAMETER} from '../broker/protocol.js'
import {BROKER_FUNCTION_NAME, BROKER_ROLE_PREFIX, FUNCTION_NAME, FUNCTION_ROLE_PREFIX, IDC_ROLE_PATH} from './template.js'

/** Organizations' limit on an SCP's content, whitespace included. */
export const MAX_SCP_CHARACTERS = 5120

/** Where the SCP is attached: admin.scp.targets, by default the stack set's OUs; none when the SCP is off. */
export const scpTargets = (config: SsmxConfig): string[] =>
  config.admin.scp.enabled ? (config.admin.scp.targets ?? config.admin.organizationalUnits ?? []) : []

/** What an SCP is written for: concrete values (admin enforce), or LZA's substitution variables. */
export type ScpFlavour = 'concrete' | 'lza'

export const DOCUMENT_CHANGE_ACTIONS = [
  'ssm:CreateDocument',
  'ssm:DeleteDocument',
  'ssm:ModifyDocumentPermission',
  'ssm:UpdateDocument',
  'ssm:UpdateDocumentDefaultVersion',
  'ssm:UpdateDocumentMetadata',
]

/** Changes to the function's role that would let someone else act as it (or break it). */
export const ROLE_CHANGE_ACTIONS = [
  'iam:AttachRolePolicy',
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PassRole',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateRole',
]

/** Changes to the function itself that would run other code as its role. */
export const FUNCTION_CHANGE_ACTIONS = ['lambda:CreateFunction', 'lambda:DeleteFunction', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration']

/** The broker's function URL, resource policy and concurrency: who may call it and how much. */
export const BROKER_FUNCTION_CHANGE_ACTIONS = [
  'lambda:AddPermission',
  'lambda:CreateAlias',
  'lambda:CreateFunctionUrlConfig',
  'lambda:DeleteFunctionConcurrency',
  'lambda:DeleteFunctionUrlConfig',
  'lambda:PublishVersion',
  'lambda:PutFunctionConcurrency',
  'lambda:RemovePermission',
  'lambda:UpdateAlias',
  'lambda:UpdateFunctionUrlConfig',
]

/** The broker's published URL and version (clients trust the URL they find there). */
export const PARAMETER_CHANGE_ACTIONS = ['ssm:DeleteParameter', 'ssm:DeleteParameters', 'ssm:LabelParameterVersion', 'ssm:PutParameter']

/** The partition of a region name: aws-cn for cn-*, aws-us-gov for us-gov-*, else aws. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

/** The one partition of the configured regions (aws when none are configured). */
export function configuredPartition(config: SsmxConfig): string {
  const partitions = [...new Set((config.admin.regions ?? []).map(partitionOf))]
  if (partitions.length > 1) {
    throw new SsmxError('config', `admin.regions mixes partitions (${partitions.join(', ')}): ${config.admin.regions!.join(', ')}.`, [
      'An organization lives in one partition: list only its regions in admin.regions.',
    ])
  }
  return partitions[0] ?? 'aws'
}

/** Principals that may still change the documents: the function, StackSet execution, LZA, configured extras. */
export function exemptPrincipals(config: SsmxConfig, flavour: ScpFlavour): string[] {
  const {scp} = config.admin
  const partition = flavour === 'lza' ? '${PARTITION}' : configuredPartition(config)
  const prefix = flavour === 'lza' ? '${ACCELERATOR_PREFIX}' : scp.acceleratorPrefix
  const managementRole = flavour === 'lza' ? '${MANAGEMENT_ACCOUNT_ACCESS_ROLE}' : scp.managementAccountAccessRole
  const role = (name: string) => `arn:${partition}:iam::*:role/${name}`
  return [
    role(`${FUNCTION_ROLE_PREFIX}*`),
    role('stacksets-exec-*'),
    role('AWSCloudFormationStackSetExecutionRole'),
    role(`${prefix}*`),
    role('cdk-accel*'),
    role(managementRole),
    ...scp.exemptPrincipals,
  ].filter((arn, i, all) => all.indexOf(arn) === i)
}

/**
 * The document names the SCP protects, as ARN resource patterns: SSM-SessionManagerRunShell, every
 * document starting with documentPrefix (`<prefix>*`, which also covers documents of permission sets
 * removed later), and explicitly named documents outside the prefix.
 */
export function protectedDocuments(config: SsmxConfig): string[] {
  const prefix = config.documentPrefix
  const names = [DEFAULT_SESSION_DOCUMENT]
  if (prefix) names.push(`${prefix}*`)
  for (const {document} of documentPlan(config)) {
    if (!prefix || !document.startsWith(prefix)) names.push(document)
  }
  return [...new Set(names)]
}

interface ScpStatement {
  Sid: string
  Effect: 'Deny'
  Action: string | string[]
  Resource: string | string[]
  Condition: Record<string, Record<string, string | string[]>>
}

/**
 * The broker's part of the SCP: its function (code, configuration, URL and auth type, resource policy, concurrency,
 * aliases), both roles and the published parameters change only through the exempt principals; only IAM Identity
 * Center roles may call it; nobody may invoke it directly (an event written by the caller would name any caller).
 */
function addBrokerStatements(statements: ScpStatement[], partition: string): void {
  const fn = `arn:${partition}:lambda:*:*:function:${BROKER_FUNCTION_NAME}*`
  const [documents, resources] = statements
  documents!.Action = [...(documents!.Action as string[]), ...PARAMETER_CHANGE_ACTIONS]
  documents!.Resource = [...(documents!.Resource as string[]), `arn:${partition}:ssm:*:*:parameter${BROKER_URL_PARAMETER.replace(/\/[^/]+$/, '/*')}`]
  resources!.Action = [...(resources!.Action as string[]), ...BROKER_FUNCTION_CHANGE_ACTIONS]
  resources!.Resource = [...(resources!.Resource as string[]), `arn:${partition}:iam::*:role/${BROKER_ROLE_PREFIX}*`, fn]
  statements.push(
    {
      Sid: 'SsmxBrokerCallers',
      Effect: 'Deny',
      Action: ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'],
      Resource: fn,
      Condition: {ArnNotLike: {'aws:PrincipalArn': `arn:${partition}:iam::*:role${IDC_ROLE_PATH}*`}},
    },
    {
      Sid: 'SsmxBrokerNoDirectInvoke',
      Effect: 'Deny',
      Action: 'lambda:InvokeFunction',
      Resource: fn,
      Condition: {BoolIfExists: {'lambda:InvokedViaFunctionUrl': 'false'}},
    },
  )
}

/** The SCP as minified JSON; an SsmxError when it is over Organizations' 5,120 characters. */
export function renderScp(config: SsmxConfig, flavour: ScpFlavour = 'concrete'): string {
  const partition = flavour === 'lza' ? '${PARTITION}' : configuredPartition(config)
  const condition = {ArnNotLike: {'aws:PrincipalArn': exemptPrincipals(config, flavour)}}
  const policy: {Version: string; Statement: ScpStatement[]} = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SsmxProtectSessionDocuments',
        Effect: 'Deny',
        Action: DOCUMENT_CHANGE_ACTIONS,
        Resource: protectedDocuments(config).map((name) => `arn:${partition}:ssm:*:*:document/${name}`),
        Condition: condition,
      },
      {
        Sid: 'SsmxProtectFunctionAndRole',
        Effect: 'Deny',
        Action: [...ROLE_CHANGE_ACTIONS, ...FUNCTION_CHANGE_ACTIONS],
        Resource: [`arn:${partition}:iam::*:role/${FUNCTION_ROLE_PREFIX}*`, `arn:${partition}:lambda:*:*:function:${FUNCTION_NAME}`],
        Condition: condition,
      },
    ],
  }
  if (config.admin.broker.enabled) addBrokerStatements(policy.Statement, partition)
  const content = JSON.stringify(policy)
  if (content.length > MAX_SCP_CHARACTERS) {
    throw new SsmxError('config', `The ssmx SCP would be ${content.length} characters; Organizations allows ${MAX_SCP_CHARACTERS}.`, [
      'Give the permission-set documents names that start with documentPrefix (they are then covered by one pattern), or shorten admin.scp.exemptPrincipals.',
    ])
  }
  return content
}
