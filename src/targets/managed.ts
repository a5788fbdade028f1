/**
 * The managed-instance inventory as `ssmx list`, `ssmx ssh-config --names` and the picker load it: the SSM and EC2
 * clients of the command's AwsContext, loaded only now (so commands that never list start fast), and AWS errors
 * mapped with the profile.
 */
import type {AwsContext} from '../aws/clients.js'
import {mapAwsError} from '../aws/errors.js'
import type {InventoryItem, listInstances} from './inventory.js'

export type InventoryOptions = NonNullable<Parameters<typeof listInstances>[1]>

export async function managedInstances(ctx: AwsContext, options: InventoryOptions = {}): Promise<InventoryItem[]> {
  const [{ec2}, {ssm}, inventory] = await Promise.all([import('../aws/ports.js'), import('../aws/ssm.js'), import('./inventory.js')])
  try {
    return await inventory.listInstances({ssm: ssm(ctx), ec2: ec2(ctx)}, options)
  } catch (error) {
    throw mapAwsError(error, {profile: ctx.profile.name, operation: 'listing managed instances'})
  }
}
