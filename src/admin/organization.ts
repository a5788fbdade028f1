import type {DescribeOrganizationCommandOutput, Root} from '../aws/organizations.js'

import {SsmxError, awsErrorName} from '../errors.js'
import {type AdminDeps, mapLimit, pages} from './deps.js'

export const STACKSETS_PRINCIPAL = 'member.org.stacksets.cloudformation.amazonaws.com'

export interface OrgFacts {
  managementAccountId: string
  callerAccount: string
  roots: Root[]
}

interface Failure {
  problem: string
  fix: string
}

/**
 * Checks everything that must be true before enforce can deploy, and explains each miss with its fix:
 * all-features organization, trusted access for StackSets, SCPs enabled on the root, and a caller that is the
 * management account (CallAs SELF) or a registered StackSets delegated administrator (CallAs DELEGATED_ADMIN).
 */
export async function checkPrerequisites(deps: Pick<AdminDeps, 'orgs' | 'sts' | 'cfn' | 'callAs'>, options: {scp: boolean}): Promise<OrgFacts> {
  const org = await describeOrganization(deps)
  const caller = await deps.sts.getCallerIdentity()
  const callerAccount = caller.Account ?? ''
  const managementAccountId = org?.MasterAccountId ?? ''
  const failures: Failure[] = []
  if (org?.FeatureSet && org.FeatureSet !== 'ALL') {
    failures.push({
      problem: 'The organization has only consolidated billing enabled; service-managed stack sets and SCPs need all features.',
      fix: 'Enable all features: Organizations console → Settings, or aws organizations enable-all-features (from the management account).',
    })
  }
  failures.push(...(await callerFailures(deps, callerAccount, managementAccountId)))
  if (!(await trustedAccessEnabled(deps))) {
    failures.push({
      problem: 'Trusted access between CloudFormation StackSets and AWS Organizations is not activated.',
      fix: 'From the management account: aws cloudformation activate-organizations-access (or CloudFormation console → StackSets → Activate trusted access).',
    })
  }
  const roots = (await deps.orgs.listRoots({})).Roots ?? []
  if (options.scp) failures.push(...scpPolicyTypeFailures(roots))
  if (failures.length > 0) {
    throw new SsmxError(
      'prerequisite',
      `${failures.length === 1 ? 'A prerequisite is' : `${failures.length} prerequisites are`} missing:\n${failures.map((f, i) => `  ${i + 1}. ${f.problem}`).join('\n')}`,
      failures.map((f, i) => `${i + 1}. ${f.fix}`),
    )
  }
  return {managementAccountId, callerAccount, roots}
}

async function describeOrganization(deps: Pick<AdminDeps, 'orgs'>): Promise<DescribeOrganizationCommandOutput['Organization']> {
  try {
    return (await deps.orgs.describeOrganization({})).Organization
  } catch (error) {
    if (awsErrorName(error) === 'AWSOrganizationsNotInUseException') {
      throw new SsmxError('prerequisite', 'This account is not part of an AWS Organization.', [
        'ssmx admin enforce deploys across an organization: run it from the management account or a StackSets delegated administrator.',
      ])
    }
    throw error
  }
}

/** The caller must be the management account calling as SELF, or a StackSets delegated administrator calling as DELEGATED_ADMIN. */
async function callerFailures(deps: Pick<AdminDeps, 'orgs' | 'callAs'>, callerAccount: string, managementAccountId: string): Promise<Failure[]> {
  if (callerAccount === managementAccountId) {
    return deps.callAs === 'DELEGATED_ADMIN'
      ? [
          {
            problem: `Account ${callerAccount} is the management account, which must call as SELF.`,
            fix: 'Drop --call-as DELEGATED_ADMIN (and admin.callAs) or run from the delegated administrator account.',
          },
        ]
      : []
  }
  if (!(await isDelegatedAdmin(deps, callerAccount))) {
    return [
      {
        problem: `Account ${callerAccount} is neither the management account (${managementAccountId}) nor a delegated administrator for CloudFormation StackSets.`,
        fix: `From the management account: aws organizations register-delegated-administrator --service-principal ${STACKSETS_PRINCIPAL} --account-id ${callerAccount}`,
      },
    ]
  }
  if (deps.callAs !== 'DELEGATED_ADMIN') {
    return [
      {
        problem: `Account ${callerAccount} is a StackSets delegated administrator, so calls must be made as DELEGATED_ADMIN.`,
        fix: 'Pass --call-as DELEGATED_ADMIN, or set admin.callAs: DELEGATED_ADMIN in the ssmx configuration.',
      },
    ]
  }
  return []
}

/** Every root needs service control policies enabled for the SCP. */
function scpPolicyTypeFailures(roots: Root[]): Failure[] {
  return roots
    .filter((root) => root.PolicyTypes?.find((p) => p.Type === 'SERVICE_CONTROL_POLICY')?.Status !== 'ENABLED')
    .map((root) => ({
      problem: `Service control policies are not enabled on the root ${root.Id}.`,
      fix: `From the management account: aws organizations enable-policy-type --root-id ${root.Id} --policy-type SERVICE_CONTROL_POLICY (or set admin.scp.enabled: false to deploy without the SCP).`,
    }))
}

async function isDelegatedAdmin(deps: Pick<AdminDeps, 'orgs'>, account: string): Promise<boolean> {
  for await (const out of pages((page) => deps.orgs.listDelegatedAdministrators({ServicePrincipal: STACKSETS_PRINCIPAL, ...page}))) {
    if ((out.DelegatedAdministrators ?? []).some((d) => d.Id === account)) return true
  }
  return false
}

/** Organizations' list of trusted services; a delegated administrator may not read it, CloudFormation's own view then answers. */
async function trustedAccessEnabled(deps: Pick<AdminDeps, 'orgs' | 'cfn' | 'callAs'>): Promise<boolean> {
  try {
    for await (const out of pages((page) => deps.orgs.listAWSServiceAccessForOrganization(page))) {
      if ((out.EnabledServicePrincipals ?? []).some((p) => p.ServicePrincipal === STACKSETS_PRINCIPAL)) return true
    }
    return false
  } catch (error) {
    if (!/AccessDenied/.test(awsErrorName(error) ?? '')) throw error
    const out = await deps.cfn.describeOrganizationsAccess({CallAs: deps.callAs})
    return out.Status === 'ENABLED'
  }
}

/** Names of the configured OUs/roots/accounts; throws naming every id Organizations does not know. */
export async function validateTargets(deps: Pick<AdminDeps, 'orgs'>, roots: Root[], ids: Array<{id: string; key: string}>): Promise<Map<string, string>> {
  const names = new Map<string, string>()
  const unknown: Array<{id: string; key: string}> = []
  const unique = ids.filter((x, i) => ids.findIndex((y) => y.id === x.id) === i)
  await mapLimit(unique, 5, async ({id, key}) => {
    if (id.startsWith('r-')) {
      const root = roots.find((r) => r.Id === id)
      if (root) names.set(id, root.Name ?? 'Root')
      else unknown.push({id, key})
      return
    }
    try {
      if (id.startsWith('ou-')) {
        const out = await deps.orgs.describeOrganizationalUnit({OrganizationalUnitId: id})
        names.set(id, out.OrganizationalUnit?.Name ?? id)
      } else {
        const out = await deps.orgs.describeAccount({AccountId: id})
        names.set(id, out.Account?.Name ?? id)
      }
    } catch (error) {
      const name = awsErrorName(error)
      if (name === 'OrganizationalUnitNotFoundException' || name === 'AccountNotFoundException' || name === 'InvalidInputException') unknown.push({id, key})
      else throw error
    }
  })
  if (unknown.length > 0) {
    throw new SsmxError('config', `The organization has no ${unknown.map((u) => `${u.id} (${u.key})`).join(', ')}.`, [
      'Check the ids in the ssmx configuration: aws organizations list-roots, list-organizational-units-for-parent --parent-id <root or OU>, list-accounts.',
    ])
  }
  return names
}

/** Throws naming every configured region EC2 does not know; warns about regions this account has not opted in to. */
export async function validateRegions(deps: Pick<AdminDeps, 'ec2' | 'progress'>, regions: string[]): Promise<void> {
  const out = await deps.ec2.describeRegions({AllRegions: true})
  const known = new Map((out.Regions ?? []).map((r) => [r.RegionName ?? '', r.OptInStatus ?? '']))
  const unknown = regions.filter((r) => !known.has(r))
  if (unknown.length > 0) {
    throw new SsmxError('config', `Unknown AWS region${unknown.length > 1 ? 's' : ''} in admin.regions: ${unknown.join(', ')}.`, [
      `Known regions: ${[...known.keys()].sort().join(', ')}`,
    ])
  }
  const notOptedIn = regions.filter((r) => known.get(r) === 'not-opted-in')
  if (notOptedIn.length > 0) {
    deps.progress({
      type: 'step',
      message: `Warning: ${notOptedIn.join(', ')} ${notOptedIn.length > 1 ? 'are' : 'is'} not enabled in this account; member accounts that have not opted in will fail there.`,
    })
  }
}
