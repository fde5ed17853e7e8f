/**
 * The replay cache (`@effect-sspi/core`'s `ReplayCache`) in Redis, shared by
 * every process that uses the same Redis and prefix. One command per record:
 *
 *   SET <prefix><digest as hex> 1 NX PX <ttl ms>
 *
 * Redis runs it atomically (one key, NX): of any number of concurrent records
 * of one digest, in any number of processes, exactly one answers `OK`
 * (`"Fresh"`); the others get nil (`"Replay"`). The value is the constant `1`
 * and the key is the digest the acceptor computed: nothing secret is stored.
 *
 * When Redis does not answer within the time-out, refuses the command, or
 * answers anything else, `record` fails closed with SEC_E_INTERNAL_ERROR
 * naming the server and what happened, never `"Fresh"`. An app may opt into a
 * fall-back cache instead (`onUnavailable: <a ReplayCache Layer>`, e.g. the
 * memory one): while Redis is away this process then accepts a token that
 * another process may also accept (a replay across processes goes unseen
 * for that time); every digest is also recorded in the fall-back, so a token
 * recorded there during an outage is still a replay here after Redis is back.
 *
 * @since 0.2.0
 */
import { Layer, type Scope } from "effect";
import { Redis } from "effect/persistence/Redis";
import { ReplayCache } from "@effect-sspi/core";
import { type CallOptions } from "./internal/call.ts";
/**
 * Options of {@link layer}.
 *
 * @since 0.2.0
 */
export interface Options extends CallOptions {
    /** Prepended to every key (default `effect-sspi:replay:`). */
    readonly prefix?: string | undefined;
    /** How the digest is written into the key (default `hex`). */
    readonly keyEncoding?: "hex" | "base64" | undefined;
}
/**
 * What `record` does when Redis cannot answer: `"fail"` (default,
 * SEC_E_INTERNAL_ERROR) or a Layer of another ReplayCache to use meanwhile.
 *
 * @since 0.2.0
 */
export type OnUnavailable<E, R> = "fail" | Layer.Layer<ReplayCache.ReplayCache, E, R>;
/**
 * A Redis-backed ReplayCache, using the app's `Redis` service (e.g.
 * `NodeRedis.layer({ url })` from `@effect/platform-node`).
 *
 * @since 0.2.0
 */
export declare function layer(options?: Options & {
    readonly onUnavailable?: "fail" | undefined;
}): Layer.Layer<ReplayCache.ReplayCache, never, Redis>;
export declare function layer<E, R>(options: Options & {
    readonly onUnavailable: OnUnavailable<E, R>;
}): Layer.Layer<ReplayCache.ReplayCache, E, Redis | Exclude<R, Scope.Scope>>;
