/**
 * Per-connection handshake state of the server middleware: at most one
 * in-progress security context per connection, deleted (scope closed, so
 * deleteSecurityContextAsync runs) when the connection closes, when a new
 * handshake replaces it, or when the middleware shuts down.
 */
import type { Socket } from "node:net"
import { Effect, Exit, Scope, Semaphore } from "effect"
import type { SecurityContext } from "@effect-sspi/core"
import type { SchemeBinding } from "../AuthHeader.ts"
import { localCertificate } from "./nodeConnection.ts"

/** An unfinished handshake held on a connection. */
export interface Pending {
  readonly binding: SchemeBinding
  readonly context: SecurityContext.SecurityContext
  readonly scope: Scope.Closeable
}

/** One client connection. */
export class Connection {
  pending: Pending | undefined = undefined
  closed = false
  /** Serializes the handshake legs of pipelined requests. */
  readonly lock = Semaphore.makeUnsafe(1)
  constructor(readonly certificate: Uint8Array | undefined) {}
}

const release = (pending: Pending): Effect.Effect<void> => Scope.close(pending.scope, Exit.void)

/** The connections the middleware has seen, keyed by socket. */
export class Connections {
  readonly #bySocket = new WeakMap<object, Connection>()
  readonly #withPending = new Set<Connection>()
  /** Runs an effect from a socket event (with the middleware's services). */
  readonly #run: (effect: Effect.Effect<void>) => void

  constructor(run: (effect: Effect.Effect<void>) => void) {
    this.#run = run
  }

  /** The state of a socket's connection, created on first sight. */
  of(socket: Socket): Connection {
    const known = this.#bySocket.get(socket)
    if (known !== undefined) return known
    const connection = new Connection(localCertificate(socket))
    this.#bySocket.set(socket, connection)
    socket.once("close", () => {
      connection.closed = true
      this.#run(this.drop(connection))
    })
    if (socket.destroyed) connection.closed = true
    return connection
  }

  /** Keeps `pending` on the connection; deletes it at once if the connection has closed. */
  hold(connection: Connection, pending: Pending): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (connection.closed) return release(pending)
      connection.pending = pending
      this.#withPending.add(connection)
      return Effect.void
    })
  }

  /** Takes the pending handshake off the connection; the caller now owns it. */
  take(connection: Connection): Pending | undefined {
    const pending = connection.pending
    connection.pending = undefined
    this.#withPending.delete(connection)
    return pending
  }

  /** Deletes the connection's pending handshake, if any. */
  drop(connection: Connection): Effect.Effect<void> {
    return Effect.suspend(() => {
      const pending = this.take(connection)
      return pending === undefined ? Effect.void : release(pending)
    })
  }

  /** How many connections hold an unfinished handshake. */
  get pendingCount(): number {
    return this.#withPending.size
  }

  /** Deletes every pending handshake (shutdown). */
  readonly dropAll: Effect.Effect<void> = Effect.suspend(() =>
    Effect.forEach(Array.from(this.#withPending), (connection) => this.drop(connection), { discard: true })
  )
}
