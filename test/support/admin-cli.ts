/** Shared by the admin e2e tests: the configuration, what it renders, and a sandbox with a stateful fake organization. */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {buildArtifacts} from '../../src/admin/artifacts.js'
import type {AdminArtifacts} from '../../src/admin/types.js'
import {parseConfig} from '../../src/config/load.js'
import {AWS_CONFIG, ROOT, Sandbox} from './cli.js'
import {FakeAws} from './fake-aws.js'
import {FakeOrganization} from './fake-organization.js'

export const OU_A = 'ou-ab12-aaaaaaaa'
export const OU_B = 'ou-ab12-bbbbbbbb'
export const ADMIN_CONFIG = {
  permissionSets: {Developer: {runAsUser: 'dev'}, Admin: {runAsUser: 'admin'}},
  admin: {organizationalUnits: [OU_A, OU_B], regions: ['eu-west-1', 'us-east-1'], overrides: {[OU_B]: {defaultRunAsUser: 'ec2-user'}}},
}

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string

/** The artifacts this build of the CLI deploys for ADMIN_CONFIG (rendered in-process with the same version). */
export const adminArtifacts = (): AdminArtifacts => buildArtifacts(parseConfig(ADMIN_CONFIG), VERSION)

/** A FakeAws with a fake organization (two OUs, three member accounts), a sandbox with static credentials, and the config file. */
export async function adminSandbox(): Promise<{fake: FakeAws; org: FakeOrganization; box: Sandbox; configPath: string}> {
  const fake = await new FakeAws().start()
  const org = new FakeOrganization({
    [OU_A]: {name: 'Workloads', accounts: ['222222222220', '222222222221']},
    [OU_B]: {name: 'Sandbox', accounts: ['333333333330']},
  }).install(fake)
  const box = new Sandbox(fake.url).awsConfig(AWS_CONFIG)
  box.env = {...box.env, AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret', AWS_REGION: 'eu-west-1'}
  const configPath = box.file('ssmx.json', JSON.stringify(ADMIN_CONFIG))
  return {fake, org, box, configPath}
}
