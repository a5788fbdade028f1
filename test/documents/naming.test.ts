import {expect} from 'chai'

import {parseConfig} from '../../src/config/load.js'
import {DEFAULT_SESSION_DOCUMENT, conventionalDocumentName, documentNameFor, documentPlan} from '../../src/documents/naming.js'
import {chooseDocument} from '../../src/documents/select.js'
import {SsmxError} from '../../src/errors.js'

describe('documents/naming', () => {
  describe('conventionalDocumentName', () => {
    it('is the prefix plus the permission set name, with + = , @ replaced by _', () => {
      expect(conventionalDocumentName('Developer', 'SSMX-RunAs-')).to.equal('SSMX-RunAs-Developer')
      expect(conventionalDocumentName('Ops+Admin@eu', 'SSMX-RunAs-')).to.equal('SSMX-RunAs-Ops_Admin_eu')
      expect(conventionalDocumentName('a=b,c', 'P-')).to.equal('P-a_b_c')
    })
    it('keeps what SSM allows: letters, digits, _ . -', () => {
      expect(conventionalDocumentName('Data.Eng_read-only', 'SSMX-RunAs-')).to.equal('SSMX-RunAs-Data.Eng_read-only')
    })
    it('is deterministic and works with an empty prefix', () => {
      expect(conventionalDocumentName('Ops+Admin', '')).to.equal(conventionalDocumentName('Ops+Admin', ''))
      expect(conventionalDocumentName('Ops+Admin', '')).to.equal('Ops_Admin')
    })
  })

  describe('documentNameFor', () => {
    const config = parseConfig({permissionSets: {Admin: {runAsUser: 'admin', document: 'Corp-Admin-Shell'}, Dev: {runAsUser: 'dev'}}})
    it('an explicit document in the configuration wins', () => {
      expect(documentNameFor('Admin', config)).to.equal('Corp-Admin-Shell')
    })
    it('otherwise the conventional name with the configured prefix', () => {
      expect(documentNameFor('Dev', config)).to.equal('SSMX-RunAs-Dev')
      expect(documentNameFor('Unlisted+X', config)).to.equal('SSMX-RunAs-Unlisted_X')
      expect(documentNameFor('Dev', {...config, documentPrefix: 'Team.'})).to.equal('Team.Dev')
    })
    it('refuses names SSM would reject: too short, or starting with aws/amazon/amzn', () => {
      expect(() => documentNameFor('ab', {...config, documentPrefix: ''})).to.throw(SsmxError, /not a valid SSM document name/)
      expect(() => documentNameFor('AWS-Thing', {...config, documentPrefix: ''})).to.throw(SsmxError, /"AWS-Thing"/)
      expect(() => documentNameFor('amzn_x', {...config, documentPrefix: ''})).to.throw(SsmxError)
    })
  })

  describe('documentPlan', () => {
    it('lists every configured permission set with its document and RunAs user, sorted', () => {
      const plan = documentPlan(parseConfig({permissionSets: {'Ops+Admin@eu': {runAsUser: 'ops'}, Dev: {runAsUser: 'dev', document: 'Dev-Shell'}}}))
      expect(plan).to.deep.equal([
        {permissionSet: 'Dev', document: 'Dev-Shell', runAsUser: 'dev'},
        {permissionSet: 'Ops+Admin@eu', document: 'SSMX-RunAs-Ops_Admin_eu', runAsUser: 'ops'},
      ])
    })
    it('detects two permission sets sanitised to the same document', () => {
      const config = parseConfig({permissionSets: {'Ops+Admin': {runAsUser: 'a'}, 'Ops=Admin': {runAsUser: 'b'}}})
      expect(() => documentPlan(config)).to.throw(SsmxError, /"Ops\+Admin" and "Ops=Admin" both map to the document "SSMX-RunAs-Ops_Admin"/)
    })
    it('detects collisions between an explicit and a conventional name, ignoring case', () => {
      const config = parseConfig({permissionSets: {Dev: {runAsUser: 'a'}, Other: {runAsUser: 'b', document: 'ssmx-runas-dev'}}})
      expect(() => documentPlan(config)).to.throw(SsmxError, /both map to/)
    })
    it('an explicit name resolves a collision', () => {
      const config = parseConfig({permissionSets: {'Ops+Admin': {runAsUser: 'a'}, 'Ops=Admin': {runAsUser: 'b', document: 'Ops-Eq-Admin'}}})
      expect(documentPlan(config).map((p) => p.document)).to.deep.equal(['SSMX-RunAs-Ops_Admin', 'Ops-Eq-Admin'])
    })
    it('refuses the account default document as a per-role document', () => {
      const config = parseConfig({permissionSets: {Dev: {runAsUser: 'a', document: DEFAULT_SESSION_DOCUMENT}}})
      expect(() => documentPlan(config)).to.throw(SsmxError, /SSM-SessionManagerRunShell/)
    })
  })
})

describe('documents/select chooseDocument', () => {
  const config = parseConfig({defaultRunAsUser: 'guest', permissionSets: {Dev: {runAsUser: 'dev'}}})
  it('--document overrides everything, with no fallback', () => {
    expect(chooseDocument({flag: 'Mine', permissionSet: 'Dev', config})).to.deep.equal({document: 'Mine', reason: 'flag'})
  })
  it("the permission set's document, falling back to the default unless strict", () => {
    expect(chooseDocument({permissionSet: 'Dev', config})).to.deep.equal({
      document: 'SSMX-RunAs-Dev',
      reason: 'permission-set',
      runAsUser: 'dev',
      fallback: DEFAULT_SESSION_DOCUMENT,
    })
    expect(chooseDocument({permissionSet: 'Dev', config: {...config, strict: true}}).fallback).to.equal(undefined)
    expect(chooseDocument({permissionSet: 'Unknown', config}).runAsUser).to.equal(undefined)
  })
  it('no permission set: the account default with its RunAs user', () => {
    expect(chooseDocument({config})).to.deep.equal({document: DEFAULT_SESSION_DOCUMENT, reason: 'default', runAsUser: 'guest'})
  })
})
