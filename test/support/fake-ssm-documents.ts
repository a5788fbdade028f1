/**
 * SSM documents in memory behind FakeAws: versions, default version, tags, and the errors SSM gives
 * (InvalidDocument, DocumentAlreadyExists, DuplicateDocumentContent). Enough for the RunAs handler.
 */
import {AwsFault, type FakeAws} from './fake-aws.js'

export interface StoredDocument {
  versions: string[]
  /** 1-based */
  defaultVersion: number
  type: string
  tags: Array<{Key: string; Value: string}>
}

export class FakeSsmDocuments {
  readonly docs = new Map<string, StoredDocument>()

  constructor(fake: FakeAws) {
    const find = (name: unknown): StoredDocument => {
      const doc = this.docs.get(String(name))
      if (!doc) throw new AwsFault('InvalidDocument', `Document ${String(name)} does not exist`)
      return doc
    }
    const version = (doc: StoredDocument, v: unknown): number => {
      if (v === undefined || v === null) return doc.defaultVersion
      if (v === '$LATEST') return doc.versions.length
      if (v === '$DEFAULT') return doc.defaultVersion
      const n = Number(v)
      if (!Number.isInteger(n) || n < 1 || n > doc.versions.length) throw new AwsFault('InvalidDocumentVersion', `no version ${String(v)}`)
      return n
    }
    const description = (name: string, doc: StoredDocument, v = doc.versions.length) => ({
      Name: name,
      DocumentType: doc.type,
      DocumentFormat: 'JSON',
      DocumentVersion: String(v),
      LatestVersion: String(doc.versions.length),
      DefaultVersion: String(doc.defaultVersion),
      Tags: doc.tags,
    })
    fake
      .on('ssm', 'DescribeDocument', (i) => ({Document: description(String(i.Name), find(i.Name))}))
      .on('ssm', 'GetDocument', (i) => {
        const doc = find(i.Name)
        const v = version(doc, i.DocumentVersion)
        return {Name: i.Name, Content: doc.versions[v - 1], DocumentVersion: String(v), DocumentType: doc.type, DocumentFormat: 'JSON'}
      })
      .on('ssm', 'CreateDocument', (i) => {
        const name = String(i.Name)
        if (this.docs.has(name)) throw new AwsFault('DocumentAlreadyExists', `${name} already exists`)
        const doc = {versions: [String(i.Content)], defaultVersion: 1, type: String(i.DocumentType), tags: (i.Tags as StoredDocument['tags']) ?? []}
        this.docs.set(name, doc)
        return {DocumentDescription: description(name, doc)}
      })
      .on('ssm', 'UpdateDocument', (i) => {
        const doc = find(i.Name)
        const base = version(doc, i.DocumentVersion)
        if (doc.versions[base - 1] === i.Content)
          throw new AwsFault('DuplicateDocumentContent', 'The content of the document matches another document version.')
        doc.versions.push(String(i.Content))
        return {DocumentDescription: description(String(i.Name), doc)}
      })
      .on('ssm', 'UpdateDocumentDefaultVersion', (i) => {
        const doc = find(i.Name)
        doc.defaultVersion = version(doc, i.DocumentVersion)
        return {Description: {Name: i.Name, DefaultVersion: String(doc.defaultVersion)}}
      })
      .on('ssm', 'DeleteDocument', (i) => {
        find(i.Name)
        this.docs.delete(String(i.Name))
        return {}
      })
      .on('ssm', 'AddTagsToResource', (i) => {
        const doc = find(i.ResourceId)
        for (const tag of i.Tags as StoredDocument['tags']) {
          doc.tags = [...doc.tags.filter((t) => t.Key !== tag.Key), tag]
        }
        return {}
      })
      .on('ssm', 'ListDocuments', (i) => {
        const filters = (i.Filters as Array<{Key: string; Values: string[]}>) ?? []
        const type = filters.find((f) => f.Key === 'DocumentType')?.Values
        const names = [...this.docs.keys()].filter((n) => !type || type.includes(this.docs.get(n)!.type)).sort()
        // two per page, so pagination is exercised
        const start = i.NextToken ? Number(i.NextToken) : 0
        const page = names.slice(start, start + 2)
        return {
          DocumentIdentifiers: page.map((n) => ({Name: n, DocumentType: this.docs.get(n)!.type, Tags: this.docs.get(n)!.tags, Owner: '111122223333'})),
          NextToken: start + 2 < names.length ? String(start + 2) : undefined,
        }
      })
  }

  put(name: string, content: string, tags: StoredDocument['tags'] = [], type = 'Session'): this {
    this.docs.set(name, {versions: [content], defaultVersion: 1, type, tags})
    return this
  }

  /** the default version's content */
  content(name: string): string | undefined {
    const doc = this.docs.get(name)
    return doc?.versions[doc.defaultVersion - 1]
  }
}
