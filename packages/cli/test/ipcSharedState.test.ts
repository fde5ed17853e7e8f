/**
 * `sspi serve --workers N` without Redis, below the processes: workers'
 * `ReplayCache` / `HandshakeStore` Layers (ipcWorker.ts) calling one primary
 * (ipcPrimary.ts) over an in-process channel that carries messages as
 * node:cluster does (JSON, asynchronously). The channel is ours, not a peer's:
 * the real cluster is in serveWorkers.test.ts.
 *
 * Proves: one replay cache for all workers (a key recorded through one worker
 * is a replay through another, and of concurrent records exactly one is
 * "Fresh"); a handshake put through one worker is taken once through another;
 * a primary that does not answer, or a closed channel, fails closed with
 * SEC_E_INTERNAL_ERROR after the time-out (TestClock), never "Fresh"; a
 * wrong or garbled answer is never taken for a verdict; garbled requests are
 * answered with SEC_E_INTERNAL_ERROR or ignored, never acted on (property).
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Duration, Effect, Exit, Fiber, Layer, Option, Redacted, Result, Scope } from "effect"
import { HttpServer } from "effect/http"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { HandshakeStore, ReplayCache, SecurityError } from "@effect-sspi/core"
import { SspiServer } from "@effect-sspi/http"
import { UserStore } from "@effect-sspi/ntlm"
import { Drivers } from "@effect-sspi/interop-harness"
import { runtimeLayer } from "../src/internal/packages.ts"
import * as Whoami from "../src/internal/serve/whoami.ts"
import * as Primary from "../src/internal/serve/ipcPrimary.ts"
import * as Protocol from "../src/internal/serve/ipcProtocol.ts"
import * as Worker from "../src/internal/serve/ipcWorker.ts"
import * as Clients from "./proxyClients.ts"
import { ntlmNegotiate } from "./tokens.ts"

/** As node:cluster's default serialization: JSON, delivered later. */
const wire = (message: unknown): unknown => {
  const text = JSON.stringify(message)
  // what JSON cannot carry (undefined) is delivered as it is: the receiver must cope with it too
  return text === undefined ? message : JSON.parse(text)
}

/** A primary's end and any number of workers' ends, connected in memory. */
const network = () => {
  const toPrimary: Array<(message: unknown, reply: (response: unknown) => void) => void> = []
  const primary: Primary.PrimaryChannel = {
    listen: (onMessage) => {
      toPrimary.push(onMessage)
      return () => void toPrimary.splice(toPrimary.indexOf(onMessage), 1)
    }
  }
  const worker = (): Worker.WorkerChannel & { readonly close: () => void } => {
    const listeners = new Set<{ readonly onMessage: (m: unknown) => void; readonly onClose: () => void }>()
    return {
      send: (message, done) =>
        setImmediate(() => {
          done(null)
          for (const deliver of toPrimary) {
            deliver(wire(message), (response) => setImmediate(() => listeners.forEach((l) => l.onMessage(wire(response)))))
          }
        }),
      listen: (onMessage, onClose) => {
        const entry = { onMessage, onClose }
        listeners.add(entry)
        return () => void listeners.delete(entry)
      },
      close: () => listeners.forEach((l) => l.onClose())
    }
  }
  return { primary, worker }
}

/** A worker's end whose primary never answers (`sent` counts the requests). */
const silent = () => {
  const sent: Array<unknown> = []
  const channel: Worker.WorkerChannel = { send: (message, done) => (sent.push(message), done(null)), listen: () => () => {} }
  return { channel, sent }
}

/** A worker's end whose primary answers every request with anything `answer` makes of it. */
const answering = (answer: (request: { readonly id: number; readonly from: string }) => unknown) => {
  let deliver: (m: unknown) => void = () => {}
  const channel: Worker.WorkerChannel = {
    send: (message, done) => {
      done(null)
      setImmediate(() => deliver(wire(answer(message as { readonly id: number; readonly from: string }))))
    },
    listen: (onMessage) => {
      deliver = onMessage
      return () => {}
    }
  }
  return channel
}

/** The primary (core's memory Layers) serving `channel` in the test's scope. */
const startPrimary = (channel: Primary.PrimaryChannel, state = Layer.mergeAll(ReplayCache.layerMemory(), HandshakeStore.layerMemory())) =>
  Effect.flatMap(Layer.build(state), (context) => Effect.provide(Primary.serve(channel), context))

/** A worker's two services over `channel`. */
const worker = (channel: Worker.WorkerChannel, options: Worker.Options = {}) =>
  Effect.map(Layer.build(Worker.layer(channel, options)), (c) => ({
    replay: Context.get(c, ReplayCache.ReplayCache),
    store: Context.get(c, HandshakeStore.HandshakeStore)
  }))

const key = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
const ttl = Duration.minutes(10)
const statusOf = <A, E>(exit: Exit.Exit<A, E>) =>
  Exit.isFailure(exit) ? Option.map(Exit.findErrorOption(exit), (e) => (e as SecurityError.SspiError).status) : Option.none()

describe("replay cache and handshake store shared through the primary process (IPC)", () => {
  it.effect("a key recorded through one worker is a replay through another; of concurrent records of one key exactly one is Fresh", () =>
    Effect.gen(function*() {
      const net = network()
      yield* startPrimary(net.primary)
      const a = yield* worker(net.worker())
      const b = yield* worker(net.worker())
      assert.strictEqual(yield* a.replay.record(key, ttl), "Fresh")
      assert.strictEqual(yield* b.replay.record(key, ttl), "Replay", "the same authenticator at the other worker")
      assert.strictEqual(yield* a.replay.record(key, ttl), "Replay")
      // 20 workers × the same new key at once: the primary's check-and-set is one step
      const workers = yield* Effect.forEach(Array.from({ length: 20 }), () => worker(net.worker()))
      const other = Uint8Array.from([9, 9, 9])
      const verdicts = yield* Effect.forEach(workers, (w) => w.replay.record(other, ttl), { concurrency: "unbounded" })
      assert.deepStrictEqual(verdicts.filter((v) => v === "Fresh").length, 1)
      assert.deepStrictEqual(verdicts.filter((v) => v === "Replay").length, 19)
    }))

  it.effect("TTL: the key is forgotten when its time is up (the primary's Clock)", () =>
    Effect.gen(function*() {
      const net = network()
      yield* startPrimary(net.primary)
      const a = yield* worker(net.worker())
      assert.strictEqual(yield* a.replay.record(key, Duration.seconds(1)), "Fresh")
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(yield* a.replay.record(key, Duration.seconds(1)), "Replay")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* a.replay.record(key, Duration.seconds(1)), "Fresh")
    }))

  it.effect("a handshake put through one worker is taken once, byte for byte, through another; putIfAbsent keeps a live id", () =>
    Effect.gen(function*() {
      const net = network()
      yield* startPrimary(net.primary)
      const a = yield* worker(net.worker())
      const b = yield* worker(net.worker())
      const entry = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff)
      yield* a.store.put("h1", entry, ttl)
      assert.isFalse(yield* b.store.putIfAbsent("h1", Uint8Array.of(0), ttl), "the id is held by a pending handshake")
      assert.isTrue(yield* b.store.putIfAbsent("h2", Uint8Array.of(42), ttl))
      assert.deepStrictEqual(yield* b.store.take("h1"), Option.some(entry))
      assert.deepStrictEqual(yield* a.store.take("h1"), Option.none(), "taken exactly once")
      assert.deepStrictEqual(yield* a.store.take("h2"), Option.some(Uint8Array.of(42)))
      assert.deepStrictEqual(yield* a.store.take("never"), Option.none())
      assert.deepStrictEqual(yield* b.store.stats, { stored: 1, taken: 1, missing: 0, evicted: 0, expired: 0 })
      // the primary's typed error comes back as it is: a full store is SEC_E_INSUFFICIENT_MEMORY (503 at the HTTP server)
      const small = network()
      yield* startPrimary(small.primary, Layer.mergeAll(ReplayCache.layerMemory({ capacity: 1, whenFull: "refuse" }), HandshakeStore.layerMemory()))
      const c = yield* worker(small.worker())
      assert.strictEqual(yield* c.replay.record(key, ttl), "Fresh")
      const full = yield* Effect.exit(c.replay.record(Uint8Array.of(1), ttl))
      assert.deepStrictEqual(statusOf(full), Option.some("SEC_E_INSUFFICIENT_MEMORY"))
      // an entry over 16 KiB is refused in the worker as core's memory store refuses it, no round trip
      const big = yield* Effect.exit(a.store.put("h3", new Uint8Array(Protocol.maxEntryBytes + 1), ttl))
      assert.deepStrictEqual(statusOf(big), Option.some("SEC_E_INSUFFICIENT_MEMORY"))
    }))

  it.effect("a primary that does not answer: SEC_E_INTERNAL_ERROR after the time-out (500 ms), never Fresh, for every operation", () =>
    Effect.gen(function*() {
      const { channel, sent } = silent()
      const w = yield* worker(channel)
      const record = yield* Effect.forkChild(Effect.exit(w.replay.record(key, ttl)))
      const put = yield* Effect.forkChild(Effect.exit(w.store.putIfAbsent("h", Uint8Array.of(1), ttl)))
      const take = yield* Effect.forkChild(Effect.exit(w.store.take("h")))
      yield* TestClock.adjust("499 millis")
      assert.isUndefined(record.pollUnsafe(), "still waiting at 499 ms")
      yield* TestClock.adjust("1 millis")
      const statuses = [statusOf(yield* Fiber.join(record)), statusOf(yield* Fiber.join(put)), statusOf(yield* Fiber.join(take))]
      assert.deepStrictEqual(statuses, statuses.map(() => Option.some("SEC_E_INTERNAL_ERROR")))
      const error = Option.getOrThrow(Exit.findErrorOption(yield* Fiber.join(record)))
      assert.instanceOf(error, SecurityError.InternalError)
      assert.strictEqual(error.detail, "the primary process (IPC): no answer to record within 500 ms")
      assert.strictEqual(sent.length, 3)
      assert.isTrue(Option.isSome(Protocol.decodeRequest(sent[0])), "a request the primary can decode")
    }))

  it.effect("the channel to the primary closes: calls in flight and later calls fail at once with SEC_E_INTERNAL_ERROR", () =>
    Effect.gen(function*() {
      const net = network()
      const channel = net.worker()
      const w = yield* worker(channel)
      const inFlight = yield* Effect.forkChild(Effect.exit(w.replay.record(key, ttl)))
      yield* Effect.yieldNow
      channel.close()
      const exit = yield* Fiber.join(inFlight)
      assert.deepStrictEqual(statusOf(exit), Option.some("SEC_E_INTERNAL_ERROR"))
      const later = yield* Effect.exit(w.replay.record(key, ttl))
      assert.deepStrictEqual(Option.map(Exit.findErrorOption(later), (e) => e.message), Option.some("SEC_E_INTERNAL_ERROR (0x80090304): the primary process (IPC): the channel is closed"))
    }))

  it.effect("a channel whose send throws: SEC_E_INTERNAL_ERROR at once, a typed failure, never a defect", () =>
    Effect.gen(function*() {
      const w = yield* worker({ send: () => { throw new Error("channel torn down") }, listen: () => () => {} })
      const exit = yield* Effect.exit(w.replay.record(key, ttl))
      assert.isTrue(Exit.isFailure(exit) && !Cause.hasDies(exit.cause), "not a defect")
      assert.deepStrictEqual(Option.map(Exit.findErrorOption(exit), (e) => e.message), Option.some("SEC_E_INTERNAL_ERROR (0x80090304): the primary process (IPC): record could not be sent (channel torn down)"))
    }))

  it.effect("a wrong answer is not a verdict: another result's shape, a garbled body or another id fail closed", () =>
    Effect.gen(function*() {
      const stored = yield* worker(answering(({ from, id }) => ({ channel: Protocol.channel, from, id, result: { _tag: "Stored", stored: true } })))
      const wrong = yield* Effect.exit(stored.replay.record(key, ttl))
      assert.deepStrictEqual(Option.map(Exit.findErrorOption(wrong), (e) => e.message), Option.some("SEC_E_INTERNAL_ERROR (0x80090304): the primary process (IPC): unexpected answer to record (Stored)"))
      const garbled = yield* worker(answering(({ from, id }) => ({ channel: Protocol.channel, from, id, result: { _tag: "Verdict", verdict: "fresh" } })))
      const otherId = yield* worker(answering(({ from, id }) => ({ channel: Protocol.channel, from, id: id + 1, result: { _tag: "Verdict", verdict: "Fresh" } })))
      // the right id, but another Layer instance's tag (or none): not this instance's answer
      const otherCaller = yield* worker(answering(({ id }) => ({ channel: Protocol.channel, from: "0".repeat(32), id, result: { _tag: "Verdict", verdict: "Fresh" } })))
      const untagged = yield* worker(answering(({ id }) => ({ channel: Protocol.channel, id, result: { _tag: "Verdict", verdict: "Fresh" } })))
      for (const w of [garbled, otherId, otherCaller, untagged]) {
        const fiber = yield* Effect.forkChild(Effect.exit(w.replay.record(key, ttl)))
        yield* TestClock.adjust("500 millis")
        assert.deepStrictEqual(statusOf(yield* Fiber.join(fiber)), Option.some("SEC_E_INTERNAL_ERROR"))
      }
    }))

  it.effect("two worker Layers in one process hear each other's answers: each takes only its own (a Fresh for another key is never a replay's verdict)", () =>
    Effect.gen(function*() {
      const net = network()
      yield* startPrimary(net.primary)
      // one process: both Layers listen on the same channel, as on process.on("message"), and both count ids from 0
      const channel = net.worker()
      const a = yield* worker(channel)
      const b = yield* worker(channel)
      const replayed = Uint8Array.of(7, 7, 7)
      assert.strictEqual(yield* (yield* worker(net.worker())).replay.record(replayed, ttl), "Fresh", "recorded once elsewhere")
      // a's first call (a new key: Fresh) and b's first call (a replay) in flight together, same id 0
      const [fresh, replay] = yield* Effect.all([a.replay.record(key, ttl), b.replay.record(replayed, ttl)], { concurrency: "unbounded" })
      assert.strictEqual(fresh, "Fresh")
      assert.strictEqual(replay, "Replay", "b must not take a's answer")
    }))

  it.effect("a full backlog: the calls beyond it are answered at once with SEC_E_INTERNAL_ERROR (never Fresh, never left waiting); the queued one is served", () =>
    Effect.gen(function*() {
      const toPrimary: Array<(message: unknown, reply: (response: unknown) => void) => void> = []
      const context = yield* Layer.build(Layer.mergeAll(ReplayCache.layerMemory(), HandshakeStore.layerMemory()))
      yield* Effect.provide(Primary.serve({ listen: (onMessage) => (toPrimary.push(onMessage), () => {}) }, { backlog: 1 }), context)
      const answers = new Map<number, unknown>()
      const from = "cd".repeat(16)
      // three records of fresh keys arrive together (no turn for the primary's fiber in between)
      for (const id of [1, 2, 3]) {
        const request = wire(Result.getOrThrow(Protocol.encodeRequest({ channel: Protocol.channel, from, id, op: { _tag: "Record", key: Uint8Array.of(id), ttlMs: 60_000 } })))
        toPrimary[0]!(request, (response) => void answers.set(id, Option.getOrThrow(Protocol.decodeResponse(wire(response))).result))
      }
      const busy = { _tag: "Failed", error: new SecurityError.InternalError({ detail: "the primary process (IPC): too many calls waiting" }) }
      assert.deepStrictEqual([answers.get(2), answers.get(3)], [busy, busy], "answered before the primary's fiber ran")
      for (let i = 0; i < 10 && !answers.has(1); i++) yield* Effect.yieldNow
      assert.deepStrictEqual(answers.get(1), { _tag: "Verdict", verdict: "Fresh" })
      // a busy answer to a worker that is gone (its reply throws) does not throw into the channel's emit
      const gone = () => {
        throw new Error("worker gone")
      }
      const take = (id: number) => wire(Result.getOrThrow(Protocol.encodeRequest({ channel: Protocol.channel, from, id, op: { _tag: "Take", handshake: "h" } })))
      assert.doesNotThrow(() => [4, 5, 6].forEach((id) => toPrimary[0]!(take(id), gone)))
    }))

  it.live("a defect while answering one call (a reply that throws) does not stop the primary: the next call is answered", () =>
    Effect.gen(function*() {
      const toPrimary: Array<(message: unknown, reply: (response: unknown) => void) => void> = []
      yield* startPrimary({ listen: (onMessage) => (toPrimary.push(onMessage), () => {}) })
      const answers: Array<unknown> = []
      let calls = 0
      const ask = (message: unknown) =>
        toPrimary[0]!(message, (response) => {
          if (calls++ === 0) throw new Error("channel gone while replying")
          answers.push(response)
        })
      const request = (id: number) => wire(Result.getOrThrow(Protocol.encodeRequest({ channel: Protocol.channel, from: "ab".repeat(16), id, op: { _tag: "Take", handshake: "h" } })))
      ask(request(1))
      yield* Effect.sleep("20 millis")
      ask(request(2))
      yield* Effect.sleep("20 millis")
      assert.strictEqual(calls, 2)
      assert.deepStrictEqual(answers.map((a) => Option.map(Protocol.decodeResponse(a), (r) => [r.from, r.id, r.result._tag])), [Option.some(["ab".repeat(16), 2, "Taken"])])
    }))

  it.effect("property: anything a worker could send is answered with a Response or ignored, never a crash; what does not decode is never acted on", () =>
    Effect.gen(function*() {
      let acted = 0
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(Layer.mergeAll(ReplayCache.layerMemory(), HandshakeStore.layerMemory()), scope)
      const replay = Context.get(context, ReplayCache.ReplayCache)
      const store = Context.get(context, HandshakeStore.HandshakeStore)
      const valid = fc.oneof(
        fc.record({ _tag: fc.constant("Record"), key: fc.uint8Array({ minLength: 1, maxLength: 40 }), ttlMs: fc.nat(100_000) }),
        fc.record({ _tag: fc.constant("Put"), handshake: fc.string({ minLength: 1, maxLength: 8 }), bytes: fc.uint8Array({ maxLength: 40 }), ttlMs: fc.nat(100_000), ifAbsent: fc.boolean() }),
        fc.record({ _tag: fc.constant("Take"), handshake: fc.string({ minLength: 1, maxLength: 8 }) })
      ).map((op) => wire(Result.getOrThrow(Protocol.encodeRequest({ channel: Protocol.channel, id: 7, op }))))
      // a valid request with one field replaced by anything
      const mutated = fc.tuple(valid, fc.constantFrom("channel", "id", "op", "op._tag", "op.key", "op.bytes", "op.ttlMs", "op.handshake", "op.ifAbsent"), fc.anything())
        .map(([message, path, value]) => {
          const copy = structuredClone(message) as Record<string, Record<string, unknown>>
          const [head, tail] = path.split(".")
          if (tail === undefined) (copy as Record<string, unknown>)[head!] = value
          else if (typeof copy[head!] === "object" && copy[head!] !== null) copy[head!]![tail] = value
          return copy as unknown
        })
      yield* Effect.promise(() =>
        fc.assert(fc.asyncProperty(fc.oneof(fc.anything(), valid, mutated), async (message) => {
          const stats = await Effect.runPromise(store.stats)
          const answer = await Effect.runPromise(Primary.respond(message, replay, store))
          const decoded = Protocol.decodeRequest(message)
          if (Option.isSome(decoded)) acted++
          if (Option.isNone(answer)) {
            assert.isTrue(Option.isNone(Protocol.decodeEnvelope(message)), "only what has no readable id goes unanswered")
            return
          }
          const response = Option.getOrThrow(Protocol.decodeResponse(wire(answer.value)))
          assert.strictEqual(response.id, (message as { id: number }).id)
          if (Option.isNone(decoded)) {
            assert.deepStrictEqual(response.result, { _tag: "Failed", error: new SecurityError.InternalError({ detail: "the primary process (IPC): malformed request" }) })
            const after = await Effect.runPromise(store.stats)
            assert.deepStrictEqual(after, stats, "a request that does not decode is not acted on")
          }
        }), { numRuns: 2000 })
      )
      assert.isAbove(acted, 300, "valid requests are generated and answered")
      yield* Scope.close(scope, Exit.void)
    }))

  it.live("property: whatever comes back over the channel, record answers a verdict only from a well-formed answer to its own call, else fails closed", () =>
    Effect.promise(() =>
      fc.assert(fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({ channel: fc.constant(Protocol.channel), id: fc.oneof(fc.constant(0), fc.anything()), result: fc.anything() }),
          fc.record({
            channel: fc.constant(Protocol.channel),
            id: fc.constantFrom(0, 1),
            result: fc.record({ _tag: fc.constantFrom("Verdict", "Stored", "Taken", "Failed"), verdict: fc.constantFrom("Fresh", "Replay", "fresh", 1) })
          })
        ),
        fc.boolean(),
        async (generated, ownTag) => {
          // the answer carries the calling instance's tag when `ownTag` (and it is an object)
          let answer: unknown = generated
          let from = ""
          // the first call of a new worker has id 0
          const exit = await Effect.runPromiseExit(Effect.scoped(Effect.flatMap(
            worker(answering((request) => {
              from = request.from
              if (ownTag && typeof generated === "object" && generated !== null) answer = { ...generated, from }
              return answer
            }), { timeout: "5 millis" }),
            (w) => w.replay.record(key, ttl)
          )))
          const response = Protocol.decodeResponse(wire(answer))
          const verdict = Option.isSome(response) && response.value.id === 0 && response.value.from === from && response.value.result._tag === "Verdict"
            ? response.value.result.verdict
            : undefined
          if (verdict !== undefined) assert.deepStrictEqual(exit, Exit.succeed(verdict))
          else assert.include(["SEC_E_INTERNAL_ERROR", "SEC_E_INSUFFICIENT_MEMORY"], Option.getOrUndefined(statusOf(exit)))
        }
      ), { numRuns: 300 })
    ))

  it.live("a worker whose primary does not answer answers 503 with Retry-After (the server's failure), after the time-out, as with Redis away", () =>
    Effect.scoped(Effect.gen(function*() {
      const { channel, sent } = silent()
      // a worker of `sspi serve --workers N`: NTLM over the IPC store (serve.ts builds the same)
      const runtime = runtimeLayer(
        { negotiate: false, ntlm: { onDeletePending: "keep" }, shared: Worker.layer(channel, { timeout: "200 millis" }) },
        UserStore.layerMemory([{ domain: Clients.user.domain, user: Clients.user.user, password: Redacted.make(Clients.user.password) }])
      )
      const context = yield* Layer.build(HttpServer.serve(Whoami.app, SspiServer.middleware).pipe(
        Layer.provideMerge(SspiServer.layer({ schemes: ["NTLM"] })),
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
        Layer.provideMerge(runtime)
      ))
      const address = Context.get(context, HttpServer.HttpServer).address
      const url = `http://127.0.0.1:${address._tag === "UnixPathAddress" ? 0 : address.port}/`
      const client = yield* Clients.clientRuntime
      const started = Date.now()
      const reply = yield* Effect.promise(async () => {
        const response = await fetch(url, { headers: { authorization: `NTLM ${Drivers.toBase64(await Effect.runPromise(ntlmNegotiate(client)))}` } })
        return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.text() }
      })
      assert.strictEqual(reply.status, 503, "the NEGOTIATE's state could not be stored: the server's failure, not the client's")
      assert.strictEqual(reply.retryAfter, "1")
      assert.isAtLeast(Date.now() - started, 200, "after the time-out")
      assert.notInclude(reply.body, "primary", "nothing about the back-end reaches the client")
      assert.strictEqual(sent.length, 1, "the worker asked the primary")
      assert.isTrue(Option.isSome(Protocol.decodeRequest(sent[0])))
      const garbled = yield* Clients.get(url, Clients.session(), { authorization: `NTLM ${Drivers.toBase64(Uint8Array.of(1, 2, 3))}` })
      assert.strictEqual(garbled.status, 401, "a garbled token is still the client's failure")
    })))
})
