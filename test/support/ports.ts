import {connect, createServer} from 'node:net'

import {until} from './until.js'

/** A port nothing listens on: bound, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * Writes `data` to 127.0.0.1:`port` (a forwarded port in front of an echo server) and resolves with what came back
 * once as many bytes have; `detail` explains a timeout.
 */
export async function echoThrough(port: number, data: Buffer, detail?: () => string): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1')
  const got: Buffer[] = []
  let n = 0
  socket.on('data', (d: Buffer) => (got.push(d), (n += d.length)))
  socket.write(data)
  try {
    await until('the echo', () => n >= data.length, 20_000, detail)
  } finally {
    socket.destroy()
  }
  return Buffer.concat(got)
}
