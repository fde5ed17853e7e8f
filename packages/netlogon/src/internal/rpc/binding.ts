/**
 * A bound presentation context on one connection (C706 12.6.4.3 bind /
 * bind_ack) and calls over it: one request fragment out, response fragments
 * in until LAST_FRAG (C706 12.6.4.9-10), each fragment's auth verifier
 * checked by the security provider when there is one (MS-RPCE 2.2.2.11).
 * Calls are not concurrent; the caller serializes them.
 *
 * @since 0.1.0
 */
import { Data, Effect, Result } from "effect"
import {
  type AuthVerifier,
  decodePdu,
  encodePdu,
  MAX_FRAGMENT,
  NDR20,
  type Pdu,
  PfcFlags,
  RpcProtocolError,
  type SyntaxId
} from "./pdu.ts"
import type { RpcConnection, RpcTransportError } from "./transport.ts"

/**
 * The server answered a call with a fault PDU (C706 12.6.4.7).
 *
 * @since 0.1.0
 */
export class RpcFault extends Data.TaggedError("RpcFault")<{ readonly status: number }> {}

/**
 * A PDU's auth verifier did not verify (signature, sequence number or seal).
 *
 * @since 0.1.0
 */
export class RpcSecurityError extends Data.TaggedError("RpcSecurityError")<{ readonly reason: string }> {}

/** What a security provider (MS-RPCE 3.3.1.5.2) must do for a binding. */
export interface SecurityProvider {
  readonly authType: number
  readonly authLevel: number
  readonly bindToken: Uint8Array
  /** Length of the auth_value of every request (fixed). */
  readonly verifierLength: number
  readonly checkBindAck: (value: Uint8Array) => Result.Result<void, RpcSecurityError>
  /** Signs (and seals) stub+pad; returns the bytes to send and the auth_value. */
  readonly protect: (data: Uint8Array) => { readonly data: Uint8Array; readonly verifier: Uint8Array }
  /** Verifies (and unseals) a received stub+pad against its auth_value. */
  readonly unprotect: (data: Uint8Array, verifier: Uint8Array) => Result.Result<Uint8Array, RpcSecurityError>
  /** Zeroes the keys it holds. */
  readonly wipe: () => void
}

export type CallError = RpcTransportError | RpcProtocolError | RpcFault | RpcSecurityError

/** A bound interface: `call(opnum, stub)` answers the response's stub data. */
export interface Binding {
  readonly call: (opnum: number, stub: Uint8Array) => Effect.Effect<Uint8Array, CallError>
}

/** The largest response (all fragments) accepted. */
export const MAX_RESPONSE = 1 << 20
const AUTH_CONTEXT_ID = 1
const PRESENTATION_CONTEXT = 0
/** Stub padding for the auth verifier, relative to the stub (what Windows and Samba do). */
const AUTH_PAD = 16

const protocol = (reason: string) => new RpcProtocolError({ reason })

const receivePdu = (conn: RpcConnection): Effect.Effect<Pdu, RpcTransportError | RpcProtocolError> =>
  Effect.flatMap(conn.receive, (bytes) => Effect.fromResult(decodePdu(bytes)))

/**
 * Binds `abstract` over NDR20 on `conn`, with `security`'s auth verifier when
 * given, and answers the binding.
 *
 * @since 0.1.0
 */
export const bind = (
  conn: RpcConnection,
  abstract: SyntaxId,
  security?: SecurityProvider
): Effect.Effect<Binding, CallError> =>
  Effect.gen(function*() {
    let callId = 1
    const auth: AuthVerifier | undefined = security === undefined ? undefined : {
      authType: security.authType,
      authLevel: security.authLevel,
      padLength: 0,
      contextId: AUTH_CONTEXT_ID,
      value: security.bindToken
    }
    yield* conn.send(encodePdu({
      type: "bind",
      callId,
      assocGroup: 0,
      contextId: PRESENTATION_CONTEXT,
      abstract,
      transfer: NDR20,
      auth
    }))
    const ack = yield* receivePdu(conn)
    if (ack.type === "bind_nak") return yield* Effect.fail(protocol(`bind refused (reason ${ack.reason})`))
    if (ack.type !== "bind_ack" || ack.callId !== callId) return yield* Effect.fail(protocol("expected bind_ack"))
    if (ack.result !== 0) return yield* Effect.fail(protocol(`presentation context refused (reason ${ack.reason})`))
    if (security !== undefined) {
      // MS-RPCE 3.3.1.5.2.2: the bind_ack carries the provider's answer
      if (ack.auth === undefined || ack.auth.authType !== security.authType) {
        return yield* Effect.fail(new RpcSecurityError({ reason: "bind_ack without the security provider's answer" }))
      }
      yield* Effect.fromResult(security.checkBindAck(ack.auth.value))
    }
    const maxXmit = Math.min(ack.maxXmit, MAX_FRAGMENT)

    const call = (opnum: number, stub: Uint8Array): Effect.Effect<Uint8Array, CallError> =>
      Effect.gen(function*() {
        callId += 1
        const id = callId
        let body = stub
        let verifier: AuthVerifier | undefined
        if (security !== undefined) {
          const padLength = (AUTH_PAD - (stub.length % AUTH_PAD)) % AUTH_PAD
          const padded = new Uint8Array(stub.length + padLength)
          padded.set(stub)
          const out = security.protect(padded)
          body = out.data
          verifier = {
            authType: security.authType,
            authLevel: security.authLevel,
            padLength,
            contextId: AUTH_CONTEXT_ID,
            value: out.verifier
          }
        }
        const request = encodePdu({
          type: "request",
          callId: id,
          flags: PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG,
          allocHint: stub.length,
          contextId: PRESENTATION_CONTEXT,
          opnum,
          stub: body,
          auth: verifier
        })
        if (request.length > maxXmit) return yield* Effect.fail(protocol("request larger than one fragment"))
        yield* conn.send(request)
        const parts: Array<Uint8Array> = []
        let total = 0
        while (true) {
          const pdu = yield* receivePdu(conn)
          if (pdu.callId !== id) return yield* Effect.fail(protocol("reply to another call"))
          if (pdu.type === "fault") return yield* Effect.fail(new RpcFault({ status: pdu.status }))
          if (pdu.type !== "response") return yield* Effect.fail(protocol(`unexpected ${pdu.type} PDU`))
          if (parts.length === 0 && (pdu.flags & PfcFlags.FIRST_FRAG) === 0) {
            return yield* Effect.fail(protocol("first response fragment without FIRST_FRAG"))
          }
          let data = pdu.stub
          if (security !== undefined) {
            // MS-RPCE 3.3.1.5.2.2: every fragment carries its own verifier at the bound level
            if (pdu.auth === undefined || pdu.auth.authType !== security.authType || pdu.auth.authLevel !== security.authLevel) {
              return yield* Effect.fail(new RpcSecurityError({ reason: "response without the negotiated protection" }))
            }
            const clear = yield* Effect.fromResult(security.unprotect(pdu.stub, pdu.auth.value))
            data = clear.subarray(0, clear.length - pdu.auth.padLength)
          }
          total += data.length
          if (total > MAX_RESPONSE) return yield* Effect.fail(protocol("response too large"))
          parts.push(data)
          if ((pdu.flags & PfcFlags.LAST_FRAG) !== 0) break
        }
        const out = new Uint8Array(total)
        let at = 0
        for (const p of parts) {
          out.set(p, at)
          at += p.length
        }
        return out
      })
    return { call }
  })
