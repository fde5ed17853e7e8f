/**
 * State clean-up on failed legs, with an in-test one-leg mechanism standing in
 * for Kerberos (unit test: no KDC involved).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Negotiate } from "@effect-sspi/negotiate"
import { encodeToken } from "../src/internal/encode.ts"
import { KRB5 } from "../src/internal/oids.ts"

const oneLeg = () => {
  const live = new Set<{ key: Uint8Array }>()
  const pkg: SecurityPackage.SecurityPackage<null, { key: Uint8Array }> = {
    info: { name: "Kerberos", comment: "one-leg stand-in", capabilities: 0, version: 1, rpcId: 16, maxToken: 100 },
    acquireCredentials: () => Effect.succeed({ credential: null, expiry: Infinity }),
    freeCredentials: () => Effect.void,
    initialize: () => Effect.fail(new SecurityError.NoCredentials({})),
    accept: () =>
      Effect.sync(() => {
        const state = { key: new Uint8Array(16).fill(7) }
        live.add(state)
        return { status: "SEC_E_OK" as const, state, output: [], attributes: 0, expiry: Infinity }
      }),
    deleteContext: (state) => Effect.sync(() => {
      state.key.fill(0)
      live.delete(state)
    }),
    queryAttribute: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
    makeSignature: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
    verifySignature: () => Effect.fail(new SecurityError.MessageAltered({})),
    encryptMessage: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
    decryptMessage: () => Effect.fail(new SecurityError.UnsupportedFunction({}))
  }
  return { pkg, live }
}

const request = (token: Uint8Array): SecurityPackage.HandshakeRequest =>
  ({ targetName: undefined, contextReq: 0, dataRep: 0x10, input: [SecBuffer.token(token)], now: 0 })

describe("Negotiate releases inner state on failed first legs", () => {
  it.effect("the mechanism accepted, then the mechListMIC failed: its state is deleted (keys zeroed)", () =>
    Effect.gen(function*() {
      const { pkg, live } = oneLeg()
      const negotiate = Negotiate.make({ kerberos: pkg })
      const credential = (yield* negotiate.acquireCredentials({ principal: undefined, credentialUse: 1, authData: {}, now: 0 })).credential
      const init = encodeToken({ _tag: "NegTokenInit", mechTypes: [KRB5], mechToken: Uint8Array.of(1, 2, 3), mechListMIC: Uint8Array.of(0xde, 0xad) })
      const exit = yield* Effect.exit(negotiate.accept(credential, undefined, request(init)))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(live.size, 0)
    }))
})
