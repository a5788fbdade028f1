import {setTimeout as sleep} from 'node:timers/promises'

import type {AwsContext} from '../aws/clients.js'
import {type CloudFormation, type Ec2, type Organizations, type Sts, cloudFormation, ec2, namedPort, organizations, sts} from '../aws/ports.js'
import {type Progress, noProgress} from './progress.js'

export type CallAs = 'SELF' | 'DELEGATED_ADMIN'

/** Everything the admin services need from outside; tests hand in stubbed clients and a no-op sleep. */
export interface AdminDeps {
  cfn: CloudFormation
  orgs: Organizations
  sts: Sts
  ec2: Ec2
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
    // each SDK client loads on its port's first call (EC2, asked only for the region list by enforce, takes seconds)
    cfn: namedPort(cloudFormation(ctx), 'CloudFormation'),
    orgs: namedPort(organizations(ctx), 'Organizations'),
    sts: namedPort(sts(ctx), 'STS'),
    ec2: namedPort(ec2(ctx), 'EC2'),
    callAs,
    region: ctx.region,
    progress,
    sleep: realSleep,
    now: Date.now,
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

export {pages} from '../aws/paginate.js'
