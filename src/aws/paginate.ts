/**
 * The one pagination helper for NextToken-paged AWS calls. `fetch` builds each request: it gets `{}` for the first
 * page, then `{NextToken}`; a caller that wants `NextToken: undefined` on the first request writes
 * `(page) => port.call({..., NextToken: page.NextToken})`. Pages are fetched one at a time, lazily.
 */
export async function* pages<P extends {NextToken?: string}>(fetch: (page: {NextToken?: string}) => Promise<P>): AsyncGenerator<P> {
  let NextToken: string | undefined
  do {
    const out = await fetch(NextToken ? {NextToken} : {})
    yield out
    NextToken = out.NextToken
  } while (NextToken)
}

/** Every item of every page: `items` picks a page's list (absent lists count as empty). */
export async function allPages<P extends {NextToken?: string}, T>(
  fetch: (page: {NextToken?: string}) => Promise<P>,
  items: (page: P) => readonly T[] | undefined,
): Promise<T[]> {
  const all: T[] = []
  for await (const page of pages(fetch)) all.push(...(items(page) ?? []))
  return all
}
