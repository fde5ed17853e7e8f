/**
 * A TCP relay in front of the real DC's Netlogon port: every connection to
 * it is piped to 127.0.0.1:target; `sockets` lets a test drop them (a DC
 * that restarts or closes idle connections). With `tap`, it also parses the
 * DC's replies into PDUs, keeps the last sealed response, and can answer the
 * next call with that recorded one instead (call_id patched): a replay by a
 * man in the middle.
 */
import * as Net from "node:net"
import { Result } from "effect"
import { fragmentLength, HEADER_LENGTH } from "../../src/internal/rpc/pdu.ts"
import { listen } from "./forgedDc.ts"

export interface Tap {
  /** The last response PDU that carried an auth verifier. */
  recorded: Uint8Array | undefined
  /** When set, the next sealed response is replaced by `recorded` (once). */
  replayNext: boolean
}

export const start = (target: number, tap?: Tap) =>
  listen((socket) => {
    const upstream = Net.createConnection({ host: "127.0.0.1", port: target })
    socket.pipe(upstream)
    socket.on("close", () => upstream.destroy())
    upstream.on("close", () => socket.destroy())
    upstream.on("error", () => socket.destroy())
    if (tap === undefined) {
      upstream.pipe(socket)
      return
    }
    let pending = Buffer.alloc(0)
    upstream.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= HEADER_LENGTH) {
        const length = fragmentLength(new Uint8Array(pending.subarray(0, HEADER_LENGTH)))
        if (Result.isFailure(length) || pending.length < length.success) return
        let pdu = new Uint8Array(pending.subarray(0, length.success))
        pending = pending.subarray(length.success)
        const sealedResponse = pdu[2] === 2 && new DataView(pdu.buffer).getUint16(10, true) > 0
        if (sealedResponse && tap.replayNext && tap.recorded !== undefined) {
          const callId = new DataView(pdu.buffer).getUint32(12, true)
          pdu = tap.recorded.slice()
          new DataView(pdu.buffer).setUint32(12, callId, true)
          tap.replayNext = false
        } else if (sealedResponse) {
          tap.recorded = pdu
        }
        socket.write(pdu)
      }
    })
  })
