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
import { Context, Duration, Effect, Layer } from "effect";
import { Redis } from "effect/persistence/Redis";
import { ReplayCache, SecurityError } from "@effect-sspi/core";
import { makeCall, unexpected } from "./internal/call.js";
export function layer(options = {}) {
    return Layer.effect(ReplayCache.ReplayCache, make(options));
}
const make = Effect.fnUntraced(function* (options) {
    const redis = yield* Redis;
    const { call, label } = yield* makeCall(options);
    const prefix = options.prefix ?? "effect-sspi:replay:";
    const encoding = options.keyEncoding ?? "hex";
    const fallback = options.onUnavailable === undefined || options.onUnavailable === "fail"
        ? undefined
        : Context.get(yield* Layer.build(options.onUnavailable), ReplayCache.ReplayCache);
    const recordInRedis = (key, ttl) => {
        const ms = Duration.toMillis(ttl);
        if (!Number.isFinite(ms)) {
            return Effect.fail(new SecurityError.InternalError({ detail: "replay cache TTL must be finite" }));
        }
        const what = "SET NX PX";
        return call(what, redis.send("SET", prefix + Buffer.from(key).toString(encoding), "1", "NX", "PX", String(Math.max(1, Math.ceil(ms))))).pipe(Effect.flatMap((reply) => reply === "OK"
            ? Effect.succeed("Fresh")
            : reply === null
                ? Effect.succeed("Replay")
                : Effect.fail(unexpected(label, what, reply))));
    };
    if (fallback === undefined)
        return ReplayCache.ReplayCache.of({ record: recordInRedis });
    return ReplayCache.ReplayCache.of({
        record: (key, ttl) => recordInRedis(key, ttl).pipe(Effect.matchEffect({
            onFailure: (error) => Effect.logWarning("replay cache: Redis unavailable, using the fall-back cache", error.message).pipe(Effect.andThen(fallback.record(key, ttl))),
            onSuccess: (verdict) => verdict === "Replay" ? Effect.succeed(verdict) : fallback.record(key, ttl)
        }))
    });
});
//# sourceMappingURL=RedisReplayCache.js.map