/**
 * The replay cache: a service that remembers, for a bounded time, the
 * identifying digest of every token an acceptor must see only once (a
 * Kerberos authenticator, RFC 4120 section 3.2.3). Shared state behind a
 * service: the memory Layer here is the one-process default; a Redis Layer
 * (`@effect-sspi/redis`) shares it between processes. Nothing else changes
 * when the app swaps the Layer.
 *
 * @since 0.2.0
 */
import { Context, type Duration, type Effect } from "effect"
import type { InternalError, InsufficientMemory } from "./SecurityError.ts"

/**
 * Outcome of {@link ReplayCacheService.record}: `"Fresh"` when the key was not
 * known and is now recorded, `"Replay"` when it was already recorded and has
 * not expired.
 *
 * @since 0.2.0
 */
export type Verdict = "Fresh" | "Replay"

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
}

/**
 * The replay cache service.
 *
 * @since 0.2.0
 */
export class ReplayCache extends Context.Service<ReplayCache, ReplayCacheService>()(
  "@effect-sspi/core/ReplayCache"
) {}
