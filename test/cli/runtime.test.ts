import {expect} from 'chai'

import {closest} from '../../src/platform/closest.js'
import {checkGlobalFlags, endpointUrlHelp} from '../../src/cli/runtime.js'
import {parseConfig} from '../../src/config/load.js'
import {isRegionName} from '../../src/config/region.js'
import {thrownSsmxError} from '../support/errors.js'

describe('cli/runtime: the global flags both start-ups check', () => {
  const connect = {id: 'connect', endpointService: 'SSM' as const}

  it("--region: the configuration's rule (one validator for both)", () => {
    for (const ok of ['eu-west-1', 'us-gov-west-1', 'cn-north-1', 'ap-southeast-4', 'us-isob-east-1']) expect(isRegionName(ok), ok).to.equal(true)
    for (const bad of ['mars-1', 'eu-west', 'EU-WEST-1', 'eu_west_1', '']) expect(isRegionName(bad), bad).to.equal(false)
    const e = thrownSsmxError(() => checkGlobalFlags({region: 'mars-1'}, connect), 'usage')
    expect(e.message).to.equal('--region "mars-1" is not an AWS region: it must be an AWS region name such as eu-west-1.')
    expect(() => checkGlobalFlags({region: 'eu-west-1'}, connect)).not.to.throw()
    // the configuration says the same about the same region
    const config = thrownSsmxError(() => parseConfig({admin: {regions: ['mars-1']}}), 'config')
    expect(config.message).to.include('must be an AWS region name such as eu-west-1')
  })

  it('--endpoint-url: an http(s) URL, on a command that has a service for it', () => {
    expect(() => checkGlobalFlags({'endpoint-url': 'http://127.0.0.1:4566'}, connect)).not.to.throw()
    expect(thrownSsmxError(() => checkGlobalFlags({'endpoint-url': 'localhost:4566'}, connect), 'usage').message).to.include('is not an http(s) URL')
    const refused = thrownSsmxError(() => checkGlobalFlags({'endpoint-url': 'https://x.test'}, {id: 'admin:render', endpointService: null}), 'usage')
    expect(refused.message).to.include('ssmx admin render does not take --endpoint-url')
    expect(refused.suggestions[0]).to.include('AWS_ENDPOINT_URL_<SERVICE>')
  })

  it('help names the service --endpoint-url overrides', () => {
    expect(endpointUrlHelp('CLOUDFORMATION')).to.match(/^override the CloudFormation endpoint/)
    expect(endpointUrlHelp(null)).to.match(/^not taken by this command/)
  })
})

describe('cli/closest: "did you mean"', () => {
  it('finds typos, case and separators, and nothing for a word far from every candidate', () => {
    expect(closest('conect', ['connect', 'forward', 'list'])).to.equal('connect')
    expect(closest('runasuser', ['runAsUser', 'document'])).to.equal('runAsUser')
    expect(closest('admin:enforc', ['admin:enforce', 'admin:status'])).to.equal('admin:enforce')
    expect(closest('deploy', ['connect', 'forward', 'list'])).to.equal(undefined)
  })
})

describe('config: unknown keys suggest the closest key at that place', () => {
  it('top level, nested objects and record values', () => {
    const e = thrownSsmxError(() => parseConfig({documentprefix: 'X-', permissionSets: {Dev: {runasuser: 'dev'}}, admin: {scp: {enable: false}}}), 'config')
    expect(e.message).to.include('(top level): unknown key "documentprefix" (did you mean "documentPrefix"?)')
    expect(e.message).to.include('permissionSets.Dev: unknown key "runasuser" (did you mean "runAsUser"?)')
    expect(e.message).to.include('admin.scp: unknown key "enable" (did you mean "enabled"?)')
    expect(thrownSsmxError(() => parseConfig({zzzzzz: 1}), 'config').message).to.match(/unknown key "zzzzzz"$/m)
  })
})
