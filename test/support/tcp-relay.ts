import { createServer, type Server, Socket } from 'node:net'

/**
 * A TCP relay in front of the PostgreSQL server that can be cut (every connection dropped, new ones
 * refused) and restored: the real errors postgres.js raises when a database restarts.
 */
export async function relayTo(target: URL) {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = new Socket()
        sockets.add(client)
        sockets.add(upstream)
        const drop = () => {
          client.destroy()
          upstream.destroy()
          sockets.delete(client)
          sockets.delete(upstream)
        }
        client.on('error', drop).on('close', drop)
        upstream.on('error', drop).on('close', drop)
        upstream.connect(Number(target.port || 5432), target.hostname, () => {
          client.pipe(upstream)
          upstream.pipe(client)
        })
      })
      s.once('error', reject)
      s.listen(port, '127.0.0.1', () => {
        server = s
        const address = s.address()
        resolve(typeof address === 'object' && address ? address.port : port)
      })
    })
  const port = await listen(0)
  const through = new URL(target)
  through.hostname = '127.0.0.1'
  through.port = String(port)
  return {
    port,
    /** The target's URL, through the relay. */
    url: through.toString(),
    async cut() {
      const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
      server = undefined
      for (const socket of sockets) socket.destroy()
      sockets.clear()
      await closed
    },
    restore: () => listen(port),
    close() {
      return this.cut()
    },
  }
}
