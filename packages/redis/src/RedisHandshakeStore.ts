/**
 * The handshake store (`@effect-sspi/core`'s `HandshakeStore`) in Redis: any
 * process that uses the same Redis, prefix and key can finish a handshake
 * another one started. Commands:
 *
 *   put:  SET <prefix><id> <base64 entry> PX <ttl ms>
 *   putIfAbsent: SET <prefix><id> <base64 entry> NX PX <ttl ms>  (OK: stored; nil: the id is held)
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
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import * as Redis from "effect/persistence/Redis"
import { HandshakeStore, SecurityError } from "@effect-sspi/core"
import { type CallOptions, makeCall } from "./internal/call.ts"
import { KEY_BYTES, open, OVERHEAD, seal } from "./internal/entryCodec.ts"

/**
 * Options of {@link layer}.
 *
 * @since 0.2.0
 */
export interface Options extends CallOptions {
  /**
   * The AES-256-GCM key: 32 bytes, or a string holding them as 64 hex digits
   * or base64 (e.g. `Config.Redacted("SSPI_HANDSHAKE_KEY")`). Every process
   * that shares the store needs the same key.
   */
  readonly key: Redacted.Redacted<Uint8Array | string>
  /**
   * Keys still accepted when reading (same forms as `key`), for a key
   * rotation: give every node the new key here first, then make it `key`.
   */
  readonly previousKeys?: ReadonlyArray<Redacted.Redacted<Uint8Array | string>> | undefined
  /** Prepended to every key (default `effect-sspi:handshake:`). */
  readonly prefix?: string | undefined
  /** `"getdel"` (default, Redis >= 6.2) or `"script"` (GET + DEL in Lua, any Redis). */
  readonly take?: "getdel" | "script" | undefined
  /** A larger entry is refused with SEC_E_INSUFFICIENT_MEMORY (default 16 KiB). */
  readonly maxEntryBytes?: number | undefined
}

const getDel = Redis.script((key: string) => [key], {
  lua: "local v = redis.call('GET', KEYS[1])\nif v then redis.call('DEL', KEYS[1]) end\nreturn v",
  numberOfKeys: 1
}).withReturnType<unknown>()

/** The key bytes of `Options.key`, or SEC_E_INVALID_PARAMETER (its length only is reported). */
const keyBytes = (key: Redacted.Redacted<Uint8Array | string>): Effect.Effect<Buffer, SecurityError.InvalidParameter> => {
  const value = Redacted.value(key)
  const bytes = typeof value !== "string"
    ? Buffer.from(value)
    : /^[0-9a-fA-F]{64}$/.test(value)
    ? Buffer.from(value, "hex")
    : Buffer.from(value, "base64")
  return bytes.length === KEY_BYTES
    ? Effect.succeed(bytes)
    : Effect.fail(new SecurityError.InvalidParameter({ detail: `handshake store key must be ${KEY_BYTES} bytes, got ${bytes.length}` }))
}

/**
 * A Redis-backed HandshakeStore, using the app's `Redis` service. Fails to
 * build with SEC_E_INVALID_PARAMETER when the key is not 32 bytes; the key
 * copy is zeroed when the Layer's scope closes.
 *
 * @since 0.2.0
 */
export const layer = (
  options: Options
): Layer.Layer<HandshakeStore.HandshakeStore, SecurityError.InvalidParameter, Redis.Redis> =>
  Layer.effect(HandshakeStore.HandshakeStore, make(options))

const make = Effect.fnUntraced(function*(options: Options) {
  const redis = yield* Redis.Redis
  const { call } = yield* makeCall(options)
  const [key, ...previous] = yield* Effect.acquireRelease(
    Effect.forEach([options.key, ...(options.previousKeys ?? [])], keyBytes),
    (keys) => Effect.sync(() => keys.forEach((k) => k.fill(0)))
  )
  const keys = [key!, ...previous]
  const prefix = options.prefix ?? "effect-sspi:handshake:"
  const maxEntryBytes = options.maxEntryBytes ?? 16 * 1024
  let useScript = options.take === "script"
  const counts = { stored: 0, taken: 0, missing: 0, evicted: 0, expired: 0 }

  /** SET (… NX when `ifAbsent`) PX: true when stored, false when NX found the id held. */
  const store = (
    id: string,
    bytes: Uint8Array,
    ttl: Duration.Duration,
    ifAbsent: boolean
  ): Effect.Effect<boolean, SecurityError.InsufficientMemory | SecurityError.InternalError> =>
    Effect.suspend((): Effect.Effect<boolean, SecurityError.InsufficientMemory | SecurityError.InternalError> => {
      if (bytes.length > maxEntryBytes) {
        return Effect.fail(new SecurityError.InsufficientMemory({ detail: `handshake state of ${bytes.length} bytes exceeds ${maxEntryBytes}` }))
      }
      const ms = Duration.toMillis(ttl)
      if (!Number.isFinite(ms)) return Effect.fail(new SecurityError.InternalError({ detail: "handshake store TTL must be finite" }))
      const entry = Buffer.from(seal(key!, id, bytes)).toString("base64")
      const px = ["PX", String(Math.max(1, Math.ceil(ms)))]
      const command = ifAbsent ? "SET NX PX" : "SET PX"
      return call(command, redis.send("SET", prefix + id, entry, ...(ifAbsent ? ["NX", ...px] : px))).pipe(
        Effect.flatMap((reply) =>
          reply === "OK"
            ? Effect.sync(() => {
              counts.stored++
              return true
            })
            : ifAbsent && (reply === null || reply === undefined)
            ? Effect.succeed(false)
            : Effect.fail(new SecurityError.InternalError({ detail: `unexpected reply to ${command} (${typeof reply})` }))
        )
      )
    })

  const takeRaw = (redisKey: string): Effect.Effect<unknown, Redis.RedisError> =>
    useScript
      ? redis.eval(getDel)(redisKey)
      : redis.send("GETDEL", redisKey).pipe(
        Effect.catchIf(
          (e) => /unknown command/i.test(String(e.cause)),
          () => Effect.suspend(() => {
            useScript = true
            return redis.eval(getDel)(redisKey)
          })
        )
      )

  const take = (id: string) =>
    call(useScript ? "GET+DEL script" : "GETDEL", takeRaw(prefix + id)).pipe(
      Effect.map((reply): Option.Option<Uint8Array> => {
        // A reply that is not an entry sealed for this id, e.g. nil, another
        // type, garbage or a foreign entry, is missing (issue 12: "a Redis
        // reply that is not what was stored is treated as missing").
        const text = typeof reply === "string" ? reply : reply instanceof Uint8Array ? Buffer.from(reply).toString("latin1") : undefined
        const blob = text === undefined || text.length > 2 * (maxEntryBytes + OVERHEAD)
          ? undefined
          : Buffer.from(text, "base64")
        let found: Option.Option<Uint8Array> = Option.none()
        for (const k of keys) {
          if (blob === undefined || Option.isSome(found)) break
          found = open(k, id, blob)
        }
        if (Option.isSome(found)) counts.taken++
        else counts.missing++
        return found
      })
    )

  return HandshakeStore.HandshakeStore.of({
    put: (id, bytes, ttl) => Effect.asVoid(store(id, bytes, ttl, false)),
    putIfAbsent: (id, bytes, ttl) => store(id, bytes, ttl, true),
    take,
    stats: Effect.sync(() => ({ ...counts }))
  })
})
