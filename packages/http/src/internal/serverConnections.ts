/**
 * Per-connection handshake state of the server middleware: at most one
 * in-progress security context per connection, deleted (scope closed, so
 * deleteSecurityContextAsync runs) when the connection closes, when a new
 * handshake replaces it, when it is shed, or when the middleware shuts down.
 *
 * Pending handshakes are bounded (issue 9 D8): per server, per client
 * address, and in time. When a bound is reached the OLDEST pending
 * handshake is shed (deleted), never the new one: an honest handshake
 * finishes in two legs within milliseconds, so shedding the oldest costs an
 * honest client at most a retry, while refusing new ones would let whoever
 * holds the slots lock everybody out. The per-client bound sheds that
 * client's own oldest first, so one address cannot evict others until the
 * server-wide bound is reached.
 *
 * A kept (authenticated) connection never outlives its security context:
 * its lifespan end (SECPKG_ATTR_LIFESPAN, a Kerberos ticket's end time) is
 * stored when it is kept and compared with effect's `Clock` on every later
 * request; past it the connection is no longer authenticated (the request
 * gets the 401 challenge and a new handshake) and the sweep deletes the
 * context.
 */
import type { Socket } from "node:net"
import { Clock, Effect, Exit, Scope, Semaphore } from "effect"
import type { SecurityContext, SspiRuntime } from "@effect-sspi/core"
import type { SchemeBinding } from "../AuthHeader.ts"
import { localCertificate } from "./nodeConnection.ts"

/** An unfinished handshake held on a connection. */
export interface Pending {
  readonly binding: SchemeBinding
  readonly context: SecurityContext.SecurityContext
  readonly scope: Scope.Closeable
}

/**
 * A finished handshake kept on its connection (connection-bound
 * authentication, as IIS): later requests without an Authorization header
 * are this principal's; released when the connection closes, when the client
 * starts over, or at shutdown.
 */
export interface Authenticated<P> {
  readonly principal: P
  readonly context: SecurityContext.SecurityContext
  readonly scope: Scope.Closeable
  /**
   * When the context's lifetime ends (milliseconds since the epoch, `Clock`
   * time): the final leg's expiry. Unset: queried (SECPKG_ATTR_LIFESPAN).
   */
  readonly expiry?: number | undefined
}

/** A kept handshake, its lifespan end, and the Clock that tells the time of later requests. */
interface Kept {
  readonly authenticated: Authenticated<unknown>
  readonly expiry: number
  readonly clock: Clock.Clock
}

/** The bounds on held handshakes. */
export interface PendingLimits {
  /** Per server. */
  readonly max: number
  /** Per client address. */
  readonly maxPerClient: number
  /** A handshake held longer than this (since its last leg) is deleted. */
  readonly timeoutMs: number
}

/** Why a pending handshake was shed. */
export type ShedReason = "capacity" | "perClient" | "timedOut"

/** How many pending handshakes were shed, by reason. */
export type ShedCounts = { -readonly [K in ShedReason]: number }

/** One client connection. */
export class Connection {
  pending: Pending | undefined = undefined
  /** Set by {@link Connections.keep} and {@link Connections.forget} only. */
  kept: Kept | undefined = undefined
  /**
   * The finished handshake this connection is authenticated by, if kept and
   * its context has not expired at the Clock's current time (RFC 4120 5.3:
   * a ticket "will not be honored" after its endtime, which is the context's SECPKG_ATTR_LIFESPAN end).
   */
  get authenticated(): Authenticated<unknown> | undefined {
    const kept = this.kept
    return kept !== undefined && kept.clock.currentTimeMillisUnsafe() < kept.expiry ? kept.authenticated : undefined
  }
  /** Clock time of the last leg that left `pending` held. */
  heldSince = 0
  closed = false
  /** Serializes the handshake legs of pipelined requests. */
  readonly lock = Semaphore.makeUnsafe(1)
  constructor(readonly certificate: Uint8Array | undefined, readonly address: string) {}
}

const release = (pending: Pending): Effect.Effect<void> => Scope.close(pending.scope, Exit.void)

/** The connections the middleware has seen, keyed by socket. */
export class Connections {
  readonly #bySocket = new WeakMap<object, Connection>()
  /** Connections holding a handshake, oldest hold first (a hold re-inserts). */
  readonly #withPending = new Set<Connection>()
  readonly #byAddress = new Map<string, Set<Connection>>()
  /** Connections keeping a finished handshake. */
  readonly #authenticated = new Set<Connection>()
  /** Runs an effect from a socket event (with the middleware's services). */
  readonly #run: (effect: Effect.Effect<void, never, SspiRuntime.SspiRuntime>) => void
  readonly #limits: PendingLimits
  readonly shed: ShedCounts = { capacity: 0, perClient: 0, timedOut: 0 }

  constructor(run: (effect: Effect.Effect<void, never, SspiRuntime.SspiRuntime>) => void, limits: PendingLimits) {
    this.#run = run
    this.#limits = limits
  }

  /** The state of a socket's connection, created on first sight. */
  of(socket: Socket): Connection {
    const known = this.#bySocket.get(socket)
    if (known !== undefined) return known
    const connection = new Connection(localCertificate(socket), socket.remoteAddress ?? "")
    this.#bySocket.set(socket, connection)
    socket.once("close", () => {
      connection.closed = true
      this.#run(Effect.andThen(this.drop(connection), this.forget(connection)))
    })
    if (socket.destroyed) connection.closed = true
    return connection
  }

  /**
   * Keeps `pending` on the connection (deleted at once if the connection
   * has closed), first shedding what the bounds require.
   */
  hold(connection: Connection, pending: Pending, now: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (connection.closed) return release(pending)
      const victims = this.#expired(now)
      const own = this.#byAddress.get(connection.address)
      while (own !== undefined && own.size >= this.#limits.maxPerClient) victims.push(this.#shedOldest(own, "perClient"))
      while (this.#withPending.size >= this.#limits.max) victims.push(this.#shedOldest(this.#withPending, "capacity"))
      connection.pending = pending
      connection.heldSince = now
      this.#withPending.add(connection)
      const set = own ?? new Set<Connection>()
      set.add(connection)
      this.#byAddress.set(connection.address, set)
      return this.#releaseShed(victims)
    })
  }

  /** Deletes every handshake held longer than the time-out, and every kept context past its lifespan. */
  sweep(now: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      const ended = Array.from(this.#authenticated).filter((c) => c.kept !== undefined && !(now < c.kept.expiry))
      return Effect.andThen(
        this.#releaseShed(this.#expired(now)),
        Effect.forEach(ended, (c) => this.forget(c), { discard: true })
      )
    })
  }

  #expired(now: number): Array<Shed> {
    const victims: Array<Shed> = []
    for (const connection of this.#withPending) {
      if (now - connection.heldSince < this.#limits.timeoutMs) break // oldest first: the rest are younger
      victims.push({ connection, reason: "timedOut", pending: this.take(connection)! })
    }
    return victims
  }

  #shedOldest(set: Set<Connection>, reason: ShedReason): Shed {
    const connection = set.values().next().value!
    return { connection, reason, pending: this.take(connection)! }
  }

  #releaseShed(victims: ReadonlyArray<Shed>): Effect.Effect<void> {
    if (victims.length === 0) return Effect.void
    return Effect.forEach(victims, ({ connection, pending, reason }) => {
      this.shed[reason]++
      return release(pending).pipe(
        Effect.andThen(Effect.logWarning("pending handshake shed").pipe(
          Effect.annotateLogs({ reason, client: connection.address, scheme: pending.binding.scheme })
        ))
      )
    }, { discard: true })
  }

  /** Takes the pending handshake off the connection; the caller now owns it. */
  take(connection: Connection): Pending | undefined {
    const pending = connection.pending
    connection.pending = undefined
    this.#withPending.delete(connection)
    const set = this.#byAddress.get(connection.address)
    if (set !== undefined && set.delete(connection) && set.size === 0) this.#byAddress.delete(connection.address)
    return pending
  }

  /** Deletes the connection's pending handshake, if any. */
  drop(connection: Connection): Effect.Effect<void> {
    return Effect.suspend(() => {
      const pending = this.take(connection)
      return pending === undefined ? Effect.void : release(pending)
    })
  }

  /**
   * Keeps a finished handshake on the connection until its context's
   * lifespan ends (released at once if the connection has closed, or if the
   * lifespan is unknown or already over), releasing the one it replaces.
   */
  keep(connection: Connection, authenticated: Authenticated<unknown>): Effect.Effect<void> {
    return Clock.clockWith((clock) =>
      Effect.flatMap(this.#lifespanEnd(authenticated), (expiry) =>
        Effect.suspend(() => {
          const previous = connection.kept?.authenticated
          // fail closed: a context whose end is unknown or past is not kept (the next request hand-shakes)
          if (connection.closed || expiry === undefined || !(clock.currentTimeMillisUnsafe() < expiry)) {
            return Effect.andThen(this.forget(connection), Scope.close(authenticated.scope, Exit.void))
          }
          connection.kept = { authenticated, expiry, clock }
          this.#authenticated.add(connection)
          return previous === undefined || previous === authenticated ? Effect.void : Scope.close(previous.scope, Exit.void)
        }))
    )
  }

  /** The context's lifespan end: given, else SECPKG_ATTR_LIFESPAN (with the middleware's services); undefined if unknown. */
  #lifespanEnd(authenticated: Authenticated<unknown>): Effect.Effect<number | undefined> {
    if (authenticated.expiry !== undefined) return Effect.succeed(authenticated.expiry)
    return Effect.callback<number | undefined>((resume) => {
      this.#run(authenticated.context.query("Lifespan").pipe(
        Effect.map((lifespan) => lifespan.expiry),
        // an error or an interruption (shutdown) is an unknown lifespan: not kept
        Effect.onExit((exit) => Effect.sync(() => resume(Effect.succeed(Exit.isSuccess(exit) ? exit.value : undefined)))),
        Effect.ignore
      ))
    })
  }

  /** Releases the connection's kept handshake, if any. */
  forget(connection: Connection): Effect.Effect<void> {
    return Effect.suspend(() => {
      const authenticated = connection.kept?.authenticated
      connection.kept = undefined
      this.#authenticated.delete(connection)
      return authenticated === undefined ? Effect.void : Scope.close(authenticated.scope, Exit.void)
    })
  }

  /** How many connections keep a finished handshake. */
  get authenticatedCount(): number {
    return this.#authenticated.size
  }

  /** How many connections hold an unfinished handshake. */
  get pendingCount(): number {
    return this.#withPending.size
  }

  /** How many client addresses hold one. */
  get pendingClients(): number {
    return this.#byAddress.size
  }

  /** Deletes every pending handshake (shutdown). */
  readonly dropAll: Effect.Effect<void> = Effect.suspend(() =>
    Effect.forEach(
      [...Array.from(this.#withPending, (c) => this.drop(c)), ...Array.from(this.#authenticated, (c) => this.forget(c))],
      (release) => release,
      { discard: true }
    )
  )
}

interface Shed {
  readonly connection: Connection
  readonly reason: ShedReason
  readonly pending: Pending
}
