import {expect} from 'chai'

import {mapAwsError} from '../../src/aws/errors.js'
import {redact} from '../../src/aws/redact.js'
import {ExitCode, SsmxError} from '../../src/errors.js'

/** An error shaped like what the SDK throws: a name and a message. */
const sdkError = (name: string, message = name): Error => Object.assign(new Error(message), {name})
const context = {profile: 'dev', operation: 'SSM StartSession', document: 'SSMX-RunAs-Developer', target: 'i-0123456789abcdef0'}

describe('aws/errors mapAwsError', () => {
  // The SDK's wording, for both profile forms: expired tokens, then missing ones.
  const EXPIRED = /^The sign-in has expired\. Run: aws sso login --profile dev/
  const MISSING = /^No valid SSO token is cached for it \(not signed in, or signed out\)\. Run: aws sso login --profile dev/
  const ssoCases: Array<[string, string, RegExp]> = [
    ['CredentialsProviderError', "Token is expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.", EXPIRED],
    [
      'CredentialsProviderError',
      'The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.',
      EXPIRED,
    ],
    [
      'CredentialsProviderError',
      "The SSO session token associated with profile=dev was not found or is invalid. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
      MISSING,
    ],
    [
      'CredentialsProviderError',
      'The SSO session associated with this profile is invalid. To refresh this SSO session run aws sso login with the corresponding profile.',
      MISSING,
    ],
    ['TokenProviderError', 'SSO Token not found', MISSING],
  ]
  for (const [name, message, next] of ssoCases) {
    it(`SSO token: ${message.slice(0, 60)}…`, () => {
      const e = mapAwsError(sdkError(name, message), context)
      expect(e.exitCode).to.equal(ExitCode.ssoExpired)
      expect(e.message).to.equal('The SSO session for profile "dev" is missing or expired.')
      expect(e.suggestions[0]).to.match(next)
    })
  }

  // What the SDK's SSO provider throws when the portal cannot be reached: CredentialsProviderError(String(error)).
  // The host name holds ".sso.", which once read as an SSO token problem (exit 5, "log in again").
  for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
    it(`the SSO portal's name does not resolve (${code}): IAM Identity Center unreachable, exit 11, not an expired sign-in`, () => {
      const e = mapAwsError(sdkError('CredentialsProviderError', `Error: getaddrinfo ${code} portal.sso.eu-west-1.amazonaws.com`), context)
      expect(e.code).to.equal('unreachable')
      expect(e.exitCode).to.equal(ExitCode.unreachable).and.to.equal(11)
      expect(e.message).to.equal(
        `Cannot reach IAM Identity Center (portal.sso.eu-west-1.amazonaws.com) for profile "dev": getaddrinfo ${code} portal.sso.eu-west-1.amazonaws.com`,
      )
      expect(e.suggestions.join(' ')).to.include('Check your network, VPN and proxy').and.not.include('aws sso login')
    })
  }

  it("IAM Identity Center's OIDC host (token refresh) and a refused connection are unreachable too", () => {
    const oidc = mapAwsError(sdkError('TokenProviderError', 'getaddrinfo ENOTFOUND oidc.us-east-1.amazonaws.com'), context)
    expect(oidc.message).to.match(/^Cannot reach IAM Identity Center \(oidc\.us-east-1\.amazonaws\.com\)/)
    const refused = mapAwsError(sdkError('CredentialsProviderError', 'Error: connect ECONNREFUSED 10.0.0.1:443'), context)
    expect(refused.code).to.equal('unreachable')
    expect(refused.message).to.equal('Cannot reach AWS for SSM StartSession: Error: connect ECONNREFUSED 10.0.0.1:443')
    // an SSO token message that merely contains letters of a code is still an SSO token problem
    expect(mapAwsError(sdkError('CredentialsProviderError', 'The SSO session token was not found (XENOTFOUNDX)'), context).code).to.equal('ssoExpired')
  })

  it('a network error with a code (SDK client call): unreachable, exit 11', () => {
    const e = mapAwsError(Object.assign(new Error('getaddrinfo EAI_AGAIN ssm.eu-west-1.amazonaws.com'), {code: 'EAI_AGAIN'}), context)
    expect(e.code).to.equal('unreachable')
    expect(e.message).to.equal('Cannot reach AWS for SSM StartSession: getaddrinfo EAI_AGAIN ssm.eu-west-1.amazonaws.com')
  })

  it('no credentials', () => {
    const e = mapAwsError(sdkError('CredentialsProviderError', 'Could not load credentials from any providers'), context)
    expect(e.exitCode).to.equal(ExitCode.credentials)
    expect(e.message).to.equal('No AWS credentials found for profile "dev": Could not load credentials from any providers')
    expect(e.suggestions).to.have.length.greaterThan(0)
  })

  it("an SSO permission set the user is not assigned (the portal's ForbiddenException)", () => {
    const e = mapAwsError(sdkError('CredentialsProviderError', 'ForbiddenException: No access'), context)
    expect(e.exitCode).to.equal(ExitCode.credentials)
    expect(e.message).to.equal('IAM Identity Center refused role credentials for profile "dev": ForbiddenException: No access')
    expect(e.suggestions[0]).to.match(/sso_role_name.*sso_account_id/)
  })

  it("a revoked SSO token (the portal's UnauthorizedException)", () => {
    const e = mapAwsError(sdkError('CredentialsProviderError', 'UnauthorizedException: Session token not found or invalid'), context)
    expect(e.exitCode).to.equal(ExitCode.ssoExpired)
  })

  it('credentials AWS rejects', () => {
    for (const name of ['UnrecognizedClientException', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnauthorizedException']) {
      const e = mapAwsError(sdkError(name), context)
      expect(e.exitCode, name).to.equal(ExitCode.ssoExpired)
      expect(e.suggestions[0]).to.include('aws sso login --profile dev')
    }
  })

  it('TargetNotConnected names the target and what to check', () => {
    const e = mapAwsError(sdkError('TargetNotConnected', 'i-0123456789abcdef0 is not connected.'), context)
    expect(e.exitCode).to.equal(ExitCode.targetNotConnected)
    expect(e.message).to.equal('i-0123456789abcdef0 is not connected to Session Manager.')
    expect(e.suggestions.join(' ')).to.match(/SSM agent/)
  })

  it('AccessDenied names the document and the permission set', () => {
    for (const name of ['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']) {
      const e = mapAwsError(sdkError(name), context)
      expect(e.exitCode, name).to.equal(ExitCode.accessDenied)
      expect(e.message).to.equal('Access denied: SSM StartSession with the document SSMX-RunAs-Developer on i-0123456789abcdef0.')
      expect(e.suggestions[0]).to.include('permission set may not be allowed to use SSMX-RunAs-Developer')
    }
    expect(mapAwsError(sdkError('AccessDeniedException'), {profile: 'p'}).suggestions[0]).to.match(/permissions of your role/)
  })

  it('throttling that outlasted the retries', () => {
    for (const name of ['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ServiceUnavailable']) {
      expect(mapAwsError(sdkError(name), context).exitCode, name).to.equal(ExitCode.throttled)
    }
  })

  it('InvalidDocument and unknown instances', () => {
    expect(mapAwsError(sdkError('InvalidDocument'), context).exitCode).to.equal(ExitCode.document)
    for (const name of ['InvalidInstanceId', 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']) {
      expect(mapAwsError(sdkError(name), context).exitCode, name).to.equal(ExitCode.target)
    }
  })

  it('anything else is internal with the AWS name, and SsmxErrors pass through', () => {
    const e = mapAwsError(sdkError('InternalServerError', 'boom'), context)
    expect(e.exitCode).to.equal(ExitCode.internal)
    expect(e.message).to.equal('SSM StartSession failed: InternalServerError: boom')
    const own = new SsmxError('target', 'x')
    expect(mapAwsError(own, context)).to.equal(own)
  })
})

describe('aws/redact', () => {
  it('replaces secret-looking values at any depth and leaves the rest', () => {
    expect(redact({Target: 'i-1', TokenValue: 't', nested: [{SecretAccessKey: 's', sessionToken: 'x', ok: 1}], accessKeyId: 'AKIA'})).to.deep.equal({
      Target: 'i-1',
      TokenValue: '<redacted>',
      nested: [{SecretAccessKey: '<redacted>', sessionToken: '<redacted>', ok: 1}],
      accessKeyId: '<redacted>',
    })
    expect(redact('plain')).to.equal('plain')
  })
})
