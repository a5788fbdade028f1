/**
 * What every AWS-facing command does around its own work, with or without oclif: the global flags become an
 * AwsContext and a configuration, and an error becomes its message and exit code. BaseCommand (oclif) and the
 * fast entries (src/fast/) both go through here, so a command behaves the same whichever way it was started.
 */
import {AwsContext, type AwsContextOptions} from '../aws/clients.js'
import {loadConfigLazily} from '../config/lazy.js'
import type {LoadedConfig} from '../config/load.js'
import {REGION_RULE, isRegionName} from '../config/region.js'
import {SsmxError, bugError, errorJson, errorMessage, errorText, isAwsError, isSsmxError} from '../errors.js'

/** BaseCommand.baseFlags, parsed. */
export interface GlobalFlags {
  profile?: string
  region?: string
  'endpoint-url'?: string
  config?: string
  debug?: boolean
}

export type CommandStart = LoadedConfig & {ctx: AwsContext}

/**
 * The AWS service a command's --endpoint-url overrides, by its AWS_ENDPOINT_URL_<SERVICE> suffix: as with the AWS
 * CLI, the command's own service (the one it is about); the others keep their endpoints (AWS_ENDPOINT_URL_<SERVICE>
 * moves them). null: the command has no such service and refuses --endpoint-url.
 */
export type EndpointService = 'SSM' | 'STS' | 'CLOUDFORMATION' | 'SSO_ADMIN' | null

/** How help names each service --endpoint-url can override. */
export const ENDPOINT_SERVICE_NAMES: Record<Exclude<EndpointService, null>, string> = {
  SSM: 'SSM',
  STS: 'STS',
  CLOUDFORMATION: 'CloudFormation',
  SSO_ADMIN: 'IAM Identity Center (SSO Admin)',
}

/** --endpoint-url's help text on a command whose --endpoint-url overrides `service`. */
export const endpointUrlHelp = (service: EndpointService): string =>
  service
    ? `override the ${ENDPOINT_SERVICE_NAMES[service]} endpoint, like the AWS CLI's --endpoint-url (other services: AWS_ENDPOINT_URL_<SERVICE>, or AWS_ENDPOINT_URL for all)`
    : 'not taken by this command: set AWS_ENDPOINT_URL_<SERVICE> (or AWS_ENDPOINT_URL for all services) instead'

/**
 * What both start-ups (BaseCommand, the fast entries) check in the global flags before anything else: --region is an
 * AWS region name (the configuration's rule, config/region.ts), --endpoint-url is an http(s) URL and the command
 * has a service for it. A usage error otherwise, never a flag accepted and ignored.
 */
export function checkGlobalFlags(flags: GlobalFlags, command: {id: string; endpointService: EndpointService; callsAws?: boolean}): void {
  if (command.callsAws === false) {
    const given = (['profile', 'region', 'endpoint-url'] as const).filter((f) => flags[f] !== undefined)
    if (given.length > 0) {
      throw new SsmxError(
        'usage',
        `ssmx ${command.id.replaceAll(':', ' ')} calls no AWS service: ${given.map((f) => `--${f}`).join(', ')} would change nothing.`,
        ['Leave the flag out; the output depends only on the ssmx configuration (--config) and the ssmx version.'],
      )
    }
  }
  if (flags.region !== undefined && !isRegionName(flags.region)) {
    throw new SsmxError('usage', `--region ${JSON.stringify(flags.region)} is not an AWS region: it ${REGION_RULE}.`, [
      'List the regions: aws ec2 describe-regions --query "Regions[].RegionName", or see https://docs.aws.amazon.com/general/latest/gr/rande.html',
    ])
  }
  const url = flags['endpoint-url']
  if (url === undefined) return
  const name = `ssmx ${command.id.replaceAll(':', ' ')}`
  if (!command.endpointService) {
    throw new SsmxError('usage', `${name} does not take --endpoint-url: it has no AWS service of its own for the flag to override.`, [
      'Point a service elsewhere with AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_SSO_OIDC=https://…), or every service with AWS_ENDPOINT_URL.',
    ])
  }
  let scheme: string | undefined
  try {
    scheme = new URL(url).protocol
  } catch {
    scheme = undefined
  }
  if (scheme !== 'https:' && scheme !== 'http:') {
    throw new SsmxError('usage', `--endpoint-url ${JSON.stringify(url)} is not an http(s) URL.`, [
      `Give the full URL, for example https://${command.endpointService.toLowerCase().replaceAll('_', '-')}.eu-west-1.amazonaws.com`,
    ])
  }
}

/** What a command body gets from whoever started it (BaseCommand, or a fast entry): its start, and its two outputs. */
export interface CommandIo {
  /** the configuration and the AWS context (commandStart): a body calls it after checking its own arguments */
  start: () => Promise<CommandStart>
  note: (line: string) => void
  log: (line: string) => void
}

/** stderr line: progress, warnings, info. stdout is for results only. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`)
}

/** stdout line: a result. */
export function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

export function awsContextFor(flags: GlobalFlags, version: string, extra: Partial<AwsContextOptions> = {}): Promise<AwsContext> {
  return AwsContext.create({
    ...extra,
    profile: flags.profile,
    region: flags.region,
    endpointUrl: flags['endpoint-url'],
    endpointService: extra.endpointService ?? 'SSM',
    version,
    debug: flags.debug ? (line) => note(`[debug] ${line}`) : undefined,
    warn: note,
  })
}

/** The configuration and the AWS context, read in parallel: what most commands start with. */
export async function commandStart(flags: GlobalFlags, version: string, extra: Partial<AwsContextOptions> = {}): Promise<CommandStart> {
  const [loaded, ctx] = await Promise.all([loadConfigLazily({file: flags.config}), awsContextFor(flags, version, extra)])
  return {...loaded, ctx}
}

/**
 * Shows an error the way users meet every ssmx error (stderr, or an object on stdout with --json) and returns its
 * exit code: the one way a command ends non-zero. An error from AWS that nothing mapped is `internal` (1); any other
 * error that is not an SsmxError is a bug in ssmx, `bug` (70), with how to report it and, under --debug, its stack.
 */
export function reportError(error: unknown, options: {json?: boolean; debug?: boolean; printJson?: (value: unknown) => void} = {}): number {
  const e = asSsmxError(error)
  const printJson = options.printJson ?? ((value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`))
  if (options.json) {
    printJson(e.result !== undefined ? e.result : {error: errorJson(e)})
  } else if (!e.shown) {
    process.stderr.write(errorText(e))
  }
  if (options.debug && e.cause) {
    const stack = e.code === 'bug' && e.cause instanceof Error && e.cause.stack ? `\n${e.cause.stack}` : ''
    process.stderr.write(`[debug] cause: ${errorMessage(e.cause)}${stack}\n`)
  }
  return e.exitCode
}

/** Any thrown value as the SsmxError it is reported as. */
export function asSsmxError(error: unknown): SsmxError {
  if (isSsmxError(error)) return error
  if (isAwsError(error)) {
    return new SsmxError('internal', `AWS call failed: ${errorMessage(error)}`, ['Run again with --debug to see every AWS call.'], {cause: error})
  }
  return bugError(error)
}
