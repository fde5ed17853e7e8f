/**
 * core's memory HandshakeStore (here because the Redis store is judged
 * against it; TestClock drives the TTLs).
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { HandshakeStore } from "@effect-sspi/core"

const bytes = (n: number) => new Uint8Array(8).fill(n)
const build = (options?: HandshakeStore.MemoryOptions) =>
  Layer.build(HandshakeStore.layerMemory(options)).pipe(
    Effect.map((ctx) => Context.get(ctx, HandshakeStore.HandshakeStore))
  )

describe("HandshakeStore.layerMemory", () => {
  it.effect("take-once: the bytes (a copy of what was put), then missing; takeOrInvalidToken is SEC_E_INVALID_TOKEN", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = yield* build()
      const input = bytes(1)
      yield* store.put("a", input, Duration.minutes(1))
      input.fill(9)
      assert.deepStrictEqual([...Option.getOrThrow(yield* store.take("a"))], [...bytes(1)])
      assert.isTrue(Option.isNone(yield* store.take("a")))
      const error = yield* Effect.flip(
        HandshakeStore.takeOrInvalidToken("a").pipe(Effect.provideService(HandshakeStore.HandshakeStore, store))
      )
      assert.strictEqual(error._tag, "InvalidToken")
      assert.deepStrictEqual(yield* store.stats, { stored: 1, taken: 1, missing: 2, evicted: 0, expired: 0, pending: 0 })
    })))

  it.effect("putIfAbsent: true and stored when the id is free; false and the live entry untouched when held; an expired one is replaced", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = yield* build()
      assert.isTrue(yield* store.putIfAbsent("a", bytes(1), Duration.seconds(30)))
      assert.isFalse(yield* store.putIfAbsent("a", bytes(2), Duration.minutes(5)))
      assert.deepStrictEqual([...Option.getOrThrow(yield* store.take("a"))], [...bytes(1)])
      assert.isTrue(yield* store.putIfAbsent("a", bytes(3), Duration.seconds(30)))
      yield* TestClock.adjust(Duration.seconds(30))
      assert.isTrue(yield* store.putIfAbsent("a", bytes(4), Duration.seconds(30)))
      assert.deepStrictEqual([...Option.getOrThrow(yield* store.take("a"))], [...bytes(4)])
      assert.strictEqual((yield* store.stats).stored, 3)
      const error = yield* Effect.flip(store.putIfAbsent("big", new Uint8Array(16 * 1024 + 1), Duration.seconds(1)))
      assert.strictEqual(error._tag, "InsufficientMemory")
    })))

  it.effect("expiry by Effect's Clock: missing once the TTL has passed", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = yield* build()
      yield* store.put("a", bytes(1), Duration.seconds(30))
      yield* store.put("b", bytes(2), Duration.seconds(30))
      yield* TestClock.adjust(Duration.seconds(29))
      assert.isTrue(Option.isSome(yield* store.take("a")))
      yield* TestClock.adjust(Duration.seconds(1))
      assert.isTrue(Option.isNone(yield* store.take("b")))
      assert.strictEqual((yield* store.stats).expired, 1)
    })))

  it.effect("attack: a flood of puts cannot grow the store past maxPending; the oldest go first, counted", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = yield* build({ maxPending: 100 })
      for (let i = 0; i < 1000; i++) yield* store.put(`h${i}`, bytes(i & 0xff), Duration.minutes(1))
      const stats = yield* store.stats
      assert.strictEqual(stats.pending, 100)
      assert.strictEqual(stats.evicted, 900)
      assert.isTrue(Option.isNone(yield* store.take("h899")))
      assert.isTrue(Option.isSome(yield* store.take("h900")))
      assert.isTrue(Option.isSome(yield* store.take("h999")))
    })))

  it.effect("expired entries are dropped before live ones are evicted", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = yield* build({ maxPending: 2 })
      yield* store.put("old", bytes(1), Duration.seconds(1))
      yield* store.put("live", bytes(2), Duration.minutes(1))
      yield* TestClock.adjust(Duration.seconds(2))
      yield* store.put("new", bytes(3), Duration.minutes(1))
      assert.isTrue(Option.isSome(yield* store.take("live")))
      assert.deepStrictEqual(yield* store.stats, { stored: 3, taken: 1, missing: 0, evicted: 0, expired: 1, pending: 1 })
    })))

  it.effect("an entry larger than maxEntryBytes is SEC_E_INSUFFICIENT_MEMORY", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = yield* build({ maxEntryBytes: 16 })
      const error = yield* Effect.flip(store.put("a", new Uint8Array(17), Duration.minutes(1)))
      assert.strictEqual(error._tag, "InsufficientMemory")
      assert.strictEqual((yield* store.stats).pending, 0)
    })))
})
