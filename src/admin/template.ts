import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {stringify} from 'yaml'

import {BROKER_URL_PARAMETER, BROKER_VERSION_PARAMETER, KIND_DOCUMENTS, type SessionKind} from '../broker/protocol.js'
import {DEFAULT_SESSION_DOCUMENT} from '../documents/naming.js'

/** The handler, compiled from src/admin/handler/index.cts; embedded byte for byte as Code.ZipFile. */
export const HANDLER_FILE = new URL('./handler/index.cjs', import.meta.url)

export function handlerSource(): string {
  return readFileSync(HANDLER_FILE, 'utf8')
}

/** The session broker, compiled from src/admin/handler/broker.cts; embedded byte for byte as the broker's Code.ZipFile. */
export const BROKER_FILE = new URL('./handler/broker.cjs', import.meta.url)

export function brokerSource(): string {
  return readFileSync(BROKER_FILE, 'utf8')
}

/** The broker's function and roles: IAM is global, so the region is in the role names (the SCP protects `ssmx-broker*`). */
export const BROKER_FUNCTION_NAME = 'ssmx-broker'
export const BROKER_ROLE_PREFIX = 'ssmx-broker-'
export const BROKER_SESSION_ROLE_PREFIX = 'ssmx-broker-session-'
export const brokerRoleName = (region: string): string => `${BROKER_ROLE_PREFIX}${region}`
export const brokerSessionRoleName = (region: string): string => `${BROKER_SESSION_ROLE_PREFIX}${region}`
/** Where IAM Identity Center keeps its roles (optionally followed by the IdC region). */
export const IDC_ROLE_PATH = '/aws-reserved/sso.amazonaws.com/'
export const BROKER_TIMEOUT_SECONDS = 30
/** The session tag Session Manager reads for RunAs. */
export const RUN_AS_TAG = 'SSMSessionRunAs'

/** The function's execution role: IAM is global, so the region is in the name (the SCP exempts `ssmx-runas-*`). */
export const FUNCTION_ROLE_PREFIX = 'ssmx-runas-'
export const functionRoleName = (region: string): string => `${FUNCTION_ROLE_PREFIX}${region}`
export const FUNCTION_NAME = 'ssmx-runas'
/** Tag ssmx puts on the documents it creates; its role may delete only documents carrying it. */
export const MANAGED_TAG = 'ssmx:managed'

/** Logical ids and parameter names: part of the contract with `admin status` and LZA parameters. */
export const PARAMETERS = {
  defaultRunAsUser: 'DefaultRunAsUser',
  permissionSets: 'PermissionSets',
  onDelete: 'OnDelete',
  ouOverridden: 'OuOverriddenPermissionSets',
} as const
export const LOGICAL_IDS = {
  logGroup: 'RunAsLogGroup',
  role: 'RunAsRole',
  function: 'RunAsFunction',
  customResource: 'RunAs',
  schedule: 'RunAsSchedule',
  schedulePermission: 'RunAsSchedulePermission',
  brokerLogGroup: 'BrokerLogGroup',
  brokerRole: 'BrokerRole',
  brokerSessionRole: 'BrokerSessionRole',
  brokerFunction: 'BrokerFunction',
  brokerUrl: 'BrokerUrl',
  brokerUrlPermission: 'BrokerUrlPermission',
  brokerInvokePermission: 'BrokerInvokePermission',
  brokerUrlParameter: 'BrokerUrlParameter',
  brokerVersionParameter: 'BrokerVersionParameter',
} as const

/** CloudFormation waits this long for the custom resource's answer; the function times out before. */
export const SERVICE_TIMEOUT_SECONDS = 300
export const FUNCTION_TIMEOUT_SECONDS = 240
/** CreateStackSet/UpdateStackSet TemplateBody limit */
export const MAX_TEMPLATE_BYTES = 51_200

export interface TemplateInput {
  ssmxVersion: string
  defaultRunAsUser: string
  /** JSON text of permission set → {document, runAsUser} */
  permissionSetsJson: string
  onDelete: 'leave' | 'disable-runas'
  /** every document the function manages besides SSM-SessionManagerRunShell (sorted) */
  documents: string[]
  /** the session broker, when admin.broker.enabled */
  broker?: BrokerTemplateInput
}

export interface BrokerTemplateInput {
  organizationId: string
  /** JSON: IdC user name → Linux user */
  usersJson: string
  /** JSON: permission set → {tags?, kinds?} */
  targetRulesJson: string
  only: SessionKind[]
  reservedConcurrency: number
  /** every Linux user the broker may put into SSMSessionRunAs (sorted): the session role's trust policy allows only these */
  linuxUsers: string[]
}

const sub = (s: string) => ({'Fn::Sub': s})
const getAtt = (id: string, attribute: string) => ({'Fn::GetAtt': [id, attribute]})
const ref = (id: string) => ({Ref: id})
const documentArn = (name: string) => sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:document/${name}`)

const DOCUMENT_ACTIONS = ['ssm:CreateDocument', 'ssm:DescribeDocument', 'ssm:GetDocument', 'ssm:UpdateDocument', 'ssm:UpdateDocumentDefaultVersion']

function rolePolicy(documents: string[]): object {
  const statements: object[] = [
    {Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(LOGICAL_IDS.logGroup, 'Arn')},
    {Sid: 'ListDocuments', Effect: 'Allow', Action: 'ssm:ListDocuments', Resource: '*'},
    {Sid: 'SessionManagerPreferences', Effect: 'Allow', Action: DOCUMENT_ACTIONS, Resource: documentArn(DEFAULT_SESSION_DOCUMENT)},
  ]
  if (documents.length > 0) {
    statements.push({
      Sid: 'PermissionSetDocuments',
      Effect: 'Allow',
      Action: [...DOCUMENT_ACTIONS, 'ssm:AddTagsToResource'],
      Resource: documents.map(documentArn),
    })
  }
  statements.push({
    Sid: 'DeleteOwnDocuments',
    Effect: 'Allow',
    Action: 'ssm:DeleteDocument',
    Resource: documentArn('*'),
    Condition: {StringEquals: {[`aws:ResourceTag/${MANAGED_TAG}`]: 'true'}},
  })
  return {Version: '2012-10-17', Statement: statements}
}

const brokerDocumentArn = (name: string) =>
  sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:${name.startsWith('AWS-') ? '*' : '${AWS::AccountId}'}:document/${name}`)

/** The broker's execution role: read the caller's role and simulate it, read target tags, assume the session role. */
function brokerRolePolicy(): object {
  const L = LOGICAL_IDS
  return {
    Version: '2012-10-17',
    Statement: [
      {Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(L.brokerLogGroup, 'Arn')},
      {
        Sid: 'AssumeSessionRole',
        Effect: 'Allow',
        Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Resource: getAtt(L.brokerSessionRole, 'Arn'),
      },
      {
        Sid: 'CallerRoles',
        Effect: 'Allow',
        Action: ['iam:GetRole', 'iam:SimulatePrincipalPolicy'],
        Resource: sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role${IDC_ROLE_PATH}*`),
      },
      {Sid: 'InstanceTags', Effect: 'Allow', Action: 'ec2:DescribeTags', Resource: '*'},
      {
        Sid: 'ManagedNodeTags',
        Effect: 'Allow',
        Action: 'ssm:ListTagsForResource',
        Resource: sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:managed-instance/*'),
      },
      {Sid: 'Sessions', Effect: 'Allow', Action: 'ssm:DescribeSessions', Resource: '*'},
    ],
  }
}

/**
 * The session role's own policy: start sessions on this account's nodes with the broker's documents, terminate
 * and resume its own sessions, data keys for sessions; never without an SSMSessionRunAs tag naming a configured
 * user (the negated condition is paired with Null, since it is true for a missing key), never push SSH keys.
 */
function brokerSessionPolicy(linuxUsers: string[]): object {
  const tag = `aws:PrincipalTag/${RUN_AS_TAG}`
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'StartSessions',
        Effect: 'Allow',
        Action: 'ssm:StartSession',
        Resource: [
          sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*'),
          sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:managed-instance/*'),
          ...[...new Set(Object.values(KIND_DOCUMENTS))].map(brokerDocumentArn),
        ],
      },
      {
        Sid: 'OwnSessions',
        Effect: 'Allow',
        Action: ['ssm:TerminateSession', 'ssm:ResumeSession'],
        Resource: sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:session/*'),
        Condition: {StringLike: {'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}'}},
      },
      {
        Sid: 'SessionDataKeys',
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: sub('arn:${AWS::Partition}:kms:${AWS::Region}:*:key/*'),
        Condition: {Null: {'kms:EncryptionContext:aws:ssm:SessionId': 'false'}},
      },
      {Sid: 'DenyWithoutRunAs', Effect: 'Deny', Action: 'ssm:StartSession', Resource: '*', Condition: {Null: {[tag]: 'true'}}},
      {
        Sid: 'DenyOtherRunAs',
        Effect: 'Deny',
        Action: 'ssm:StartSession',
        Resource: '*',
        Condition: {StringNotEquals: {[tag]: linuxUsers}, Null: {[tag]: 'false'}},
      },
      {Sid: 'DenySshKeys', Effect: 'Deny', Action: 'ec2-instance-connect:SendSSHPublicKey', Resource: '*'},
    ],
  }
}

function brokerResources(input: TemplateInput, broker: BrokerTemplateInput, brokerHandler: string): Record<string, unknown> {
  const L = LOGICAL_IDS
  const orgCondition = {PrincipalOrgID: broker.organizationId}
  return {
    [L.brokerLogGroup]: {Type: 'AWS::Logs::LogGroup', Properties: {RetentionInDays: 365}},
    [L.brokerRole]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: sub(`${BROKER_ROLE_PREFIX}\${AWS::Region}`),
        Description: "ssmx: the session broker function (reads callers' roles, simulates them, assumes the session role)",
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{Effect: 'Allow', Principal: {Service: 'lambda.amazonaws.com'}, Action: 'sts:AssumeRole'}],
        },
        Policies: [{PolicyName: 'ssmx-broker', PolicyDocument: brokerRolePolicy()}],
      },
    },
    [L.brokerSessionRole]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: sub(`${BROKER_SESSION_ROLE_PREFIX}\${AWS::Region}`),
        Description: 'ssmx: starts Session Manager sessions for the broker, tagged SSMSessionRunAs=<linux user>; only the broker may assume it',
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {Sid: 'Broker', Effect: 'Allow', Principal: {AWS: getAtt(L.brokerRole, 'Arn')}, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity']},
            {
              Sid: 'RunAsTagOnly',
              Effect: 'Allow',
              Principal: {AWS: getAtt(L.brokerRole, 'Arn')},
              Action: 'sts:TagSession',
              Condition: {
                StringEquals: {[`aws:RequestTag/${RUN_AS_TAG}`]: broker.linuxUsers},
                'ForAllValues:StringEquals': {'aws:TagKeys': [RUN_AS_TAG]},
              },
            },
          ],
        },
        Policies: [{PolicyName: 'ssmx-broker-session', PolicyDocument: brokerSessionPolicy(broker.linuxUsers)}],
      },
    },
    [L.brokerFunction]: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: BROKER_FUNCTION_NAME,
        Description: "ssmx session broker: starts Session Manager sessions as the Linux user of the caller's permission set",
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Timeout: BROKER_TIMEOUT_SECONDS,
        MemorySize: 256,
        ReservedConcurrentExecutions: broker.reservedConcurrency,
        Role: getAtt(L.brokerRole, 'Arn'),
        LoggingConfig: {LogGroup: ref(L.brokerLogGroup)},
        Environment: {
          Variables: {
            SSMX_PERMISSION_SETS: ref(PARAMETERS.permissionSets),
            SSMX_OU_OVERRIDDEN: ref(PARAMETERS.ouOverridden),
            SSMX_USERS: broker.usersJson,
            SSMX_TARGET_RULES: broker.targetRulesJson,
            SSMX_BROKER_ONLY: broker.only.join(','),
            SSMX_SESSION_ROLE_ARN: getAtt(L.brokerSessionRole, 'Arn'),
            SSMX_VERSION: input.ssmxVersion,
          },
        },
        Code: {ZipFile: brokerHandler},
      },
    },
    [L.brokerUrl]: {Type: 'AWS::Lambda::Url', Properties: {TargetFunctionArn: getAtt(L.brokerFunction, 'Arn'), AuthType: 'AWS_IAM'}},
    [L.brokerUrlPermission]: {
      Type: 'AWS::Lambda::Permission',
      Properties: {FunctionName: ref(L.brokerFunction), Action: 'lambda:InvokeFunctionUrl', Principal: '*', ...orgCondition, FunctionUrlAuthType: 'AWS_IAM'},
    },
    [L.brokerInvokePermission]: {
      Type: 'AWS::Lambda::Permission',
      Properties: {FunctionName: ref(L.brokerFunction), Action: 'lambda:InvokeFunction', Principal: '*', ...orgCondition, InvokedViaFunctionUrl: true},
    },
    [L.brokerUrlParameter]: {
      Type: 'AWS::SSM::Parameter',
      // published once the URL accepts calls
      DependsOn: [L.brokerUrlPermission, L.brokerInvokePermission],
      Properties: {
        Name: BROKER_URL_PARAMETER,
        Type: 'String',
        Value: getAtt(L.brokerUrl, 'FunctionUrl'),
        Description: 'ssmx session broker: the function URL (AuthType AWS_IAM)',
      },
    },
    [L.brokerVersionParameter]: {
      Type: 'AWS::SSM::Parameter',
      Properties: {
        Name: BROKER_VERSION_PARAMETER,
        Type: 'String',
        Value: input.ssmxVersion,
        Description: 'ssmx session broker: the ssmx version that rendered it',
      },
    },
  }
}

/** The template as an object, with the version fields left for `renderTemplate` to fill in. */
function templateObject(input: TemplateInput, handler: string, brokerHandler: string, templateVersion: string): Record<string, unknown> {
  const {defaultRunAsUser, permissionSets, onDelete, ouOverridden} = PARAMETERS
  const L = LOGICAL_IDS
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `ssmx ${input.ssmxVersion}: Session Manager RunAs per IAM Identity Center permission set (${DEFAULT_SESSION_DOCUMENT} and one session document per permission set${input.broker ? '; the session broker' : ''}). Generated by ssmx; do not edit.`,
    Metadata: {ssmx: {templateVersion, ssmxVersion: input.ssmxVersion}},
    Parameters: {
      [defaultRunAsUser]: {
        Type: 'String',
        Description: `runAsDefaultUser written to ${DEFAULT_SESSION_DOCUMENT}: the Linux user of sessions that name no permission-set document`,
        Default: input.defaultRunAsUser,
        AllowedPattern: '^[a-z_A-Z][a-zA-Z0-9_.@-]{0,31}$',
      },
      [permissionSets]: {
        Type: 'String',
        Description: 'JSON object: permission set name -> {"document": session document name, "runAsUser": Linux user}',
        Default: input.permissionSetsJson,
        MaxLength: 4096,
      },
      [onDelete]: {
        Type: 'String',
        Description: `What stack deletion does to ${DEFAULT_SESSION_DOCUMENT}: leave it as it is, or switch RunAs off (the per-permission-set documents are always deleted)`,
        Default: input.onDelete,
        AllowedValues: ['leave', 'disable-runas'],
      },
      ...(input.broker
        ? {
            [ouOverridden]: {
              Type: 'String',
              Description: 'Comma-separated permission sets whose Linux user in PermissionSets comes from an OU override (the broker reports it as the source)',
              Default: '',
              MaxLength: 4096,
            },
          }
        : {}),
    },
    Resources: {
      [L.logGroup]: {Type: 'AWS::Logs::LogGroup', Properties: {RetentionInDays: 90}},
      [L.role]: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: sub(`${FUNCTION_ROLE_PREFIX}\${AWS::Region}`),
          Description: 'ssmx: lets the RunAs function keep the Session Manager documents of this region',
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{Effect: 'Allow', Principal: {Service: 'lambda.amazonaws.com'}, Action: 'sts:AssumeRole'}],
          },
          Policies: [{PolicyName: 'ssmx-runas', PolicyDocument: rolePolicy(input.documents)}],
        },
      },
      [L.function]: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: FUNCTION_NAME,
          Description: `ssmx: sets Session Manager RunAs (${DEFAULT_SESSION_DOCUMENT} and per-permission-set documents)`,
          Runtime: 'nodejs24.x',
          Handler: 'index.handler',
          Timeout: FUNCTION_TIMEOUT_SECONDS,
          MemorySize: 256,
          Role: getAtt(L.role, 'Arn'),
          LoggingConfig: {LogGroup: ref(L.logGroup)},
          Code: {ZipFile: handler},
        },
      },
      [L.customResource]: {
        Type: 'AWS::CloudFormation::CustomResource',
        Properties: {
          ServiceToken: getAtt(L.function, 'Arn'),
          ServiceTimeout: SERVICE_TIMEOUT_SECONDS,
          [defaultRunAsUser]: ref(defaultRunAsUser),
          [permissionSets]: ref(permissionSets),
          [onDelete]: ref(onDelete),
          TemplateVersion: templateVersion,
        },
      },
      [L.schedule]: {
        Type: 'AWS::Events::Rule',
        // created after, and deleted before, the custom resource: no scheduled run races the teardown
        DependsOn: L.customResource,
        Properties: {
          Description: 'ssmx: re-applies Session Manager RunAs daily (after anything else rewrote the settings)',
          ScheduleExpression: 'rate(1 day)',
          State: 'ENABLED',
          Targets: [
            {
              Id: FUNCTION_NAME,
              Arn: getAtt(L.function, 'Arn'),
              Input: sub(
                `{"ssmx":"reapply","${defaultRunAsUser}":"\${${defaultRunAsUser}}","${onDelete}":"\${${onDelete}}","${permissionSets}":\${${permissionSets}}}`,
              ),
            },
          ],
        },
      },
      [L.schedulePermission]: {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          FunctionName: ref(L.function),
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
          SourceArn: getAtt(L.schedule, 'Arn'),
        },
      },
      ...(input.broker ? brokerResources(input, input.broker, brokerHandler) : {}),
    },
    Outputs: {
      TemplateVersion: {Description: 'ssmx template version (handler + template shape + ssmx version)', Value: templateVersion},
      FunctionRoleArn: {Description: "the RunAs function's role, exempt from the ssmx SCP", Value: getAtt(L.role, 'Arn')},
      ...(input.broker
        ? {
            BrokerUrl: {Description: "the session broker's function URL", Value: getAtt(L.brokerUrl, 'FunctionUrl')},
            BrokerVersion: {Description: 'the ssmx version of the session broker', Value: input.ssmxVersion},
          }
        : {}),
    },
  }
}

/**
 * The StackSet template, YAML, deterministic. templateVersion hashes the handler, the template's shape
 * (everything but parameter defaults, which the stack set's parameters override anyway) and the ssmx version.
 */
export function renderTemplate(
  input: TemplateInput,
  handler = handlerSource(),
  brokerHandler = input.broker ? brokerSource() : '',
): {body: string; templateVersion: string} {
  const shape = templateObject(input, handler, brokerHandler, '') as {Parameters: Record<string, {Default?: unknown}>}
  for (const p of Object.values(shape.Parameters)) delete p.Default
  const templateVersion = createHash('sha256')
    .update(JSON.stringify({ssmx: input.ssmxVersion, handler, shape}))
    .digest('hex')
    .slice(0, 16)
  const body = stringify(templateObject(input, handler, brokerHandler, templateVersion), {lineWidth: 0, aliasDuplicateObjects: false, version: '1.1'})
  return {body, templateVersion}
}
