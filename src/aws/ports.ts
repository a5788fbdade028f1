/**
 * The service ports that are loaded on first use: each factory returns its port at once and imports the SDK client
 * (a module of this folder) only when a method is first called, so a command that may never call EC2, STS, IAM…
 * never loads their SDK. SSM, KMS and SSO OIDC are always needed where they are used: import ssm.ts, kms.ts and
 * sso-oidc.ts directly. Every client is still built by AwsContext.client (clients.ts).
 */
import type {ClientSource} from './clients.js'
import type {CloudFormation} from './cloudformation.js'
import type {Ec2} from './ec2.js'
import type {Ec2InstanceConnect} from './ec2-instance-connect.js'
import type {Iam} from './iam.js'
import type {Organizations} from './organizations.js'
import type {SsoAdmin} from './sso-admin.js'
import type {Sts} from './sts.js'

export type {CloudFormation, Ec2, Ec2InstanceConnect, Iam, Organizations, SsoAdmin, Sts}
export type {Filter, Instance} from './ec2.js'
export type {Kms} from './kms.js'
export type {InstanceInformation, Ssm, StartSessionInput} from './ssm.js'
export type {SsoOidc} from './sso-oidc.js'

/** A port whose every method is async; `load` runs once, on the first call of any method. */
export function lazyPort<T extends object>(load: () => Promise<T>): T {
  let loaded: Promise<T> | undefined
  const method =
    (name: string) =>
    async (...args: unknown[]): Promise<unknown> => {
      const port = await (loaded ??= load())
      const call: unknown = Reflect.get(port, name)
      if (typeof call !== 'function') throw new TypeError(`no AWS operation ${name} on this port`)
      return Reflect.apply(call, port, args)
    }
  // `then` stays undefined, so awaiting a port never mistakes it for a promise
  return new Proxy<T>(Object.create(null), {get: (_target, name) => (typeof name === 'string' && name !== 'then' ? method(name) : undefined)})
}

/** The port's failed calls carry `operation` ("CloudFormation CreateStackSet"), for mapAwsError's message. */
export function namedPort<T extends object>(port: T, service: string): T {
  return new Proxy<T>(port, {
    get: (target, name) => {
      const value: unknown = Reflect.get(target, name)
      if (typeof value !== 'function' || typeof name !== 'string') return value
      const operation = `${service} ${name.charAt(0).toUpperCase()}${name.slice(1)}`
      return async (...args: unknown[]) => {
        try {
          return await Reflect.apply(value, target, args)
        } catch (error) {
          if (error && typeof error === 'object' && !('operation' in error)) Object.assign(error, {operation})
          throw error
        }
      }
    },
  })
}

export const ec2 = (ctx: ClientSource): Ec2 => lazyPort(async () => (await import('./ec2.js')).ec2(ctx))
export const ec2InstanceConnect = (ctx: ClientSource): Ec2InstanceConnect =>
  lazyPort(async () => (await import('./ec2-instance-connect.js')).ec2InstanceConnect(ctx))
export const sts = (ctx: ClientSource): Sts => lazyPort(async () => (await import('./sts.js')).sts(ctx))
export const iam = (ctx: ClientSource): Iam => lazyPort(async () => (await import('./iam.js')).iam(ctx))
export const cloudFormation = (ctx: ClientSource): CloudFormation => lazyPort(async () => (await import('./cloudformation.js')).cloudFormation(ctx))
export const organizations = (ctx: ClientSource): Organizations => lazyPort(async () => (await import('./organizations.js')).organizations(ctx))
export const ssoAdmin = (ctx: ClientSource): SsoAdmin => lazyPort(async () => (await import('./sso-admin.js')).ssoAdmin(ctx))
