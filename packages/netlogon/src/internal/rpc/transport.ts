/**
 * ncacn_ip_tcp: DCE/RPC fragments over one TCP connection (MS-RPCE 2.1.1.1),
 * on effect's `Socket` (`NodeSocket.makeNet`). The connection lives in the
 * caller's scope; every wait (connect, each fragment) is bounded by a
 * time-out from Effect's clock.
 *
 * @since 0.1.0
 */
import { NodeSocket } from "@effect/platform-node"
import { Data, Duration, Effect, Queue } from "effect"
import type { Scope } from "effect"
import { Socket } from "effect/socket"
import { fragmentLength, HEADER_LENGTH, RpcProtocolError } from "./pdu.ts"

/**
 * The peer could not be reached, closed the connection or did not answer in
 * time.
 *
 * @since 0.1.0
 */
export class RpcTransportError extends Data.TaggedError("RpcTransportError")<{
  readonly host: string
  readonly port: number
  readonly reason: string
}> {}

/** One TCP connection carrying whole fragments. */
export interface RpcConnection {
  readonly host: string
  readonly port: number
  readonly send: (pdu: Uint8Array) => Effect.Effect<void, RpcTransportError>
  /** The next whole fragment (header checked by `fragmentLength`). */
  readonly receive: Effect.Effect<Uint8Array, RpcTransportError | RpcProtocolError>
  /**
   * False once the peer closed the connection or it failed, as far as has
   * been seen: a DC that closed an idle connection is noticed before a
   * request is written to it.
   */
  readonly isOpen: () => boolean
}

/** Batches of received bytes read ahead of the caller. */
const READ_AHEAD = 16

const describe = (error: Socket.SocketError): string => {
  const reason = error.reason
  if (reason._tag === "SocketCloseError") return "connection closed by the peer"
  const cause = "cause" in reason ? reason.cause : undefined
  return cause instanceof Error ? cause.message : reason.message
}

/**
 * Opens a connection to `host:port`, waiting at most `timeout` for the
 * connection and for each fragment.
 *
 * @since 0.1.0
 */
export const connect = (
  host: string,
  port: number,
  timeout: Duration.Duration
): Effect.Effect<RpcConnection, RpcTransportError, Scope.Scope> => {
  const transportError = (reason: string) => new RpcTransportError({ host, port, reason })
  const bounded = <A, E, R>(effect: Effect.Effect<A, E, R>, what: string) =>
    Effect.timeoutOrElse(effect, {
      duration: timeout,
      orElse: () => Effect.fail(transportError(`no ${what} within ${Duration.format(timeout)}`))
    })
  return Effect.gen(function*() {
    const socket = yield* NodeSocket.makeNet({ host, port, noDelay: true })
    const pull = yield* bounded(Socket.readerBytes(socket), "connection")
    const writer = yield* socket.writer
    // the connection is read all the time (a close is seen while idle); at most
    // READ_AHEAD batches wait, then TCP's own flow control holds the peer back
    let open = true
    const received = yield* Queue.bounded<ReadonlyArray<Uint8Array>, Socket.SocketError>(READ_AHEAD)
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(pull, (chunks) => Queue.offer(received, chunks))).pipe(
      Effect.catch((error) => {
        open = false
        return Queue.fail(received, error)
      })
    ))
    let pending = new Uint8Array(0)
    const take = (k: number): Uint8Array => {
      const out = pending.slice(0, k)
      pending = pending.slice(k)
      return out
    }
    /** Pulls until `pending` holds `k` bytes. */
    const fill = (k: number): Effect.Effect<void, Socket.SocketError> =>
      Effect.whileLoop({
        while: () => pending.length < k,
        body: () => Queue.take(received),
        step: (chunks) => {
          let size = pending.length
          for (const c of chunks) size += c.length
          const joined = new Uint8Array(size)
          joined.set(pending)
          let at = pending.length
          for (const c of chunks) {
            joined.set(c, at)
            at += c.length
          }
          pending = joined
        }
      })
    const receive = Effect.gen(function*() {
      yield* fill(HEADER_LENGTH)
      const length = yield* Effect.fromResult(fragmentLength(pending.subarray(0, HEADER_LENGTH)))
      yield* fill(length)
      return take(length)
    }).pipe(
      Effect.catchTag("SocketError", (e) => Effect.fail(transportError(describe(e)))),
      (e) => bounded(e, "reply")
    )
    return {
      host,
      port,
      send: (pdu: Uint8Array) =>
        open
          ? writer.write(pdu).pipe(Effect.mapError((e) => transportError(describe(e))), (e) => bounded(e, "write"))
          : Effect.fail(transportError("connection closed by the peer")),
      receive,
      isOpen: () => open
    } satisfies RpcConnection
  }).pipe(Effect.catchTag("SocketError", (e) => Effect.fail(transportError(describe(e)))))
}

