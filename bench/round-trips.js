#!/usr/bin/env node
// AWS requests made by `ssmx connect <instance id>` with an IAM Identity Center profile (sso-session form, a
// valid cached SSO token), counted by the fake AWS: a first run (no cached role credentials) and a warm run.
// Usage: npm run build && node bench/round-trips.js [--json]
import {createHash} from 'node:crypto'

import {BIN, BenchBox, INSTANCE, fakeSsm, report, timed} from './lib.js'

const START_URL = 'https://example.awsapps.com/start'
const CONFIG = `[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = eu-west-1

[sso-session corp]
sso_start_url = ${START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
`

export async function roundTrips() {
  const {fake, toXml} = await fakeSsm()
  fake
    .on('awsssoportal', 'GetRoleCredentials', () => ({
      roleCredentials: {accessKeyId: 'ASIAFAKE', secretAccessKey: 'SECRET', sessionToken: 'SESSION', expiration: Date.now() + 3600_000},
    }))
    .on('sts', 'GetCallerIdentity', () => toXml({Arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/alice', UserId: 'AROA:alice', Account: '111122223333'}))
  const box = new BenchBox(fake.url)
  box.file('.aws/config', CONFIG)
  box.file(`.aws/sso/cache/${createHash('sha1').update('corp').digest('hex')}.json`, JSON.stringify({
    startUrl: START_URL, region: 'us-east-1', accessToken: 'sso-access-token', expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  }))
  const env = {...box.env, AWS_ENDPOINT_URL: fake.url}
  delete env.XDG_CACHE_HOME // the default place: ~/.aws/ssmx/cache
  const run = async () => {
    fake.requests.length = 0
    await timed(process.execPath, [BIN, 'connect', INSTANCE, '--profile', 'dev'], {env, cwd: box.home, box})
    const count = (service, op) => fake.requests.filter((r) => r.service === service && (!op || r.operation === op)).length
    return {
      total: fake.requests.length,
      ssm: count('ssm'),
      sts: count('sts'),
      roleCredentials: count('awsssoportal', 'GetRoleCredentials'),
      list: fake.requests.map((r) => `${r.service}.${r.operation}`).join(', '),
    }
  }
  try {
    const first = await run()
    const warm = await run()
    const row = (name, r, maxRoleCredentials) => ({
      name,
      value: `${r.total} request${r.total === 1 ? '' : 's'}`,
      ratio: r.list,
      budget: `1 SSM, 0 STS, ${maxRoleCredentials} GetRoleCredentials`,
      ok: r.ssm === 1 && r.sts === 0 && r.roleCredentials <= maxRoleCredentials && r.total === 1 + r.roleCredentials,
    })
    return {
      title: 'Round trips: ssmx connect i-… --profile <SSO profile>',
      rows: [row('first run (no cached role credentials)', first, 1), row('warm run', warm, 0)],
      notes: ['counted by the fake AWS; the SSO token comes from ~/.aws/sso/cache as after `aws sso login`'],
    }
  } finally {
    await fake.stop()
    box.cleanup()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) report(await roundTrips())
