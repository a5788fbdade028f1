import type {Client, Command, MetadataBearer} from '@smithy/types'

/**
 * One port method per SDK command: `operation(client)(XCommand)` is `(input) => client.send(new XCommand(input))`,
 * typed with the command's own input and output.
 */
export const operation =
  <CI extends object, CO extends MetadataBearer, R>(client: Client<CI, CO, R>) =>
  <I extends CI, O extends CO>(Ctor: new (input: I) => Command<CI, I, CO, O, R>) =>
  (input: I): Promise<O> =>
    client.send(new Ctor(input))
