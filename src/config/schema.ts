import {z} from 'zod'

import {REGION_PATTERN, REGION_RULE} from './region.js'

/** A Linux user name as Session Manager's RunAs accepts it. */
const linuxUser = z.string().regex(/^[a-z_A-Z][a-zA-Z0-9_.@-]{0,31}$/, 'must be a Linux user name (letters, digits, _ . @ -, at most 32)')

const documentName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,128}$/, 'must match ^[a-zA-Z0-9_.-]{3,128}$ (an SSM document name)')
  .refine((s) => !/^(aws|amazon|amzn)/i.test(s), 'must not start with aws, amazon or amzn')

const permissionSetName = z.string().regex(/^[\w+=,.@-]{1,32}$/, 'must be an IAM Identity Center permission set name')

export const permissionSetEntry = z.strictObject({
  /** Linux user the permission set's sessions run as */
  runAsUser: linuxUser,
  /** explicit document name; default: documentPrefix + sanitised permission set name */
  document: documentName.optional(),
})

const regionName = z.string().regex(REGION_PATTERN, REGION_RULE)
const ouOrRoot = z.string().regex(/^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/, 'must be an OU id (ou-…) or the root id (r-…)')
const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id')

/** Per-OU differences, applied as stack-instance parameter overrides. */
const ouOverride = z.strictObject({
  defaultRunAsUser: linuxUser.optional(),
  permissionSets: z.record(permissionSetName, permissionSetEntry.pick({runAsUser: true})).optional(),
})

/** What a broker session is for (src/broker/protocol.ts SessionKind). */
export const sessionKind = z.enum(['shell', 'port', 'remote-port', 'ssh'])

/** The session broker (issue 13): a Lambda function URL that decides the Linux user server-side. */
export const brokerSchema = z.strictObject({
  /** deploy the broker with the stack set (admin enforce / render) */
  enabled: z.boolean().default(false),
  /** the organization's id (o-…): the function URL's resource policy admits only its principals */
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id (o-…)')
    .optional(),
  /** per-user overrides: IAM Identity Center user name (case-insensitive) → Linux user, whatever the permission set */
  users: z
    .record(
      z
        .string()
        .min(1)
        .max(128)
        .regex(/^[^\s"\\]+$/, 'must be an IAM Identity Center user name'),
      linuxUser,
    )
    .default({}),
  /** per permission set: instance tags a target must carry (key → allowed values) and the session kinds it may open */
  targetRules: z
    .record(
      permissionSetName,
      z.strictObject({
        tags: z.record(z.string().min(1).max(128), z.array(z.string().max(256)).min(1)).optional(),
        kinds: z.array(sessionKind).optional(),
      }),
    )
    .default({}),
  /**
   * session kinds that go only through the broker (none by default: switch once clients use the broker):
   * `admin guardrails` denies their documents to IAM Identity Center roles, and the broker does not simulate
   * the document for them (the caller's policy denies it by design)
   */
  only: z.array(sessionKind).default([]),
  /** reserved concurrency of the broker function: caps cost and keeps the account's other functions running */
  reservedConcurrency: z.number().int().min(1).max(1000).default(10),
})

export const adminSchema = z.strictObject({
  /** the stack set's name */
  stackSetName: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,127}$/)
    .default('ssmx-runas'),
  /** regions the stack set deploys to (Session Manager settings are regional) */
  regions: z.array(regionName).min(1).optional(),
  /** OUs or the root the stack set deploys to */
  organizationalUnits: z.array(ouOrRoot).min(1).optional(),
  /** per-OU RunAs differences */
  overrides: z.record(ouOrRoot, ouOverride).default({}),
  callAs: z.enum(['SELF', 'DELEGATED_ADMIN']).default('SELF'),
  /** on stack deletion: leave SSM-SessionManagerRunShell as it is, or switch RunAs off again */
  onDelete: z.enum(['leave', 'disable-runas']).default('leave'),
  scp: z
    .strictObject({
      enabled: z.boolean().default(true),
      name: z.string().min(1).max(128).default('ssmx-protect-session-documents'),
      /** where the SCP is attached; default: the stack set's OUs */
      targets: z.array(z.union([ouOrRoot, accountId])).optional(),
      /** extra principal ARN patterns allowed to change the documents */
      exemptPrincipals: z.array(z.string().startsWith('arn:')).default([]),
      /** LZA's management account access role */
      managementAccountAccessRole: z.string().default('AWSControlTowerExecution'),
      /** LZA's resource prefix */
      acceleratorPrefix: z.string().default('AWSAccelerator'),
    })
    .prefault({}),
  /** for `ssmx admin render --lza`: LZA's configuration names OUs and accounts by name, not id */
  lza: z
    .strictObject({
      /** OU id → its name in organization-config.yaml (e.g. "Workloads/Prod"); the root is "Root" */
      organizationalUnits: z.record(ouOrRoot, z.string().min(1)).default({}),
      /** account id → its name in accounts-config.yaml, for account ids in scp.targets */
      accounts: z.record(accountId, z.string().min(1)).default({}),
    })
    .prefault({}),
  broker: brokerSchema.prefault({}),
  guardrails: z
    .strictObject({
      /** extra documents every permission set may start sessions with (port forwarding, ssh) */
      allowDocuments: z.array(z.string()).default(['AWS-StartPortForwardingSession', 'AWS-StartPortForwardingSessionToRemoteHost', 'AWS-StartSSHSession']),
    })
    .prefault({}),
})

export const configSchema = z.strictObject({
  /** prefix of per-permission-set document names */
  documentPrefix: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{0,60}$/, 'may only contain letters, digits, _ . -')
    .refine((s) => !/^(aws|amazon|amzn)/i.test(s), 'must not start with aws, amazon or amzn')
    .default('SSMX-RunAs-'),
  /** runAsDefaultUser written to SSM-SessionManagerRunShell */
  defaultRunAsUser: linuxUser.default('ssm-user'),
  /** per permission set: the Linux user, optionally an explicit document */
  permissionSets: z.record(permissionSetName, permissionSetEntry).default({}),
  /** fail instead of falling back to SSM-SessionManagerRunShell when the per-role document is missing */
  strict: z.boolean().default(false),
  /** path to session-manager-plugin */
  pluginPath: z.string().optional(),
  /** always use the built-in session client instead of session-manager-plugin */
  native: z.boolean().default(false),
  /** who starts sessions: SSM with the permission set's document (documents), or the session broker (broker) */
  mode: z.enum(['documents', 'broker']).default('documents'),
  admin: adminSchema.prefault({}),
})

export type SsmxConfig = z.infer<typeof configSchema>
export type AdminConfig = z.infer<typeof adminSchema>
export type BrokerConfig = z.infer<typeof brokerSchema>
export type ConfigInput = z.input<typeof configSchema>
