import {expect} from 'chai'

import {mapAwsError} from '../../src/aws/errors.js'
import {reportError} from '../../src/cli/runtime.js'
import {ExitCode, SsmxError, isAwsError} from '../../src/errors.js'

/** Runs fn with stdout and stderr captured. */
function captured(fn: () => number): {code: number; stdout: string; stderr: string} {
  const out: string[] = []
  const err: string[] = []
  const write = {stdout: process.stdout.write, stderr: process.stderr.write}
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write
  try {
    return {code: fn(), stdout: out.join(''), stderr: err.join('')}
  } finally {
    process.stdout.write = write.stdout
    process.stderr.write = write.stderr
  }
}

const serviceError = () =>
  Object.assign(new Error('Rate exceeded for something new'), {name: 'SomethingNewException', $fault: 'client', $metadata: {httpStatusCode: 400}})

describe('reportError: the one way a command ends non-zero', () => {
  it('an SsmxError: its message and next steps on stderr, its exit code', () => {
    const r = captured(() => reportError(new SsmxError('target', 'web-1 was not found.', ['Check the region.'])))
    expect(r.code).to.equal(ExitCode.target)
    expect(r.stderr).to.equal('✗ web-1 was not found.\n  → Check the region.\n')
    expect(r.stdout).to.equal('')
  })

  it('a bug (an error that is neither an SsmxError nor from AWS): exit 70, says it is a bug and how to report it; the stack only under --debug', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')")
    const plain = captured(() => reportError(bug))
    expect(plain.code).to.equal(70)
    expect(plain.stderr).to.include("✗ Unexpected error: Cannot read properties of undefined (reading 'id')")
    expect(plain.stderr).to.include('This is a bug in ssmx')
    expect(plain.stderr).to.include('--debug')
    expect(plain.stderr).not.to.include('at ')
    const debug = captured(() => reportError(bug, {debug: true}))
    expect(debug.code).to.equal(70)
    expect(debug.stderr).to.include('[debug] cause: Cannot read properties')
    expect(debug.stderr).to.include(bug.stack?.split('\n')[1]?.trim() ?? 'no stack')
  })

  it('an AWS error nothing mapped stays internal (1), not a bug, and shows no stack under --debug', () => {
    const r = captured(() => reportError(serviceError(), {debug: true}))
    expect(r.code).to.equal(ExitCode.internal)
    expect(r.stderr).to.include('AWS call failed: Rate exceeded for something new')
    expect(r.stderr).not.to.include('a bug in ssmx')
    expect(r.stderr).not.to.include('    at ')
  })

  it('isAwsError: service errors, credential providers and network errors are AWS; anything else is not', () => {
    expect(isAwsError(serviceError())).to.equal(true)
    expect(isAwsError(Object.assign(new Error('Could not load credentials'), {name: 'CredentialsProviderError'}))).to.equal(true)
    expect(isAwsError(Object.assign(new Error('getaddrinfo ENOTFOUND ssm.eu-west-1.amazonaws.com'), {code: 'ENOTFOUND'}))).to.equal(true)
    expect(isAwsError(new TypeError('x is not a function'))).to.equal(false)
    expect(isAwsError(Object.assign(new Error('no such file'), {code: 'ENOENT'}))).to.equal(false)
    expect(isAwsError('a string')).to.equal(false)
  })

  it("mapAwsError keeps a TypeError from ssmx's own code a bug (70), not an unmapped AWS error (1)", () => {
    const e = mapAwsError(new TypeError("Cannot read properties of undefined (reading 'Instances')"), {profile: 'dev', operation: 'SSO Admin ListInstances'})
    expect([e.code, e.exitCode]).to.deep.equal(['bug', 70])
    expect(mapAwsError(Object.assign(new Error('boom'), {name: 'InternalServerError'}), {profile: 'dev'}).code).to.equal('internal')
    const garbled = Object.assign(new SyntaxError('Unexpected token < in JSON'), {$responseBodyText: '<html>'})
    expect(mapAwsError(garbled, {profile: 'dev'}).code, 'the SDK could not parse what AWS sent').to.equal('internal')
  })

  it('--json: the error object on stdout, with the exit-code name typed as ExitCodeName', () => {
    const r = captured(() => reportError(new TypeError('boom'), {json: true}))
    expect(r.code).to.equal(70)
    expect(JSON.parse(r.stdout)).to.deep.include({
      error: {code: 'bug', message: 'Unexpected error: boom', suggestions: JSON.parse(r.stdout).error.suggestions, exitCode: 70},
    })
    expect(r.stderr).to.equal('')
  })

  it('a result that ends non-zero: with --json the result is the answer; without, an output that already said it prints no ✗ line', () => {
    const failure = () => new SsmxError('compliance', 'Out of compliance.', [], {result: {compliant: false}, shown: true})
    const json = captured(() => reportError(failure(), {json: true}))
    expect(json.code).to.equal(ExitCode.compliance)
    expect(JSON.parse(json.stdout)).to.deep.equal({compliant: false})
    const text = captured(() => reportError(failure()))
    expect(text.code).to.equal(ExitCode.compliance)
    expect(text.stderr + text.stdout).to.equal('')
    const printed: unknown[] = []
    captured(() => reportError(failure(), {json: true, printJson: (v) => printed.push(v)}))
    expect(printed).to.deep.equal([{compliant: false}])
  })
})
