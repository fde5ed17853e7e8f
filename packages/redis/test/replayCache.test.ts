import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Schedule } from "effect"
import * as Redis from "effect/persistence/Redis"
import { ReplayCache } from "@effect-sspi/core"
import { NodeRedis } from "@effect/platform-node"
import { RedisServer } from "@effect-sspi/interop-harness"
import { RedisReplayCache } from "../src/index.ts"
import { buildWith, raw, redisAvailable } from "./support.ts"

const digest = (n: number) => new Uint8Array(32).fill(n)
const minute = Duration.minutes(1)
const cache = (server: RedisServer.RedisServer, options?: RedisReplayCache.Options) =>
  buildWith(server, ReplayCache.ReplayCache, RedisReplayCache.layer(options))

/** Retries while Redis is away (after a restart the client reconnects with back-off, at most ~2 s). */
const untilAnswered = Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 100 })

describe.skipIf(!redisAvailable)("RedisReplayCache against a real redis-server", () => {
  it.live("SET NX PX: the key is the prefixed hex digest, the value is 1 (nothing secret), PTTL is the ttl", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const rc = yield* cache(server)
      const client = yield* raw(server)
      assert.strictEqual(yield* rc.record(digest(1), Duration.seconds(30)), "Fresh")
      const key = `effect-sspi:replay:${"01".repeat(32)}`
      assert.strictEqual(yield* Effect.promise(() => client.get(key)), "1")
      const pttl = yield* Effect.promise(() => client.pTTL(key))
      assert.isTrue(pttl > 29_000 && pttl <= 30_000, `PTTL ${pttl}`)
      assert.strictEqual(yield* rc.record(digest(1), Duration.seconds(30)), "Replay")
    })))

  it.live("atomic: 200 concurrent records of one digest from two processes → exactly one Fresh", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const a = yield* cache(server)
      const b = yield* cache(server)
      const verdicts = yield* Effect.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).record(digest(2), minute)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(verdicts.filter((v) => v === "Fresh").length, 1)
      assert.strictEqual(verdicts.filter((v) => v === "Replay").length, 199)
    })))

  it.live("two processes share the state: a token recorded by one is a replay at the other", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const a = yield* cache(server)
      const b = yield* cache(server)
      assert.strictEqual(yield* a.record(digest(3), minute), "Fresh")
      assert.strictEqual(yield* b.record(digest(3), minute), "Replay")
      assert.strictEqual(yield* b.record(digest(4), minute), "Fresh")
      assert.strictEqual(yield* a.record(digest(4), minute), "Replay")
      // another prefix is another cache
      const other = yield* cache(server, { prefix: "other:" })
      assert.strictEqual(yield* other.record(digest(3), minute), "Fresh")
    })))

  it.live("TTL: after a short real TTL the digest is fresh again", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const rc = yield* cache(server)
      assert.strictEqual(yield* rc.record(digest(5), Duration.millis(100)), "Fresh")
      assert.strictEqual(yield* rc.record(digest(5), Duration.millis(100)), "Replay")
      yield* Effect.sleep(Duration.millis(250))
      assert.strictEqual(yield* rc.record(digest(5), Duration.millis(100)), "Fresh")
    })))

  it.live("Redis killed mid-run: typed SEC_E_INTERNAL_ERROR naming the server, never Fresh; restarted: recovers", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const rc = yield* cache(server, { timeout: Duration.millis(300) })
      assert.strictEqual(yield* rc.record(digest(6), minute), "Fresh")
      yield* server.kill
      for (const n of [6, 7]) {
        const error = yield* Effect.flip(rc.record(digest(n), minute))
        assert.strictEqual(error._tag, "InternalError")
        assert.strictEqual(error.code, 0x80090304)
        assert.include(error.message, `Redis at 127.0.0.1:${server.port}`)
      }
      yield* server.restart
      // Recovery: a new digest is Fresh again. Each try uses a new digest: with node-redis'
      // offline queue (its default) a record that timed out is still sent after the reconnect.
      let n = 100
      const verdict = yield* Effect.suspend(() => rc.record(digest(++n), minute)).pipe(untilAnswered)
      assert.strictEqual(verdict, "Fresh")
      assert.strictEqual(yield* rc.record(digest(n), minute), "Replay")
    })))

  it.live("Redis frozen (SIGSTOP, no answer): the time-out fires, typed error, never Fresh", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const rc = yield* cache(server, { timeout: Duration.millis(200) })
      yield* server.freeze
      const started = Date.now()
      const error = yield* Effect.flip(rc.record(digest(9), minute))
      const waited = Date.now() - started
      yield* server.thaw
      assert.strictEqual(error._tag, "InternalError")
      assert.include(error.message, "no answer to SET NX PX within 200 ms")
      assert.isTrue(waited >= 190 && waited < 1500, `waited ${waited} ms`)
    })))

  it.live("opt-in fall-back: while Redis is away the fall-back answers; a digest it saw stays a replay after recovery", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start()
      const rc = yield* buildWith(
        server,
        ReplayCache.ReplayCache,
        RedisReplayCache.layer({ timeout: Duration.millis(300), onUnavailable: ReplayCache.layerMemory() }),
        // no offline queue: a SET issued during the outage must not reach Redis later
        { disableOfflineQueue: true }
      )
      assert.strictEqual(yield* rc.record(digest(10), minute), "Fresh")
      yield* server.kill
      assert.strictEqual(yield* rc.record(digest(11), minute), "Fresh")
      assert.strictEqual(yield* rc.record(digest(11), minute), "Replay")
      assert.strictEqual(yield* rc.record(digest(10), minute), "Replay")
      yield* server.restart
      // Wait until this cache's own client writes to Redis again (a digest lands in Redis)…
      const client = yield* raw(server)
      let n = 100
      while ((yield* Effect.promise(() => client.get(`effect-sspi:replay:${Buffer.from(digest(n)).toString("hex")}`))) !== "1") {
        assert.isBelow(n, 200, "the client did not reconnect")
        yield* rc.record(digest(++n), minute)
        yield* Effect.sleep(Duration.millis(50))
      }
      // …then the restarted (empty) Redis says Fresh for 11, the fall-back remembers it
      assert.strictEqual(yield* rc.record(digest(11), minute), "Replay")
    })))

  it.effect("a reply that is not OK or nil fails closed with SEC_E_INTERNAL_ERROR (fault injected in the Redis service)", () =>
    Effect.scoped(Effect.gen(function*() {
      const odd = Layer.effect(Redis.Redis, Redis.make({
        send: <A>() => Effect.succeed(42 as A),
        subscribe: () => Effect.die("unused"),
        connect: Effect.die("unused")
      }))
      const rc = yield* Layer.build(RedisReplayCache.layer({ label: "odd" }).pipe(Layer.provide(odd))).pipe(
        Effect.map((ctx) => Context.get(ctx, ReplayCache.ReplayCache))
      )
      const error = yield* Effect.flip(rc.record(digest(13), minute))
      assert.strictEqual(error._tag, "InternalError")
      assert.include(error.message, "Redis at odd: unexpected reply to SET NX PX (number)")
    })))

  it.live("errors name the server but never the credentials in the Redis URL", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* RedisServer.start({ args: ["--requirepass", "s3cret-pw"] })
      const url = `redis://default:s3cret-pw@127.0.0.1:${server.port}`
      const rc = yield* Layer.build(
        RedisReplayCache.layer({ timeout: Duration.millis(300) }).pipe(Layer.provide(NodeRedis.layer({ url, disableOfflineQueue: true })))
      ).pipe(Effect.map((ctx) => Context.get(ctx, ReplayCache.ReplayCache)))
      assert.strictEqual(yield* rc.record(digest(14), minute), "Fresh")
      yield* server.kill
      const error = yield* Effect.flip(rc.record(digest(15), minute))
      assert.include(error.message, `Redis at 127.0.0.1:${server.port}`)
      assert.notInclude(error.message, "s3cret")
      // (with node-redis' default offline queue, closing a client whose server is gone
      // waits for the queued commands forever: this test leaves the server dead)
    })))
})
