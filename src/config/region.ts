/**
 * What an AWS region name looks like: the one check for the configuration's admin.regions (schema.ts) and the
 * --region flag (src/cli/runtime.ts). No zod here: the fast start checks --region too.
 */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/
export const REGION_RULE = 'must be an AWS region name such as eu-west-1'

export const isRegionName = (region: string): boolean => REGION_PATTERN.test(region)
