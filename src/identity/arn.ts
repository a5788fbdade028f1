/** What an ARN from STS GetCallerIdentity says about the caller. */
export interface Principal {
  arn: string
  partition: string
  account: string
  kind: 'assumed-role' | 'user' | 'root' | 'federated-user' | 'other'
  /** the role name for an assumed role */
  roleName?: string
  /** the IAM Identity Center permission set, when the role is an AWSReservedSSO_ role */
  permissionSet?: string
}

const ASSUMED_ROLE = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/
/** `AWSReservedSSO_<name>_<16 hex>`: the name may itself contain `_`, so the hex is taken from the right. */
const SSO_ROLE = /^AWSReservedSSO_([\w+=,.@-]{1,32})_([0-9a-f]{16})$/

/** The permission set behind an `AWSReservedSSO_…` role name, or undefined for any other role. */
export function permissionSetFromRoleName(roleName: string): string | undefined {
  return SSO_ROLE.exec(roleName)?.[1]
}

export function parsePrincipalArn(arn: string): Principal {
  const assumed = ASSUMED_ROLE.exec(arn)
  if (assumed) {
    const [, partition, account, roleName] = assumed
    return {arn, partition, account, kind: 'assumed-role', roleName, permissionSet: permissionSetFromRoleName(roleName)}
  }
  const m = /^arn:([\w-]+):(?:iam|sts)::(\d{12}):(user|root|federated-user)/.exec(arn)
  if (m) return {arn, partition: m[1], account: m[2], kind: m[3] as Principal['kind']}
  const generic = /^arn:([\w-]+):[\w-]+::(\d{12}):/.exec(arn)
  return {arn, partition: generic?.[1] ?? 'aws', account: generic?.[2] ?? '', kind: 'other'}
}
