/**
 * Handshake id collisions with a shared store: the CHALLENGE's state goes in
 * with `putIfAbsent`, so an id another pending handshake holds (anywhere that
 * shares the store) is never overwritten; the acceptor draws a new server
 * challenge and id. The collision is forced by a store that lets "another
 * node" take the first id just before our put.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Result } from "effect"
import { HandshakeStore, SecurityError } from "@effect-sspi/core"
import { decodeChallenge } from "../src/internal/messages.ts"
import { idOfPairs } from "../src/internal/handshakeState.ts"
import { MAX_ID_DRAWS } from "../src/internal/accept.ts"
import { acceptFresh, freshAcceptor, node, statusOf } from "./support/nodes.ts"
import { ours } from "./support/ourClient.ts"

const otherHandshake = new Uint8Array([1, 2, 3, 4])
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

/** A memory store in which another node puts an entry under each of the first `collisions` ids just before we do. */
const racedStore = (collisions: number) =>
  Effect.gen(function*() {
    const inner = Context.get(yield* Layer.build(HandshakeStore.layerMemory()), HandshakeStore.HandshakeStore)
    const taken: Array<string> = []
    const store: HandshakeStore.HandshakeStoreService = {
      put: inner.put,
      take: inner.take,
      stats: inner.stats,
      putIfAbsent: (id, bytes, ttl) =>
        Effect.gen(function*() {
          if (taken.length < collisions) {
            taken.push(id)
            yield* inner.put(id, otherHandshake, ttl)
          }
          return yield* inner.putIfAbsent(id, bytes, ttl)
        })
    }
    return { inner, store, taken }
  })

describe("shared handshake ids: collisions", () => {
  it.effect("an id held by another pending handshake is not overwritten: a new one is drawn, both handshakes survive", () =>
    Effect.scoped(Effect.gen(function*() {
      const { inner, store, taken } = yield* racedStore(1)
      const a = yield* node(store)
      const b = yield* node(store)
      const client = yield* ours()
      const challenge = (yield* a.run((yield* freshAcceptor(a)).step((yield* client.step(null)).token!))).token!
      const sentId = idOfPairs(Result.getOrThrow(decodeChallenge(challenge)).targetInfo ?? [])
      assert.strictEqual(taken.length, 1)
      assert.notStrictEqual(sentId, taken[0])
      // our handshake finishes on B from its own entry
      assert.strictEqual((yield* acceptFresh(b, (yield* client.step(challenge)).token!)).status, "SEC_E_OK")
      // the other node's entry is intact under the colliding id
      assert.strictEqual(hex(Option.getOrThrow(yield* inner.take(taken[0]!))), hex(otherHandshake))
      assert.strictEqual((yield* a.stats).idCollisions, 1)
      assert.strictEqual((yield* a.stats).outstandingChallenges, 1)
    })))

  it.effect(`a store that keeps answering "held": SEC_E_INTERNAL_ERROR after ${MAX_ID_DRAWS} draws, no CHALLENGE, nothing outstanding`, () =>
    Effect.scoped(Effect.gen(function*() {
      const { store, taken } = yield* racedStore(Infinity)
      const a = yield* node(store)
      const client = yield* ours()
      const exit = yield* Effect.exit(a.run((yield* freshAcceptor(a)).step((yield* client.step(null)).token!)))
      assert.strictEqual(statusOf(exit), "SEC_E_INTERNAL_ERROR")
      assert.strictEqual(taken.length, MAX_ID_DRAWS)
      assert.strictEqual((yield* a.stats).outstandingChallenges, 0)
      assert.strictEqual((yield* a.stats).idCollisions, MAX_ID_DRAWS)
    })))

  it.effect("a store that fails the put (unreachable): its typed error, no CHALLENGE, nothing outstanding", () =>
    Effect.scoped(Effect.gen(function*() {
      const { inner } = yield* racedStore(0)
      const failing: HandshakeStore.HandshakeStoreService = {
        ...inner,
        putIfAbsent: () => Effect.fail(new SecurityError.InternalError({ detail: "store unreachable" }))
      }
      const a = yield* node(failing)
      const client = yield* ours()
      const exit = yield* Effect.exit(a.run((yield* freshAcceptor(a)).step((yield* client.step(null)).token!)))
      assert.strictEqual(statusOf(exit), "SEC_E_INTERNAL_ERROR")
      assert.strictEqual((yield* a.stats).outstandingChallenges, 0, "a CHALLENGE never sent is not outstanding")
      assert.strictEqual((yield* a.stats).stored, 0)
    })))
})
