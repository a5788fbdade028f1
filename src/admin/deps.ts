import {setTimeout as sleep} from 'node:timers/promises'

import {CloudFormationClient} from '@aws-sdk/client-cloudformation'
import {OrganizationsClient} from '@aws-sdk/client-organizations'
import {STSClient} from '@aws-sdk/client-sts'

import type {AwsContext, Sendable} from '../aws/clients.js'
import {type Progress, noProgress} from './progress.js'

export type CallAs = 'SELF' | 'DELEGATED_ADMIN'

/** Everything the admin services need from outside; tests hand in stubbed clients and a no-op sleep. */
export interface AdminDeps {
  cfn: Sendable
  orgs: Sendable
  sts: Sendable
  ec2: Sendable
  callAs: CallAs
  /** the region the stack set lives in (its administration region) */
  region: string
  progress: Progress
  sleep: (ms: number) => Promise<void>
  now: () => number
}

export const realSleep = (ms: number): Promise<void> => sleep(ms)

/** Builds the admin clients from the AwsContext; a failed call carries `operation` ("CloudFormation CreateStackSet") for the error message. */
export function adminDeps(ctx: AwsContext, callAs: CallAs, progress: Progress = noProgress): AdminDeps {
  return {
    cfn: named(ctx.client(CloudFormationClient, 'CLOUDFORMATION'), 'CloudFormation'),
    orgs: named(ctx.client(OrganizationsClient, 'ORGANIZATIONS'), 'Organizations'),
    sts: named(ctx.client(STSClient, 'STS'), 'STS'),
    // EC2 is only asked for the region list (enforce); its SDK client takes seconds to load, so load it when used
    ec2: named(lazy(async () => ctx.client((await import('../aws/ec2.js')).EC2Client, 'EC2')), 'EC2'),
    callAs,
    region: ctx.region,
    progress,
    sleep: realSleep,
    now: Date.now,
  }
}

function lazy(load: () => Promise<Sendable>): Sendable {
  let client: Promise<Sendable> | undefined
  return {send: async (command, options) => (await (client ??= load())).send(command, options)}
}

function named(client: Sendable, service: string): Sendable {
  return {
    send: (command, options) =>
      client.send(command, options).catch((error: unknown) => {
        if (error && typeof error === 'object' && !('operation' in error)) {
          const name = (command as {constructor: {name: string}}).constructor.name.replace(/Command$/, '')
          Object.assign(error, {operation: `${service} ${name}`})
        }
        throw error
      }),
  }
}

/** The operation a failed call was (set by adminDeps' clients), for mapAwsError. */
export const failedOperation = (error: unknown): string | undefined =>
  error && typeof error === 'object' && 'operation' in error ? String((error as {operation: unknown}).operation) : undefined

/** Runs `fn` over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return results
}

/** Every page of a NextToken-paged list call, fetched one at a time (the first request carries no NextToken). */
export async function* pages<O extends {NextToken?: string}>(fetch: (page: {NextToken?: string}) => Promise<unknown>): AsyncGenerator<O> {
  let NextToken: string | undefined
  do {
    const out = (await fetch(NextToken ? {NextToken} : {})) as O
    yield out
    NextToken = out.NextToken
  } while (NextToken)
}
