/**
 * The handshake store: where an acceptor parks the state of an unfinished
 * multi-leg handshake (NTLM between CHALLENGE and AUTHENTICATE) so that any
 * process, and any connection, can finish it. An entry lives for a TTL and is
 * taken exactly once. Shared state behind a service: the memory Layer here
 * is the one-process default (bounded: at most `maxPending` entries, the
 * oldest evicted first, counted in {@link Stats}); a Redis Layer
 * (`@effect-sspi/redis`) shares it between processes.
 *
 * A missing, expired, already taken or unreadable entry is `Option.none()`;
 * the acceptor answers it with SEC_E_INVALID_TOKEN ({@link takeOrInvalidToken}).
 *
 * @since 0.2.0
 */
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import { InsufficientMemory, type InternalError, InvalidToken } from "./SecurityError.ts"

/**
 * Counters of one store instance (this process). `pending` is known only to
 * stores that hold their entries themselves (memory).
 *
 * @since 0.2.0
 */
export interface Stats {
  /** Entries stored by `put`. */
  readonly stored: number
  /** Entries handed out by `take`. */
  readonly taken: number
  /** `take` calls that found nothing (never stored, expired, taken, unreadable). */
  readonly missing: number
  /** Live entries dropped because the store was full (oldest first). */
  readonly evicted: number
  /** Entries dropped after their TTL. */
  readonly expired: number
  /** Entries held now, where the store knows it. */
  readonly pending?: number
}

/**
 * What a handshake store does. `take` is atomic: of two concurrent takes of
 * one id at most one gets the bytes.
 *
 * @since 0.2.0
 */
export interface HandshakeStoreService {
  /** Stores `bytes` (copied) under `id` for `ttl`. */
  readonly put: (
    id: string,
    bytes: Uint8Array,
    ttl: Duration.Duration
  ) => Effect.Effect<void, InsufficientMemory | InternalError>
  /**
   * Stores `bytes` (copied) under `id` for `ttl` only if `id` holds no live
   * entry: `true` when stored, `false` when another entry holds the id (it is
   * left as it is). Atomic, so that an acceptor whose id collides with another
   * pending handshake's (anywhere that shares the store) can draw a new id
   * instead of overwriting it.
   *
   * @since 0.2.0
   */
  readonly putIfAbsent: (
    id: string,
    bytes: Uint8Array,
    ttl: Duration.Duration
  ) => Effect.Effect<boolean, InsufficientMemory | InternalError>
  /** Removes and returns the entry of `id`; `Option.none()` when there is none. */
  readonly take: (id: string) => Effect.Effect<Option.Option<Uint8Array>, InternalError>
  /** This instance's counters. */
  readonly stats: Effect.Effect<Stats>
}

/**
 * The handshake store service.
 *
 * @since 0.2.0
 */
export class HandshakeStore extends Context.Service<HandshakeStore, HandshakeStoreService>()(
  "@effect-sspi/core/HandshakeStore"
) {}

/**
 * Takes the entry of `id`; a missing one is SEC_E_INVALID_TOKEN (the
 * AUTHENTICATE names a handshake this service does not hold: MS-NLMP 3.2.5.1.2
 * has no state to check it against).
 *
 * @since 0.2.0
 */
export const takeOrInvalidToken = (
  id: string
): Effect.Effect<Uint8Array, InvalidToken | InternalError, HandshakeStore> =>
  HandshakeStore.use((store) => store.take(id)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new InvalidToken({ detail: "no pending handshake for this message (unknown, expired or already used)" })),
      onSome: Effect.succeed
    }))
  )

/**
 * Options of {@link layerMemory}.
 *
 * @since 0.2.0
 */
export interface MemoryOptions {
  /** At most this many pending entries; a `put` beyond evicts the oldest (default 10,000). */
  readonly maxPending?: number | undefined
  /** A larger entry is refused with SEC_E_INSUFFICIENT_MEMORY (default 16 KiB). */
  readonly maxEntryBytes?: number | undefined
}

interface Entry {
  readonly bytes: Uint8Array
  readonly expiresAt: number
}

/**
 * The in-memory store of one process: TTLs read Effect's `Clock`, memory is
 * bounded by `maxPending` × `maxEntryBytes`, and every entry still held is
 * zeroed when the Layer's scope closes.
 *
 * @since 0.2.0
 */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<HandshakeStore> =>
  Layer.effect(HandshakeStore, makeMemory(options))

const makeMemory = Effect.fnUntraced(function*(options: MemoryOptions) {
  const maxPending = Math.max(1, options.maxPending ?? 10_000)
  const maxEntryBytes = options.maxEntryBytes ?? 16 * 1024
  // Map keeps insertion order: the first key is the oldest entry.
  const entries = new Map<string, Entry>()
  const counts = { stored: 0, taken: 0, missing: 0, evicted: 0, expired: 0 }
  const drop = (id: string, entry: Entry) => {
    entries.delete(id)
    entry.bytes.fill(0)
  }
  yield* Effect.addFinalizer(() => Effect.sync(() => entries.forEach((entry, id) => drop(id, entry))))

  const store = (id: string, bytes: Uint8Array, ttl: Duration.Duration, ifAbsent: boolean) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (bytes.length > maxEntryBytes) {
        return Effect.fail(new InsufficientMemory({ detail: `handshake state of ${bytes.length} bytes exceeds ${maxEntryBytes}` }))
      }
      const previous = entries.get(id)
      // a live entry keeps its id against putIfAbsent; an expired one is replaced
      if (ifAbsent && previous !== undefined && previous.expiresAt > now) return Effect.succeed(false)
      if (previous !== undefined) drop(id, previous)
      // Expired entries at the old end go first, then live ones while full.
      for (const [oldId, old] of entries) {
        if (old.expiresAt > now) break
        drop(oldId, old)
        counts.expired++
      }
      for (const [oldId, old] of entries) {
        if (entries.size < maxPending) break
        drop(oldId, old)
        counts.evicted++
      }
      entries.set(id, { bytes: bytes.slice(), expiresAt: now + Duration.toMillis(ttl) })
      counts.stored++
      return Effect.succeed(true)
    })

  const take = (id: string) =>
    Effect.map(Clock.currentTimeMillis, (now): Option.Option<Uint8Array> => {
      const entry = entries.get(id)
      if (entry === undefined) {
        counts.missing++
        return Option.none()
      }
      entries.delete(id)
      if (entry.expiresAt <= now) {
        entry.bytes.fill(0)
        counts.expired++
        counts.missing++
        return Option.none()
      }
      counts.taken++
      return Option.some(entry.bytes)
    })

  return HandshakeStore.of({
    put: (id, bytes, ttl) => Effect.asVoid(store(id, bytes, ttl, false)),
    putIfAbsent: (id, bytes, ttl) => store(id, bytes, ttl, true),
    take,
    stats: Effect.sync(() => ({ ...counts, pending: entries.size }))
  })
})
