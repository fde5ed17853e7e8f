/**
 * A TCP relay in front of the real DC's Netlogon port: every connection to
 * it is piped to 127.0.0.1:target; `sockets` lets a test drop them (a DC
 * that restarts or closes idle connections). With `tap`, it also parses the
 * DC's replies into PDUs, keeps the last sealed response, and can answer the
 * next call with that recorded one instead (call_id patched): a replay by a
 * man in the middle. With `cutAfterLogon`, it lets the next
 * NetrLogonSamLogonWithFlags request through to the DC and then cuts both
 * connections instead of passing the DC's reply on (once): a reply lost after
 * the DC ran the logon. `logonRequests` counts the logon requests the DC got.
 */
import * as Net from "node:net"
import { Result } from "effect"
import { Opnum } from "../../src/internal/nrpc/calls.ts"
import { fragmentLength, HEADER_LENGTH } from "../../src/internal/rpc/pdu.ts"
import { listen } from "./forgedDc.ts"

export interface Tap {
  /** The last response PDU that carried an auth verifier. */
  recorded: Uint8Array | undefined
  /** When set, the next sealed response is replaced by `recorded` (once). */
  replayNext: boolean
  /** When set, the reply to the next logon request is dropped and the connection cut (once). */
  cutAfterLogon?: boolean
  /** NetrLogonSamLogonWithFlags requests passed to the DC. */
  logonRequests?: number
}

/** Calls `each` with every whole PDU that arrives on `from`. */
const framed = (from: Net.Socket, each: (pdu: Uint8Array) => void) => {
  let pending = Buffer.alloc(0)
  from.on("data", (chunk) => {
    pending = Buffer.concat([pending, chunk])
    while (pending.length >= HEADER_LENGTH) {
      const length = fragmentLength(new Uint8Array(pending.subarray(0, HEADER_LENGTH)))
      if (Result.isFailure(length) || pending.length < length.success) return
      const pdu = new Uint8Array(pending.subarray(0, length.success))
      pending = pending.subarray(length.success)
      each(pdu)
    }
  })
}

export const start = (target: number, tap?: Tap) =>
  listen((socket) => {
    const upstream = Net.createConnection({ host: "127.0.0.1", port: target })
    socket.on("close", () => upstream.destroy())
    upstream.on("close", () => socket.destroy())
    upstream.on("error", () => socket.destroy())
    if (tap === undefined) {
      socket.pipe(upstream)
      upstream.pipe(socket)
      return
    }
    let cutOnReply = false
    framed(socket, (pdu) => {
      // a request (type 0) whose opnum (offset 22) is NetrLogonSamLogonWithFlags
      if (pdu[2] === 0 && new DataView(pdu.buffer).getUint16(22, true) === Opnum.SamLogonWithFlags) {
        tap.logonRequests = (tap.logonRequests ?? 0) + 1
        if (tap.cutAfterLogon === true) {
          tap.cutAfterLogon = false
          cutOnReply = true
        }
      }
      upstream.write(pdu)
    })
    framed(upstream, (reply) => {
      let pdu = reply
      if (cutOnReply) {
        socket.destroy()
        upstream.destroy()
        return
      }
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
    })
  })
