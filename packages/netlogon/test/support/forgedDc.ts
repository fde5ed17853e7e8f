/**
 * A forged domain controller for attack tests: one TCP port on 127.0.0.1
 * that answers the endpoint mapper's ept_map (with its own port),
 * NetrServerReqChallenge and NetrServerAuthenticate3 as told — a server
 * credential computed from the wrong key, or negotiate flags without AES.
 * Built from the package's own PDU and NDR encoders.
 */
import * as Net from "node:net"
import { Effect, Result, type Scope } from "effect"
import { NdrWriter } from "@effect-sspi/ndr"
import { NETLOGON } from "../../src/internal/nrpc/calls.ts"
import { computeNetlogonCredential, sessionKey } from "../../src/internal/nrpc/credential.ts"
import { tcpTower } from "../../src/internal/rpc/epm.ts"
import { decodePdu, encodePdu, fragmentLength } from "../../src/internal/rpc/pdu.ts"

export interface ForgedDcOptions {
  /** The NT hash the forged DC uses for the session key (the right one proves it knows the password). */
  readonly ntHash: Uint8Array
  /** The negotiate flags it answers. */
  readonly flags: number
}

const SERVER_CHALLENGE = Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2])

const eptMapReply = (port: number): Uint8Array => {
  const w = new NdrWriter.NdrWriter()
  w.bytes(new Uint8Array(20)).u32(1)
  const tower = tcpTower(NETLOGON, port, [127, 0, 0, 1])
  w.u32(4).u32(0).u32(1)
  w.pointer(tower, (w, t) => {
    w.u32(t.length).u32(t.length).bytes(t)
  })
  return w.u32(0).finish()
}

const answer = (options: ForgedDcOptions, port: number, state: { clientChallenge?: Uint8Array }, opnum: number, stub: Uint8Array) => {
  const w = new NdrWriter.NdrWriter()
  switch (opnum) {
    case 3:
      return eptMapReply(port)
    case 4:
      state.clientChallenge = stub.slice(stub.length - 8)
      return w.bytes(SERVER_CHALLENGE).u32(0).finish()
    case 26: {
      const key = sessionKey(options.ntHash, state.clientChallenge ?? new Uint8Array(8), SERVER_CHALLENGE)
      return w.bytes(computeNetlogonCredential(SERVER_CHALLENGE, key)).u32(options.flags).u32(1108).u32(0).finish()
    }
    default:
      return w.u32(0xc0000002).finish()
  }
}

/** Starts the forged DC; `port` serves both the endpoint mapper and Netlogon. */
export const start = (options: ForgedDcOptions): Effect.Effect<{ readonly port: number }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Net.Server; readonly sockets: Set<Net.Socket> }>((resume) => {
      const sockets = new Set<Net.Socket>()
      const server = Net.createServer((socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => socket.destroy())
        const state: { clientChallenge?: Uint8Array } = {}
        let pending = Buffer.alloc(0)
        socket.on("data", (chunk) => {
          pending = Buffer.concat([pending, chunk])
          while (pending.length >= 16) {
            const length = fragmentLength(new Uint8Array(pending.subarray(0, 16)))
            if (Result.isFailure(length) || pending.length < length.success) return
            const pdu = decodePdu(new Uint8Array(pending.subarray(0, length.success)))
            pending = pending.subarray(length.success)
            if (Result.isFailure(pdu)) return socket.destroy()
            const p = pdu.success
            const port = (server.address() as Net.AddressInfo).port
            if (p.type === "bind") {
              socket.write(encodePdu({ type: "bind_ack", callId: p.callId, maxXmit: 5840, maxRecv: 5840, assocGroup: 1, result: 0, reason: 0 }))
            } else if (p.type === "request") {
              const stub = answer(options, port, state, p.opnum, p.stub)
              socket.write(encodePdu({ type: "response", callId: p.callId, flags: 3, allocHint: stub.length, contextId: 0, stub }))
            }
          }
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, sockets })))
    }),
    ({ server, sockets }) =>
      Effect.sync(() => {
        for (const socket of sockets) socket.destroy()
        server.close()
      })
  ).pipe(Effect.map(({ server }) => ({ port: (server.address() as Net.AddressInfo).port })))
