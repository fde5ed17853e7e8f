/**
 * An AUTHENTICATE finished from the shared store (on a node that did not
 * issue the CHALLENGE) gets the same checks as on the connection that issued
 * it: the MIC over the stored NEGOTIATE and CHALLENGE ([MS-NLMP] 3.2.5.1.2)
 * and the echo of the stored TargetInfo. A refused message takes the entry
 * (no second guess against the same server challenge, 3.2.5.1.2).
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { HandshakeStore } from "@effect-sspi/core"
import { acceptFresh, freshAcceptor, node } from "./support/nodes.ts"
import { ours } from "./support/ourClient.ts"

/** The AUTHENTICATE's MIC field: after the 64-byte header and the 8-byte VERSION ([MS-NLMP] 2.2.1.3). */
const MIC_AT = 72

/** Two nodes over one memory store; our client's NEGOTIATE answered by A: its AUTHENTICATE, for B. */
const begunOnA = Effect.gen(function*() {
  const store = Context.get(yield* Layer.build(HandshakeStore.layerMemory()), HandshakeStore.HandshakeStore)
  const a = yield* node(store)
  const b = yield* node(store)
  const client = yield* ours()
  const challenge = (yield* a.run((yield* freshAcceptor(a)).step((yield* client.step(null)).token!))).token!
  return { b, authenticate: (yield* client.step(challenge)).token! }
})

describe("an AUTHENTICATE finished from the shared store: the MIC is checked as on the issuing connection", () => {
  it.effect("a tampered MIC on B: SEC_E_LOGON_DENIED, and the genuine message is then refused (entry taken)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { b, authenticate } = yield* begunOnA
      const tampered = authenticate.slice()
      tampered[MIC_AT + 15]! ^= 1
      assert.strictEqual((yield* acceptFresh(b, tampered)).status, "SEC_E_LOGON_DENIED")
      assert.strictEqual((yield* acceptFresh(b, authenticate)).status, "SEC_E_INVALID_TOKEN", "taken by the refused attempt")
    })))

  it.effect("the untouched message on B: SEC_E_OK (the MIC field is where the test edits it)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { b, authenticate } = yield* begunOnA
      const r = yield* acceptFresh(b, authenticate)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual(r.user, "EXAMPLE\\alice")
    })))
})
