import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {terminalLoginOffer, withLoginOffer} from '../login/offer.js'
import {type InventoryItem, formatInventory, staleNote} from '../targets/inventory.js'
import {managedInstances} from '../targets/managed.js'

export default class List extends BaseCommand<typeof List> {
  static override summary = 'List the instances Session Manager can reach in this account and region.'
  static override description = `Every managed instance (SSM DescribeInstanceInformation) joined with EC2 for its Name tag, private IP and platform, with the agent's ping status. Agents that are not Online, or have not pinged for over 15 minutes, are marked "!": sessions to them will likely fail.

--filter matches name, id, IP, platform and ping status, fuzzily, like the picker. Anything in the NAME, ID or IP column works as a target for connect, forward and ssh.

Permissions: ssm:DescribeInstanceInformation and ec2:DescribeInstances. An instance missing here has no running SSM Agent, no instance profile with AmazonSSMManagedInstanceCore, or is in another region (--region).`
  static override examples = [
    {description: "Every managed instance in the profile's region", command: '<%= config.bin %> list'},
    {description: 'Only those whose name, id, IP, platform or status matches "web"', command: '<%= config.bin %> list --filter web --profile dev'},
    {description: 'Another region', command: '<%= config.bin %> list --region us-east-1'},
    {
      description: 'The ids of the instances whose agent is online',
      command: '<%= config.bin %> list --json | jq -r \'.[] | select(.pingStatus == "Online") | .id\'',
    },
  ]
  static override enableJsonFlag = true
  static override flags = {
    filter: Flags.string({char: 'f', description: 'only instances matching this text (name, id, IP, platform, ping status)'}),
  }

  async run(): Promise<InventoryItem[]> {
    const ctx = await this.awsContext()
    const items = await withLoginOffer(
      () => managedInstances(ctx, {filter: this.flags.filter}),
      terminalLoginOffer(ctx, (l) => this.note(l)),
    )
    if (!this.jsonEnabled()) {
      if (items.length === 0) this.note(this.flags.filter ? `No managed instance matches "${this.flags.filter}".` : `No managed instances in ${ctx.region}.`)
      for (const line of formatInventory(items)) this.log(line)
      const note = staleNote(items)
      if (note) this.note(note)
    }
    return items
  }
}
