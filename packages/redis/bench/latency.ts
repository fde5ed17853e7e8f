/**
 * A quick latency figure (not a test): one record / put / take after another
 * against a local redis-server, then records 64 at a time.
 * `node --conditions=@effect-sspi/source --import tsx packages/redis/bench/latency.ts`
 */
import { NodeRedis } from "@effect/platform-node"
import { Duration, Effect, Layer, Redacted } from "effect"
import { HandshakeStore, ReplayCache } from "@effect-sspi/core"
import { RedisServer } from "@effect-sspi/interop-harness"
import { RedisHandshakeStore, RedisReplayCache } from "../src/index.ts"

const N = 5000
const minute = Duration.minutes(1)
const digest = (i: number) => {
  const d = new Uint8Array(32)
  new DataView(d.buffer).setUint32(0, i)
  return d
}
const perOp = (label: string, start: bigint, n: number) =>
  Effect.log(`${label}: ${(Number(process.hrtime.bigint() - start) / 1e3 / n).toFixed(1)} µs per operation (${n})`)

const program = Effect.gen(function*() {
  const rc = yield* ReplayCache.ReplayCache
  const hs = yield* HandshakeStore.HandshakeStore
  for (let i = 0; i < 500; i++) yield* rc.record(digest(1e6 + i), minute) // warm-up
  let t = process.hrtime.bigint()
  for (let i = 0; i < N; i++) yield* rc.record(digest(i), minute)
  yield* perOp("ReplayCache.record, sequential", t, N)
  t = process.hrtime.bigint()
  yield* Effect.forEach(Array.from({ length: N }, (_, i) => digest(N + i)), (d) => rc.record(d, minute), { concurrency: 64 })
  yield* perOp("ReplayCache.record, 64 concurrent (wall time / count)", t, N)
  const state = new Uint8Array(600).fill(3)
  t = process.hrtime.bigint()
  for (let i = 0; i < N; i++) {
    yield* hs.put(`h${i}`, state, minute)
    yield* hs.take(`h${i}`)
  }
  yield* perOp("HandshakeStore.put + take (600-byte state), sequential", t, N)
})

Effect.gen(function*() {
  const server = yield* RedisServer.start()
  const redis = NodeRedis.layer({ url: server.url })
  const layers = Layer.mergeAll(
    RedisReplayCache.layer(),
    RedisHandshakeStore.layer({ key: Redacted.make(new Uint8Array(32).fill(1)) })
  ).pipe(Layer.provide(redis))
  yield* program.pipe(Effect.provide(layers))
}).pipe(Effect.scoped, Effect.runPromise)
