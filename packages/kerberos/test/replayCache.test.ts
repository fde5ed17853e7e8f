/**
 * The replay cache as a service (issue 9 H, I): the acceptor takes it from
 * the ReplayCache Layer when one is provided (shared by every package and
 * context of the runtime), and the memory Layer's full policies.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Logger } from "effect"
import { TestClock } from "effect/testing"
import { Credentials, Flags, ReplayCache, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Kerberos } from "../src/index.ts"
import { apReq, keytab } from "./support/forge.ts"

const T0 = 36_000_000
const key = (n: number) => new Uint8Array([n >> 8, n & 0xff])

const runtimeWith = (cache: Layer.Layer<ReplayCache.ReplayCache>) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Kerberos.layer({ krb5Config: "/nonexistent", env: {} })),
    Layer.provideMerge(cache)
  )

const acceptWith = (cred: Credentials.Credentials) => (token: Uint8Array) =>
  Effect.scoped(Effect.gen(function*() {
    const ctx = yield* SecurityContext.acceptor(cred)
    return yield* ctx.step(token).pipe(Effect.map((s) => s.status as string), Effect.catch((e) => Effect.succeed(e.status as string)))
  }))

describe("ReplayCache service", () => {
  it.effect("the acceptor uses the provided Layer: 1,000 AP-REQ/s for 5 simulated seconds, 0 honest refusals, every replay refused, counted in its stats", () =>
    Effect.scoped(Effect.gen(function*() {
      const cache = yield* ReplayCache.ReplayCache
      const cred = yield* Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab: keytab() } })
      const accept = acceptWith(cred)
      yield* TestClock.setTime(T0)
      let honestRefused = 0
      let replayAccepted = 0
      const sent: Array<Uint8Array> = []
      for (let second = 0; second < 5; second++) {
        for (let i = 0; i < 1000; i++) {
          const token = apReq({ ctime: T0 + second * 1000, cusec: i })
          sent.push(token)
          if ((yield* accept(token)) !== "SEC_E_OK") honestRefused++
        }
        for (let j = 0; j < 10; j++) {
          if ((yield* accept(sent[(second * 997 + j * 131) % sent.length]!)) !== "SEC_E_INVALID_TOKEN") replayAccepted++
        }
        yield* TestClock.adjust("1 second")
      }
      const stats = yield* cache.stats!
      assert.strictEqual(honestRefused, 0)
      assert.strictEqual(replayAccepted, 0)
      assert.strictEqual(stats.fresh, 5_000)
      assert.strictEqual(stats.replays, 50)
      assert.strictEqual(stats.size, 5_000)
    })).pipe(Effect.provide(runtimeWith(ReplayCache.layerMemory()))), 120_000)

  it.effect("entries expire by the Clock, exclusive end: a key is a replay while now < recorded + ttl", () =>
    Effect.gen(function*() {
      const cache = yield* ReplayCache.makeMemory()
      yield* TestClock.setTime(T0)
      assert.strictEqual(yield* cache.record(key(1), Duration.millis(1000)), "Fresh")
      yield* TestClock.setTime(T0 + 999)
      assert.strictEqual(yield* cache.record(key(1), Duration.millis(1000)), "Replay")
      yield* TestClock.setTime(T0 + 1000)
      assert.strictEqual(yield* cache.record(key(1), Duration.millis(1000)), "Fresh")
      const stats = yield* cache.stats!
      assert.deepStrictEqual({ ...stats }, { size: 1, capacity: 600_000, fresh: 2, replays: 1, expired: 1, forgotten: 0, refused: 0 })
    }))

  it.effect("full of live entries, default policy: forget the soonest-expiring entry, never refuse (counted, logged once a minute)", () => {
    const logs: Array<string> = []
    const collect = Logger.layer([Logger.make((o) => logs.push(`${o.logLevel}: ${String(o.message)}`))])
    return Effect.gen(function*() {
      const cache = yield* ReplayCache.makeMemory({ capacity: 3 })
      yield* TestClock.setTime(T0)
      for (const [n, ttl] of [[1, 5000], [2, 1000], [3, 9000]] as const) {
        assert.strictEqual(yield* cache.record(key(n), Duration.millis(ttl)), "Fresh")
      }
      assert.strictEqual(yield* cache.record(key(4), Duration.millis(9000)), "Fresh")
      // 2 (the soonest to expire) was forgotten; 1 and 3 are still remembered
      assert.strictEqual(yield* cache.record(key(1), Duration.millis(5000)), "Replay")
      assert.strictEqual(yield* cache.record(key(3), Duration.millis(5000)), "Replay")
      const stats = yield* cache.stats!
      assert.strictEqual(stats.forgotten, 1)
      assert.strictEqual(stats.size, 3)
      yield* cache.record(key(5), Duration.millis(9000))
      assert.strictEqual((yield* cache.stats!).forgotten, 2)
      assert.deepStrictEqual(logs, ["Warn: replay cache full (3 live entries): 1 live entries forgotten so far; size it for a higher rate"])
    }).pipe(Effect.provide(collect))
  })

  it.effect("full of live entries, policy \"refuse\": SEC_E_INSUFFICIENT_MEMORY until entries expire (counted)", () =>
    Effect.gen(function*() {
      const cache = yield* ReplayCache.makeMemory({ capacity: 2, whenFull: "refuse" })
      yield* TestClock.setTime(T0)
      yield* cache.record(key(1), Duration.millis(1000))
      yield* cache.record(key(2), Duration.millis(2000))
      const error = yield* Effect.flip(cache.record(key(3), Duration.millis(1000)))
      assert.strictEqual(error.status, "SEC_E_INSUFFICIENT_MEMORY")
      yield* TestClock.setTime(T0 + 1000)
      assert.strictEqual(yield* cache.record(key(3), Duration.millis(1000)), "Fresh")
      assert.strictEqual((yield* cache.stats!).refused, 1)
    }))

  it.effect("the old fixed cap (100,000) at 1,000/s would lock clients out; the default sizing does not", () =>
    Effect.gen(function*() {
      const old = yield* ReplayCache.makeMemory({ capacity: 100_000, whenFull: "refuse" })
      const sized = yield* ReplayCache.makeMemory()
      yield* TestClock.setTime(T0)
      let oldRefused = 0
      let sizedRefused = 0
      for (let second = 0; second < 150; second++) {
        for (let i = 0; i < 1000; i++) {
          const k = new Uint8Array(8)
          new DataView(k.buffer).setFloat64(0, second * 1000 + i)
          const ttl = Duration.millis(300_001)
          yield* old.record(k, ttl).pipe(Effect.catch(() => Effect.sync(() => oldRefused++)))
          yield* sized.record(k, ttl).pipe(Effect.catch(() => Effect.sync(() => sizedRefused++)))
        }
        yield* TestClock.adjust("1 second")
      }
      assert.strictEqual(oldRefused, 50_000)
      assert.strictEqual(sizedRefused, 0)
    }), 60_000)
})
