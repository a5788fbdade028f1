import {expect} from 'chai'

import {type ExitCodeName, SsmxError} from '../../src/errors.js'

/** Runs `fn`, expects it to throw an SsmxError with `code` (and a next step), and returns the error. */
export function thrownSsmxError(fn: () => unknown, code: ExitCodeName): SsmxError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught, 'an SsmxError').to.be.instanceOf(SsmxError)
  expect((caught as SsmxError).code).to.equal(code)
  expect((caught as SsmxError).suggestions, 'a next step').to.not.be.empty
  return caught as SsmxError
}
