/**
 * The replay cache: a service that remembers, for a bounded time, the
 * identifying digest of every token an acceptor must see only once (a
 * Kerberos authenticator, RFC 4120 section 3.2.3). Shared state behind a
 * service: the memory Layer here is the one-process default; a Redis Layer
 * (`@effect-sspi/redis`) shares it between processes. Nothing else changes
 * when the app swaps the Layer.
 *
 * Expiry rule (one rule for every implementation): a key recorded at time
 * `t` with time-to-live `ttl` is a replay while `now < t + ttl` and forgotten
 * from `t + ttl` on (exclusive end, as Redis `SET … PX ttl NX`). The caller
 * chooses `ttl` so that the key outlives the last instant at which its token
 * could still be accepted (Kerberos: `ctime + skew - now + 1 ms`).
 *
 * @since 0.2.0
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { InsufficientMemory, type InternalError } from "./SecurityError.ts"

/**
 * Outcome of {@link ReplayCacheService.record}: `"Fresh"` when the key was not
 * known and is now recorded, `"Replay"` when it was already recorded and has
 * not expired.
 *
 * @since 0.2.0
 */
export type Verdict = "Fresh" | "Replay"

/**
 * Counters of a replay cache (what {@link ReplayCacheService.stats} reports).
 *
 * @since 0.2.0
 */
export interface ReplayCacheStats {
  /** Live entries now. */
  readonly size: number
  /** The most entries it holds (memory Layer). */
  readonly capacity: number
  /** Keys recorded ("Fresh" answers). */
  readonly fresh: number
  /** Replays refused. */
  readonly replays: number
  /** Entries dropped because their time-to-live ended. */
  readonly expired: number
  /** Live entries forgotten to make room (policy `"forgetSoonestExpiring"`). */
  readonly forgotten: number
  /** Keys refused because the cache was full (policy `"refuse"`). */
  readonly refused: number
}

/**
 * What a replay cache does. `record` is atomic: two concurrent calls with the
 * same key never both answer `"Fresh"`. A cache that cannot answer fails
 * closed with a typed error (never `"Fresh"` by default).
 *
 * @since 0.2.0
 */
export interface ReplayCacheService {
  /**
   * Records `key` (a digest of the token's identifying fields, never a
   * secret) for `ttl` unless it is already recorded.
   */
  readonly record: (
    key: Uint8Array,
    ttl: Duration.Duration
  ) => Effect.Effect<Verdict, InsufficientMemory | InternalError>
  /** Counters, where the implementation keeps them (the memory Layer does). */
  readonly stats?: Effect.Effect<ReplayCacheStats> | undefined
}

/**
 * The replay cache service.
 *
 * @since 0.2.0
 */
export class ReplayCache extends Context.Service<ReplayCache, ReplayCacheService>()(
  "@effect-sspi/core/ReplayCache"
) {}

/**
 * Options of the memory replay cache. The capacity is
 * `ceil(rate × window)` unless given: room for every key an acceptor taking
 * `rate` tokens per second must remember, each for at most `window`.
 *
 * @since 0.2.0
 */
export interface MemoryOptions {
  /** Sustained tokens per second it must remember without loss (default 1,000). */
  readonly rate?: number | undefined
  /**
   * The longest time-to-live asked (default 10 minutes: a Kerberos
   * authenticator stays acceptable from `now - skew` to `now + skew`, twice
   * the default 5-minute skew). Set it to twice the acceptor's clock skew.
   */
  readonly window?: Duration.Input | undefined
  /** The most entries held (overrides `rate × window`). */
  readonly capacity?: number | undefined
  /**
   * What to do when full of live entries (only past the sized rate):
   * `"forgetSoonestExpiring"` (default) forgets the live entry that expires
   * first (its replay window is the shortest left) and records the new key,
   * so honest clients are never locked out; `"refuse"` answers
   * SEC_E_INSUFFICIENT_MEMORY (fail closed: no replay window is reopened, but
   * every new client is refused until entries expire). Either is counted in
   * `stats` and logged as a warning (at most once a minute).
   */
  readonly whenFull?: "forgetSoonestExpiring" | "refuse" | undefined
}

/** Entries ordered by expiry (a binary min-heap over parallel arrays). */
class ExpiryHeap {
  readonly at: Array<number> = []
  readonly keys: Array<string> = []
  get size() {
    return this.at.length
  }
  push(at: number, key: string) {
    let i = this.at.length
    this.at.push(at)
    this.keys.push(key)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (this.at[parent]! <= at) break
      this.#swap(i, parent)
      i = parent
    }
  }
  pop() {
    const last = this.at.length - 1
    this.#swap(0, last)
    this.at.pop()
    const key = this.keys.pop()!
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < this.at.length && this.at[l]! < this.at[m]!) m = l
      if (r < this.at.length && this.at[r]! < this.at[m]!) m = r
      if (m === i) break
      this.#swap(i, m)
      i = m
    }
    return key
  }
  #swap(a: number, b: number) {
    const t = this.at[a]!
    this.at[a] = this.at[b]!
    this.at[b] = t
    const k = this.keys[a]!
    this.keys[a] = this.keys[b]!
    this.keys[b] = k
  }
}

const keyString = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.length).toString("latin1")

/**
 * A memory replay cache (one process), Clock-driven: an entry is dropped only
 * once its time-to-live has ended (it can no longer be replayed), except
 * under the `whenFull` policy. O(log n) per `record`.
 *
 * @since 0.2.0
 */
export const makeMemory = (options: MemoryOptions = {}): Effect.Effect<ReplayCacheService> =>
  Effect.sync(() => {
    const rate = options.rate ?? 1000
    const windowMs = Duration.toMillis(Duration.fromInputUnsafe(options.window ?? Duration.minutes(10)))
    const capacity = Math.max(1, Math.ceil(options.capacity ?? rate * windowMs / 1000))
    const policy = options.whenFull ?? "forgetSoonestExpiring"
    const entries = new Map<string, number>()
    const heap = new ExpiryHeap()
    const counts = { fresh: 0, replays: 0, expired: 0, forgotten: 0, refused: 0 }
    let lastWarning = -Infinity
    // drops heap entries whose time is up; a stale heap entry (the key was
    // re-recorded later with another expiry) only removes the map entry if
    // it still holds that expiry
    const drop = (now: number, full: boolean) => {
      while (heap.size > 0 && (heap.at[0]! <= now || full)) {
        const at = heap.at[0]!
        const key = heap.pop()
        if (entries.get(key) !== at) continue
        entries.delete(key)
        if (at <= now) counts.expired++
        else {
          counts.forgotten++
          return
        }
      }
    }
    const warn = (now: number) => {
      if (now - lastWarning < 60_000) return Effect.void
      lastWarning = now
      return Effect.logWarning(
        `replay cache full (${capacity} live entries): ${
          policy === "refuse" ? `${counts.refused} refused` : `${counts.forgotten} live entries forgotten`
        } so far; size it for a higher rate`
      )
    }
    const record = (key: Uint8Array, ttl: Duration.Duration) =>
      Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<Verdict, InsufficientMemory> => {
        const k = keyString(key)
        drop(now, false)
        const seen = entries.get(k)
        if (seen !== undefined && now < seen) {
          counts.replays++
          return Effect.succeed("Replay")
        }
        if (entries.size >= capacity) {
          if (policy === "refuse") {
            counts.refused++
            return Effect.andThen(warn(now), Effect.fail(new InsufficientMemory({ detail: "replay cache full" })))
          }
          drop(now, true)
          const expires = now + Duration.toMillis(ttl)
          entries.set(k, expires)
          heap.push(expires, k)
          counts.fresh++
          return Effect.as(warn(now), "Fresh")
        }
        const expires = now + Duration.toMillis(ttl)
        entries.set(k, expires)
        heap.push(expires, k)
        counts.fresh++
        return Effect.succeed("Fresh")
      })
    const stats = Effect.sync((): ReplayCacheStats => ({ size: entries.size, capacity, ...counts }))
    return ReplayCache.of({ record, stats })
  })

/**
 * The memory replay cache as a Layer (see {@link makeMemory}).
 *
 * @since 0.2.0
 */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<ReplayCache> =>
  Layer.effect(ReplayCache, makeMemory(options))
