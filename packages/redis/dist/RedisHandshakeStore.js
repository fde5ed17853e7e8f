/**
 * The handshake store (`@effect-sspi/core`'s `HandshakeStore`) in Redis: any
 * process that uses the same Redis, prefix and key can finish a handshake
 * another one started. Commands:
 *
 *   put:  SET <prefix><id> <base64 entry> PX <ttl ms>
 *   take: GETDEL <prefix><id>                       (Redis >= 6.2)
 *         or EVALSHA of `GET` + `DEL` in one script  (`take: "script"`, or
 *         automatically after Redis answers GETDEL with "unknown command")
 *
 * Both take forms are atomic: of concurrent takes of one id, at most one
 * gets the entry. Entries are encrypted at rest with AES-256-GCM under the
 * app's key and bound to their id (see `internal/entryCodec.ts`): an entry
 * that was altered, truncated, moved to another id or written under another
 * key is treated as missing, like an expired or already taken one.
 *
 * Every Redis wait is bounded by the time-out; a Redis failure is
 * SEC_E_INTERNAL_ERROR naming the server and what happened.
 *
 * @since 0.2.0
 */
import { Duration, Effect, Layer, Option, Redacted } from "effect";
import * as Redis from "effect/persistence/Redis";
import { HandshakeStore, SecurityError } from "@effect-sspi/core";
import { makeCall } from "./internal/call.js";
import { KEY_BYTES, open, OVERHEAD, seal } from "./internal/entryCodec.js";
const getDel = Redis.script((key) => [key], {
    lua: "local v = redis.call('GET', KEYS[1])\nif v then redis.call('DEL', KEYS[1]) end\nreturn v",
    numberOfKeys: 1
}).withReturnType();
/** The key bytes of `Options.key`, or SEC_E_INVALID_PARAMETER (its length only is reported). */
const keyBytes = (key) => {
    const value = Redacted.value(key);
    const bytes = typeof value !== "string"
        ? Buffer.from(value)
        : /^[0-9a-fA-F]{64}$/.test(value)
            ? Buffer.from(value, "hex")
            : Buffer.from(value, "base64");
    return bytes.length === KEY_BYTES
        ? Effect.succeed(bytes)
        : Effect.fail(new SecurityError.InvalidParameter({ detail: `handshake store key must be ${KEY_BYTES} bytes, got ${bytes.length}` }));
};
/**
 * A Redis-backed HandshakeStore, using the app's `Redis` service. Fails to
 * build with SEC_E_INVALID_PARAMETER when the key is not 32 bytes; the key
 * copy is zeroed when the Layer's scope closes.
 *
 * @since 0.2.0
 */
export const layer = (options) => Layer.effect(HandshakeStore.HandshakeStore, make(options));
const make = Effect.fnUntraced(function* (options) {
    const redis = yield* Redis.Redis;
    const { call } = yield* makeCall(options);
    const key = yield* Effect.acquireRelease(keyBytes(options.key), (k) => Effect.sync(() => k.fill(0)));
    const prefix = options.prefix ?? "effect-sspi:handshake:";
    const maxEntryBytes = options.maxEntryBytes ?? 16 * 1024;
    let useScript = options.take === "script";
    const counts = { stored: 0, taken: 0, missing: 0, evicted: 0, expired: 0 };
    const put = (id, bytes, ttl) => Effect.suspend(() => {
        if (bytes.length > maxEntryBytes) {
            return Effect.fail(new SecurityError.InsufficientMemory({ detail: `handshake state of ${bytes.length} bytes exceeds ${maxEntryBytes}` }));
        }
        const ms = Duration.toMillis(ttl);
        if (!Number.isFinite(ms))
            return Effect.fail(new SecurityError.InternalError({ detail: "handshake store TTL must be finite" }));
        const entry = Buffer.from(seal(key, id, bytes)).toString("base64");
        return call("SET PX", redis.send("SET", prefix + id, entry, "PX", String(Math.max(1, Math.ceil(ms))))).pipe(Effect.flatMap((reply) => reply === "OK"
            ? Effect.sync(() => void counts.stored++)
            : Effect.fail(new SecurityError.InternalError({ detail: `unexpected reply to SET PX (${typeof reply})` }))));
    });
    const takeRaw = (redisKey) => useScript
        ? redis.eval(getDel)(redisKey)
        : redis.send("GETDEL", redisKey).pipe(Effect.catchIf((e) => /unknown command/i.test(String(e.cause)), () => Effect.suspend(() => {
            useScript = true;
            return redis.eval(getDel)(redisKey);
        })));
    const take = (id) => call(useScript ? "GET+DEL script" : "GETDEL", takeRaw(prefix + id)).pipe(Effect.map((reply) => {
        // A reply that is not an entry sealed for this id, e.g. nil, another
        // type, garbage or a foreign entry, is missing (issue 12: "a Redis
        // reply that is not what was stored is treated as missing").
        const text = typeof reply === "string" ? reply : reply instanceof Uint8Array ? Buffer.from(reply).toString("latin1") : undefined;
        const found = text === undefined || text.length > 2 * (maxEntryBytes + OVERHEAD)
            ? Option.none()
            : open(key, id, Buffer.from(text, "base64"));
        if (Option.isSome(found))
            counts.taken++;
        else
            counts.missing++;
        return found;
    }));
    return HandshakeStore.HandshakeStore.of({ put, take, stats: Effect.sync(() => ({ ...counts })) });
});
//# sourceMappingURL=RedisHandshakeStore.js.map