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

/** Answers the PDUs arriving on `socket`: bind → bind_ack; request → response with `answer`'s stub. */
export const servePdus = (socket: Net.Socket, answer: (opnum: number, stub: Uint8Array) => Uint8Array): void => {
  let pending = Buffer.alloc(0)
  socket.on("error", () => socket.destroy())
  socket.on("data", (chunk) => {
    pending = Buffer.concat([pending, chunk])
    while (pending.length >= 16) {
      const length = fragmentLength(new Uint8Array(pending.subarray(0, 16)))
      if (Result.isFailure(length) || pending.length < length.success) return
      const pdu = decodePdu(new Uint8Array(pending.subarray(0, length.success)))
      pending = pending.subarray(length.success)
      if (Result.isFailure(pdu)) return socket.destroy()
      const p = pdu.success
      if (p.type === "bind") {
        socket.write(encodePdu({ type: "bind_ack", callId: p.callId, maxXmit: 5840, maxRecv: 5840, assocGroup: 1, result: 0, reason: 0 }))
      } else if (p.type === "request") {
        const stub = answer(p.opnum, p.stub)
        socket.write(encodePdu({ type: "response", callId: p.callId, flags: 3, allocHint: stub.length, contextId: 0, stub }))
      }
    }
  })
}

/** A TCP server on 127.0.0.1 whose connections `onConnection` handles; destroyed on release. */
export const listen = (
  onConnection: (socket: Net.Socket, port: number) => void
): Effect.Effect<{ readonly port: number; readonly sockets: Set<Net.Socket>; readonly accepted: () => number }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Net.Server; readonly sockets: Set<Net.Socket>; readonly count: { n: number } }>((resume) => {
      const sockets = new Set<Net.Socket>()
      const count = { n: 0 }
      const server = Net.createServer((socket) => {
        count.n++
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        onConnection(socket, (server.address() as Net.AddressInfo).port)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, sockets, count })))
    }),
    ({ server, sockets }) =>
      Effect.sync(() => {
        for (const socket of sockets) socket.destroy()
        server.close()
      })
  ).pipe(Effect.map(({ server, sockets, count }) => ({
    port: (server.address() as Net.AddressInfo).port,
    sockets,
    accepted: () => count.n
  })))

/** Starts the forged DC; `port` serves both the endpoint mapper and Netlogon. */
export const start = (options: ForgedDcOptions): Effect.Effect<{ readonly port: number }, never, Scope.Scope> =>
  listen((socket, port) => {
    const state: { clientChallenge?: Uint8Array } = {}
    servePdus(socket, (opnum, stub) => answer(options, port, state, opnum, stub))
  })

/**
 * An endpoint mapper that sends Netlogon to `port` (a relay in front of the
 * real DC), answering ept_map only.
 */
export const endpointMapper = (port: number) => listen((socket) => servePdus(socket, () => eptMapReply(port)))
