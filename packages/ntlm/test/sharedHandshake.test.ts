/**
 * Issue 12 item 2: NTLM handshakes that any node can finish. Two independent
 * package instances (node A, node B) share one HandshakeStore (memory, and
 * Redis against a real redis-server); every real client (our initiator,
 * gss-ntlmssp, python3-ntlm-auth, curl) starts on A and finishes on a fresh
 * context of B, found by the MsvAvTimestamp it echoed. Replays, stripped or
 * tampered echoes, NTLMv1 and deleted or expired handshakes are refused.
 */
import { assert, describe, it } from "@effect/vitest"
import { NodeRedis } from "@effect/platform-node"
import { Context, Duration, Effect, Layer, Redacted, Result } from "effect"
import { TestClock } from "effect/testing"
import { HandshakeStore, SecBuffer, SecurityContext } from "@effect-sspi/core"
import { Drivers as D, type Drivers, Ours, RedisServer, requirePeersSync } from "@effect-sspi/interop-harness"
import { RedisHandshakeStore } from "@effect-sspi/redis"
import { AvId } from "../src/internal/constants.ts"
import { decodeChallenge } from "../src/internal/messages.ts"
import { acceptFresh, echoOf, freshAcceptor, node, type Node, splitHandshake, statusOf } from "./support/nodes.ts"
import { curlInitiator } from "./support/peers.ts"
import { ours } from "./support/ourClient.ts"
import { serverCredentials } from "./support/runtime.ts"

const hasGss = requirePeersSync("ntlm")
const hasPython = requirePeersSync("ntlm", "ntlmAuth")
const hasCurl = requirePeersSync("curl")
const hasRedis = RedisServer.requireSync()

const peerUser = { domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }

interface Client {
  readonly name: string
  readonly available: boolean
  /** The client puts its own clock, not the CHALLENGE's MsvAvTimestamp, in its NTLMv2 blob (it still echoes the pair). */
  readonly ownTimestamp: boolean
  readonly make: () => Effect.Effect<Drivers.Stepper<unknown>, unknown, any>
}

const clients: ReadonlyArray<Client> = [
  { name: "our initiator", available: true, ownTimestamp: false, make: () => ours() },
  {
    name: "gss-ntlmssp",
    available: hasGss,
    ownTimestamp: false,
    make: () => Effect.map(D.gssPeer({ role: "initiate", mech: "ntlm", target: "HTTP@localhost", ...peerUser }), D.stepper)
  },
  { name: "python3-ntlm-auth", available: hasPython, ownTimestamp: false, make: () => Effect.map(D.ntlmAuthClient(peerUser), D.stepper) },
  {
    name: "python3-ntlm-auth with curl's flags (0x00088207)",
    available: hasPython,
    ownTimestamp: false,
    make: () => Effect.map(D.ntlmAuthClient({ ...peerUser, flags: 0x00088207 }), D.stepper)
  },
  { name: "curl", available: hasCurl, ownTimestamp: true, make: () => curlInitiator("EXAMPLE\\alice:Passw0rd!") }
]

/** Two nodes over one memory store. */
const memoryNodes = Effect.gen(function*() {
  const store = Context.get(yield* Layer.build(HandshakeStore.layerMemory()), HandshakeStore.HandshakeStore)
  return { a: yield* node(store), b: yield* node(store), store }
})

const key = Redacted.make(new Uint8Array(32).fill(9))

/** A Redis-backed store with its own Redis client, as a separate process has. */
const redisStore = (server: RedisServer.RedisServer) =>
  Effect.map(
    Layer.build(RedisHandshakeStore.layer({ key }).pipe(Layer.provide(NodeRedis.layer({ url: server.url, disableOfflineQueue: true })))),
    (context) => Context.get(context, HandshakeStore.HandshakeStore)
  )

/** Two nodes, each with its own Redis client, over one real redis-server. */
const redisNodes = Effect.gen(function*() {
  const server = yield* RedisServer.start()
  const storeA = yield* redisStore(server)
  return { a: yield* node(storeA), b: yield* node(yield* redisStore(server)), store: storeA }
})

/** The split handshake, the echo, and every replay of its AUTHENTICATE refused. */
const finishesOnB = (client: Client, nodes: { a: Node; b: Node }) =>
  Effect.gen(function*() {
    const { a, b } = nodes
    const split = yield* splitHandshake(yield* client.make(), a, b)
    assert.strictEqual(split.status, "SEC_E_OK", client.name)
    assert.strictEqual(split.user, "EXAMPLE\\alice")
    // the id: the CHALLENGE's MsvAvTimestamp, echoed byte for byte
    const echo = echoOf(split.challenge, split.authenticate)
    assert.strictEqual(echo.echoed, echo.sent)
    // replayed to B, to A, and to A's own pending context: the entry is gone
    assert.strictEqual((yield* acceptFresh(b, split.authenticate)).status, "SEC_E_INVALID_TOKEN")
    assert.strictEqual((yield* acceptFresh(a, split.authenticate)).status, "SEC_E_INVALID_TOKEN")
    assert.strictEqual(statusOf(yield* Effect.exit(a.run(split.onA.step(split.authenticate)))), "SEC_E_INVALID_TOKEN")
    return echo
  })

describe("shared NTLM handshakes (memory store)", () => {
  for (const client of clients) {
    it.live.skipIf(!client.available)(`${client.name}: starts on A, finishes on B; replays refused`, () =>
      Effect.scoped(Effect.gen(function*() {
        const echo = yield* finishesOnB(client, yield* memoryNodes)
        // the NTLMv2 blob's Timestamp: a copy of MsvAvTimestamp ([MS-NLMP] 3.1.5.1.2), or curl's own clock (whole seconds)
        const drift = echo.clientTimestamp - echo.sentValue
        if (client.ownTimestamp) {
          assert.strictEqual((echo.clientTimestamp - 116_444_736_000_000_000n) % 10_000_000n, 0n)
          assert.isTrue(drift !== 0n && Math.abs(Number(drift)) < 600_000_000, `${client.name}: ${drift}`)
        } else assert.strictEqual(drift, 0n, client.name)
      })), 60_000)
  }

  it.live("connection-bound still works with a store: A finishes its own handshake, and then B cannot", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, store } = yield* memoryNodes
      const client = yield* ours()
      const onA = yield* freshAcceptor(a)
      const challenge = (yield* a.run(onA.step((yield* client.step(null)).token!))).token!
      assert.strictEqual((yield* store.stats).pending, 1)
      const authenticate = (yield* client.step(challenge)).token!
      yield* a.run(onA.step(authenticate))
      assert.strictEqual((yield* a.run(onA.query("Names"))).userName, "EXAMPLE\\alice")
      assert.strictEqual((yield* store.stats).pending, 0)
      assert.strictEqual((yield* acceptFresh(b, authenticate)).status, "SEC_E_INVALID_TOKEN")
    })))

  it.live.skipIf(!hasPython)("a proxy that pools connections: Y's AUTHENTICATE on X's pending context finishes Y; X then finishes on B", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b } = yield* memoryNodes
      const x = yield* ours()
      const y = D.stepper(yield* D.ntlmAuthClient({ domain: "", user: "bob", password: "hunter2" }))
      const onX = yield* freshAcceptor(a)
      const onY = yield* freshAcceptor(a)
      const challengeX = (yield* a.run(onX.step((yield* x.step(null)).token!))).token!
      const challengeY = (yield* a.run(onY.step((yield* y.step(null)).token!))).token!
      const authenticateY = (yield* y.step(challengeY)).token!
      const authenticateX = (yield* x.step(challengeX)).token!
      // Y's AUTHENTICATE reaches the context X's NEGOTIATE created (same upstream connection)
      yield* a.run(onX.step(authenticateY))
      assert.strictEqual((yield* a.run(onX.query("Names"))).userName, "bob")
      // X's own handshake is still pending in the store: its AUTHENTICATE finishes on another node
      const r = yield* acceptFresh(b, authenticateX)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual(r.user, "EXAMPLE\\alice")
      // and Y's cannot be replayed
      assert.strictEqual((yield* acceptFresh(b, authenticateY)).status, "SEC_E_INVALID_TOKEN")
    })), 60_000)

  it.live("channel bindings: the CHALLENGE leg's are stored and checked on B when B's leg has none; B's own win", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b } = yield* memoryNodes
      const cb = (s: string) => [SecBuffer.channelBindings(new TextEncoder().encode(`tls-server-end-point:${s}`))]
      const run = (onA: string, onB: string | undefined) =>
        Effect.gen(function*() {
          const client = yield* ours({}, { extraInput: cb("A") })
          const first = yield* a.run(Effect.flatMap(serverCredentials(), (c) => SecurityContext.acceptor(c, { extraInput: cb(onA) })))
          const challenge = (yield* a.run(first.step((yield* client.step(null)).token!))).token!
          const authenticate = (yield* client.step(challenge)).token!
          const fresh = yield* b.run(
            Effect.flatMap(serverCredentials(), (c) => SecurityContext.acceptor(c, onB === undefined ? {} : { extraInput: cb(onB) }))
          )
          return statusOf(yield* Effect.exit(b.run(fresh.step(authenticate))))
        })
      assert.strictEqual(yield* run("A", undefined), "SEC_E_OK")
      assert.strictEqual(yield* run("B", undefined), "SEC_E_BAD_BINDINGS")
      assert.strictEqual(yield* run("B", "A"), "SEC_E_OK")
      assert.strictEqual(yield* run("A", "B"), "SEC_E_BAD_BINDINGS")
    })))

  it.effect("stats: outstanding challenges, entries stored, handshakes finished from the store, the store's pending entries", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = Context.get(yield* Layer.build(HandshakeStore.layerMemory()), HandshakeStore.HandshakeStore)
      const a = yield* node(store, { challengeLifetimeMs: 60_000 })
      const b = yield* node(store)
      const clients = [yield* ours(), yield* ours(), yield* ours()]
      const authenticates: Array<Uint8Array> = []
      for (const client of clients) {
        const challenge = (yield* a.run((yield* freshAcceptor(a)).step((yield* client.step(null)).token!))).token!
        authenticates.push((yield* client.step(challenge)).token!)
      }
      const statsA = yield* a.stats
      assert.deepStrictEqual({ ...statsA, handshakeStore: statsA.handshakeStore?.pending }, {
        outstandingChallenges: 3,
        stored: 3,
        finishedFromStore: 0,
        idCollisions: 0,
        handshakeStore: 3
      })
      assert.strictEqual((yield* acceptFresh(b, authenticates[0]!)).status, "SEC_E_OK")
      assert.strictEqual((yield* acceptFresh(b, authenticates[0]!)).status, "SEC_E_INVALID_TOKEN")
      const statsB = yield* b.stats
      assert.deepStrictEqual([statsB.finishedFromStore, statsB.stored, statsB.outstandingChallenges], [1, 0, 0])
      assert.deepStrictEqual([statsB.handshakeStore?.pending, statsB.handshakeStore?.taken, statsB.handshakeStore?.missing], [2, 1, 1])
      // A's outstanding challenges expire with their lifetime (Clock)
      yield* TestClock.adjust(Duration.seconds(61))
      assert.strictEqual((yield* a.stats).outstandingChallenges, 0)
    })))

  it.live("two CHALLENGEs in the same millisecond get different ids (random low-order timestamp bits)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, store } = yield* memoryNodes
      const ids = new Set<string>()
      for (let i = 0; i < 50; i++) {
        const client = yield* ours()
        const challenge = (yield* a.run((yield* freshAcceptor(a)).step((yield* client.step(null)).token!))).token!
        const pair = (Result.getOrThrow(decodeChallenge(challenge)).targetInfo ?? []).find((p) => p.id === AvId.MsvAvTimestamp)!
        ids.add(Buffer.from(pair.value).toString("hex"))
      }
      assert.strictEqual(ids.size, 50)
      assert.strictEqual((yield* store.stats).pending, 50)
    })))

  it.live("a padded NEGOTIATE is not pinned in the shared store: over 1 KiB → SEC_E_INVALID_TOKEN, nothing stored", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, store } = yield* memoryNodes
      const negotiate = (yield* (yield* ours()).step(null)).token!
      const padded = new Uint8Array(16_000)
      padded.set(negotiate)
      const status = statusOf(yield* Effect.exit(Effect.scoped(Effect.flatMap(freshAcceptor(a), (onA) => a.run(onA.step(padded))))))
      assert.strictEqual(status, "SEC_E_INVALID_TOKEN")
      assert.strictEqual((yield* store.stats).stored, 0)
      // the real one is still answered and stored
      const real = yield* Effect.scoped(Effect.flatMap(freshAcceptor(a), (onA) => a.run(onA.step(negotiate))))
      assert.isDefined(real.token)
      assert.strictEqual((yield* store.stats).stored, 1)
    })))

  it.live("deleting A's pending context removes its entry: B then refuses the AUTHENTICATE", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, store } = yield* memoryNodes
      const client = yield* ours()
      const negotiate = (yield* client.step(null)).token!
      const challenge = yield* Effect.scoped(Effect.gen(function*() {
        const onA = yield* freshAcceptor(a)
        return (yield* a.run(onA.step(negotiate))).token!
      }))
      assert.strictEqual((yield* store.stats).pending, 0)
      const authenticate = (yield* client.step(challenge)).token!
      assert.strictEqual((yield* acceptFresh(b, authenticate)).status, "SEC_E_INVALID_TOKEN")
    })))

  it.live("onDeletePending: \"keep\": deleting A's pending context (its connection closed) leaves the entry; B finishes", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = Context.get(yield* Layer.build(HandshakeStore.layerMemory()), HandshakeStore.HandshakeStore)
      const a = yield* node(store, { onDeletePending: "keep" })
      const b = yield* node(store)
      const client = yield* ours()
      const negotiate = (yield* client.step(null)).token!
      const challenge = yield* Effect.scoped(Effect.flatMap(freshAcceptor(a), (onA) => a.run(onA.step(negotiate))))
      assert.strictEqual((yield* store.stats).pending, 1)
      const r = yield* acceptFresh(b, (yield* client.step(challenge.token!)).token!)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual((yield* store.stats).pending, 0)
    })))

  it.live("NTLMv1 stays connection-bound: B refuses it (SEC_E_INVALID_TOKEN), A's own context accepts it", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = Context.get(yield* Layer.build(HandshakeStore.layerMemory()), HandshakeStore.HandshakeStore)
      const a = yield* node(store)
      const b = yield* node(store)
      const v1Acceptor = (n: Node) =>
        n.run(Effect.flatMap(serverCredentials({ allowNtlmV1: true }), (c) => SecurityContext.acceptor(c)))
      const run = (client: Drivers.Stepper<unknown>, onB: boolean) =>
        Effect.gen(function*() {
          const onA = yield* v1Acceptor(a)
          const challenge = (yield* a.run(onA.step((yield* client.step(null)).token!))).token!
          const authenticate = (yield* client.step(challenge)).token!
          if (!onB) return statusOf(yield* Effect.exit(a.run(onA.step(authenticate))))
          const fresh = yield* v1Acceptor(b)
          return statusOf(yield* Effect.exit(b.run(fresh.step(authenticate))))
        })
      assert.strictEqual(yield* run(yield* ours({ allowNtlmV1: true }), true), "SEC_E_INVALID_TOKEN")
      assert.strictEqual(yield* run(yield* ours({ allowNtlmV1: true }), false), "SEC_E_OK")
    })))

  it.effect("an expired entry (TestClock past the handshake time-out) is SEC_E_INVALID_TOKEN on B", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = Context.get(yield* Layer.build(HandshakeStore.layerMemory()), HandshakeStore.HandshakeStore)
      const a = yield* node(store, { handshakeTimeoutMs: 10_000 })
      const b = yield* node(store, { handshakeTimeoutMs: 10_000 })
      const client = yield* ours()
      const challenge = (yield* a.run((yield* freshAcceptor(a)).step((yield* client.step(null)).token!))).token!
      const authenticate = (yield* client.step(challenge)).token!
      yield* TestClock.adjust(Duration.seconds(11))
      assert.strictEqual((yield* acceptFresh(b, authenticate)).status, "SEC_E_INVALID_TOKEN")
    })))
})

describe.skipIf(!hasRedis)("shared NTLM handshakes (Redis store, real redis-server)", () => {
  for (const client of clients) {
    it.live.skipIf(!client.available)(`${client.name}: starts on A, finishes on B through Redis; replays refused`, () =>
      Effect.scoped(Effect.asVoid(Effect.flatMap(redisNodes, (nodes) => finishesOnB(client, nodes)))), 60_000)
  }
})
