/**
 * A spoofing "KDC" for the client-side attack tests: a TCP listener on
 * 127.0.0.1 that answers each request with what `answer` makes of it (an
 * attacker on the path forging KDC replies). Scoped: closed on release.
 */
import * as Net from "node:net"
import { Effect } from "effect"
import type { Scope } from "effect"

export const start = (
  answer: (request: Uint8Array, index: number) => Uint8Array
): Effect.Effect<{ readonly address: string }, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: Net.Server; address: string }, Error>((resume) => {
      let index = 0
      const server = Net.createServer((socket) => {
        let buffered = Buffer.alloc(0)
        socket.on("data", (chunk) => {
          buffered = Buffer.concat([buffered, chunk])
          if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) return
          const reply = Buffer.from(answer(new Uint8Array(buffered.subarray(4, 4 + buffered.readUInt32BE(0))), index++))
          const length = Buffer.alloc(4)
          length.writeUInt32BE(reply.length)
          socket.end(Buffer.concat([length, reply]))
        })
        socket.on("error", () => {})
      })
      server.once("error", (e) => resume(Effect.fail(e)))
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ server, address: `127.0.0.1:${(server.address() as Net.AddressInfo).port}` })))
    }),
    ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
  ).pipe(Effect.map(({ address }) => ({ address })))
