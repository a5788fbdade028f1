import {expect} from 'chai'

import {batched, prettyJsonPieces} from '../src/pretty-json.js'

describe('prettyJsonPieces', () => {
  const cases: unknown[] = [
    {},
    [],
    {a: []},
    {a: [], b: {}, c: undefined, d: () => 1, e: null},
    {instances: [{x: 1, y: [1, {z: 'a\nb'}]}, undefined, () => 1, null, 'text', [], {}], n: 1.5, s: '"quoted" ✗'},
    {when: new Date(0), list: [new Date(1)], nested: {deep: {deeper: [[1, 2], [3]]}}},
    {only: undefined},
    [1, {a: 2}],
    'plain string',
    42,
    null,
    new Date(2),
    Object.assign(Object.create(null), {a: [1]}),
  ]
  for (const [i, value] of cases.entries()) {
    it(`joins to JSON.stringify(value, undefined, 2), case ${i}`, () => {
      expect([...prettyJsonPieces(value)].join('')).to.equal(JSON.stringify(value, undefined, 2) ?? '')
    })
  }

  it('gives a large array element by element, and batched() joins pieces into strings of at least the size', () => {
    const value = {rows: Array.from({length: 1000}, (_, i) => ({i}))}
    expect([...prettyJsonPieces(value)].length).to.be.greaterThan(1000)
    const batches = [...batched(prettyJsonPieces(value), 4096)]
    expect(batches.join('')).to.equal(JSON.stringify(value, undefined, 2))
    for (const b of batches.slice(0, -1)) expect(b.length).to.be.at.least(4096)
  })
})
