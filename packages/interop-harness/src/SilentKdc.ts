/**
 * A TCP "KDC" on 127.0.0.1 that accepts connections and never answers: for
 * time-out tests under TestClock. Its sockets are destroyed on release.
 */
import * as Net from "node:net"
import { Effect, type Scope } from "effect"

/** Starts the silent KDC; its address is `127.0.0.1:port`. */
export const start: Effect.Effect<{ readonly port: number; readonly address: string }, never, Scope.Scope> =
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Net.Server; readonly sockets: Set<Net.Socket> }>((resume) => {
      const sockets = new Set<Net.Socket>()
      const server = Net.createServer((socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, sockets })))
    }),
    ({ server, sockets }) =>
      Effect.sync(() => {
        for (const socket of sockets) socket.destroy()
        server.close()
      })
  ).pipe(Effect.map(({ server }) => {
    const port = (server.address() as Net.AddressInfo).port
    return { port, address: `127.0.0.1:${port}` }
  }))
