import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Option, Redacted, Schedule } from "effect"
import { HandshakeStore } from "@effect-sspi/core"
import { RedisServer } from "@effect-sspi/interop-harness"
import { RedisHandshakeStore } from "../src/index.ts"
import { buildWith, clientLayer, raw, redisAvailable, testKey } from "./support.ts"

const minute = Duration.minutes(1)
const state = new Uint8Array(Array.from({ length: 120 }, (_, i) => (i * 7) & 0xff))
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
const store = (server: RedisServer.RedisServer, options: Partial<RedisHandshakeStore.Options> = {}) =>
  buildWith(server, HandshakeStore.HandshakeStore, RedisHandshakeStore.layer({ key: testKey, ...options }))

describe.skipIf(!redisAvailable)("RedisHandshakeStore against a real redis-server", () => {
  for (const take of ["getdel", "script"] as const) {
    it.live(`take-once (${take}): one process puts, another takes the bytes; a second take is missing`, () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* RedisServer.start()
        const a = yield* store(server, { take })
        const b = yield* store(server, { take })
        yield* a.put("h1", state, minute)
        assert.strictEqual(hex(Option.getOrThrow(yield* b.take("h1"))), hex(state))
        assert.isTrue(Option.isNone(yield* a.take("h1")))
        assert.isTrue(Option.isNone(yield* b.take("h1")))
        assert.deepStrictEqual(yield* b.stats, { stored: 0, taken: 1, missing: 1, evicted: 0, expired: 0 })
      })))

    it.live(`atomic (${take}): 100 concurrent takes of one entry from two processes → exactly one gets it`, () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* RedisServer.start()
        const a = yield* store(server, { take })
        const b = yield* store(server, { take })
        yield* a.put("h2", state, minute)
        const results = yield* Effect.all(
          Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).take("h2")),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(results.filter(Option.isSome).length, 1)
      })))
  }

  it.live("putIfAbsent (SET NX PX): true once, false for a held id from another process (its entry intact), true again after take; PTTL is the ttl", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const a = yield* store(server)
      const b = yield* store(server)
      const client = yield* raw(server)
      assert.isTrue(yield* a.putIfAbsent("n1", state, Duration.seconds(20)))
      assert.isFalse(yield* b.putIfAbsent("n1", new Uint8Array(8).fill(1), minute))
      const pttl = yield* Effect.promise(() => client.pTTL("effect-sspi:handshake:n1"))
      assert.isTrue(pttl > 19_000 && pttl <= 20_000, `PTTL ${pttl}`)
      assert.strictEqual(hex(Option.getOrThrow(yield* b.take("n1"))), hex(state))
      assert.isTrue(yield* b.putIfAbsent("n1", state, minute))
      assert.deepStrictEqual([(yield* a.stats).stored, (yield* b.stats).stored], [1, 1])
      // of 20 concurrent putIfAbsent of one id from two processes, exactly one stores
      const results = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).putIfAbsent("n2", state, minute)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter((r) => r).length, 1)
    })))

  it.live("at rest: the Redis value is base64 of version || nonce || AES-GCM ciphertext || tag, no plaintext; PTTL is the ttl", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const s = yield* store(server)
      const client = yield* raw(server)
      yield* s.put("h3", state, Duration.seconds(20))
      const stored = Buffer.from((yield* Effect.promise(() => client.get("effect-sspi:handshake:h3")))!, "base64")
      assert.strictEqual(stored.length, state.length + 29)
      assert.strictEqual(stored[0], 1)
      assert.strictEqual(stored.indexOf(Buffer.from(state.subarray(0, 16))), -1)
      const pttl = yield* Effect.promise(() => client.pTTL("effect-sspi:handshake:h3"))
      assert.isTrue(pttl > 19_000 && pttl <= 20_000, `PTTL ${pttl}`)
    })))

  it.live("expiry: after a short real TTL the entry is missing; takeOrInvalidToken answers SEC_E_INVALID_TOKEN", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const s = yield* store(server)
      yield* s.put("h4", state, Duration.millis(80))
      yield* Effect.sleep(Duration.millis(200))
      const error = yield* Effect.flip(
        HandshakeStore.takeOrInvalidToken("h4").pipe(Effect.provideService(HandshakeStore.HandshakeStore, s))
      )
      assert.strictEqual(error._tag, "InvalidToken")
      assert.strictEqual(error.code, 0x80090308)
    })))

  it.live("attack: a tampered, moved, foreign-key or garbage entry is missing (and consumed), never a defect", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const s = yield* store(server)
      const client = yield* raw(server)
      const k = (id: string) => `effect-sspi:handshake:${id}`
      // one bit of the ciphertext flipped
      yield* s.put("t1", state, minute)
      const blob = Buffer.from((yield* Effect.promise(() => client.get(k("t1"))))!, "base64")
      blob[20]! ^= 1
      yield* Effect.promise(() => client.set(k("t1"), blob.toString("base64")))
      assert.isTrue(Option.isNone(yield* s.take("t1")))
      // an entry copied under another id (AAD binds the id)
      yield* s.put("t2", state, minute)
      yield* Effect.promise(() => client.rename(k("t2"), k("t3")))
      assert.isTrue(Option.isNone(yield* s.take("t3")))
      // an entry written by a store with another key
      const foreign = yield* store(server, { key: Redacted.make(new Uint8Array(32).fill(9)) })
      yield* foreign.put("t4", state, minute)
      assert.isTrue(Option.isNone(yield* s.take("t4")))
      // garbage and a value of another type
      yield* Effect.promise(() => client.set(k("t5"), "not base64 at all !!"))
      assert.isTrue(Option.isNone(yield* s.take("t5")))
      yield* Effect.promise(() => client.set(k("t6"), ""))
      assert.isTrue(Option.isNone(yield* s.take("t6")))
      // the taken entries are gone
      assert.strictEqual(yield* Effect.promise(() => client.exists([k("t1"), k("t3"), k("t5")])), 0)
    })))

  it.live("Redis killed: put and take fail with SEC_E_INTERNAL_ERROR naming the server; after restart they work", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const s = yield* store(server, { timeout: Duration.millis(300) })
      yield* server.kill
      const putError = yield* Effect.flip(s.put("k1", state, minute))
      const takeError = yield* Effect.flip(s.take("k1"))
      for (const e of [putError, takeError]) {
        assert.strictEqual(e._tag, "InternalError")
        assert.include(e.message, `Redis at 127.0.0.1:${server.port}`)
      }
      yield* server.restart
      yield* s.put("k2", state, minute).pipe(Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 100 }))
      assert.strictEqual(hex(Option.getOrThrow(yield* s.take("k2"))), hex(state))
    })))

  it.live("a key that is not 32 bytes: the Layer fails with SEC_E_INVALID_PARAMETER (its length only reported)", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const exit = yield* Layer.build(
        RedisHandshakeStore.layer({ key: Redacted.make("c2hvcnQ=") }).pipe(Layer.provide(clientLayer(server)))
      ).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Effect.suspend(() => exit))
      assert.strictEqual(error._tag, "InvalidParameter")
      assert.include(error.message, "got 5")
      // 64 hex digits and base64 of 32 bytes are both accepted
      yield* store(server, { key: Redacted.make("ab".repeat(32)) })
      yield* store(server, { key: Redacted.make(Buffer.alloc(32, 1).toString("base64")) })
    })))

  it.live("a Redis without GETDEL (< 6.2, played by renaming it away): take falls back to the GET+DEL script", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start({ args: ["--rename-command", "GETDEL", ""] })
      const s = yield* store(server)
      yield* s.put("old", state, minute)
      assert.strictEqual(hex(Option.getOrThrow(yield* s.take("old"))), hex(state))
      assert.isTrue(Option.isNone(yield* s.take("old")))
    })))

  it.live("key rotation: a store with previousKeys reads entries written under an old key; without them they are missing", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const newKey = Redacted.make(new Uint8Array(32).fill(8))
      const old = yield* store(server)
      const rotated = yield* store(server, { key: newKey, previousKeys: [testKey] })
      const newOnly = yield* store(server, { key: newKey })
      yield* old.put("r1", state, minute)
      yield* old.put("r2", state, minute)
      assert.strictEqual(hex(Option.getOrThrow(yield* rotated.take("r1"))), hex(state))
      assert.isTrue(Option.isNone(yield* newOnly.take("r2")))
      // the rotated store writes under its new key
      yield* rotated.put("r3", state, minute)
      assert.isTrue(Option.isSome(yield* newOnly.take("r3")))
    })))
})
