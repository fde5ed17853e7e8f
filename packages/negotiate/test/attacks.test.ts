/**
 * Attacks on the Negotiate acceptor (issue 9), kept as the regression suite.
 *
 * - SPNEGO mechList stripping: a man in the middle removes Kerberos from a
 *   Kerberos-capable client's NegTokenInit (and its optimistic token) so
 *   that NTLM is chosen; the mechListMIC over the client's real list
 *   (RFC 4178 section 5) makes the acceptor refuse it.
 * - H: a bare NTLM token carries no mechListMIC: with
 *   `acceptorNtlm: "refuseWhenKerberosPossible"` the acceptor refuses NTLM
 *   (bare or through SPNEGO) where it holds a Kerberos credential.
 *
 * Kerberos is an in-test one-leg stand-in here (unit test, no KDC): the
 * attacks are on SPNEGO's choice of mechanism, not on Kerberos.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Flags, Handshake, SecurityContext, SecurityStatus } from "@effect-sspi/core"
import { decodeToken } from "../src/internal/decode.ts"
import { encodeToken } from "../src/internal/encode.ts"
import { KRB5, NTLMSSP } from "../src/internal/oids.ts"
import type { NegTokenInit } from "../src/internal/tokens.ts"
import { kerberosStandIn } from "./support/kerberosStandIn.ts"
import { alice, credentials, negotiateLayer } from "./support/runtime.ts"

const nameOf = <A, E extends { readonly code: number }>(exit: Exit.Exit<A, E>) =>
  SecurityStatus.nameOf(SecurityStatus.fromExit(exit))

const decodedInit = (bytes: Uint8Array): NegTokenInit => {
  const r = decodeToken(bytes)
  if (r._tag !== "Success" || r.success._tag !== "NegTokenInit") throw new Error("not a NegTokenInit")
  return r.success
}

/** The man in the middle: Kerberos and its optimistic token removed from the NegTokenInit. */
const stripKerberos = (bytes: Uint8Array): Uint8Array => {
  const init = decodedInit(bytes)
  return encodeToken({ _tag: "NegTokenInit", mechTypes: init.mechTypes.filter((oid) => !oid.equals(KRB5) && oid.toString() !== "1.2.840.48018.1.2.2") })
}

const pair = (clientPackage: string) =>
  Effect.gen(function*() {
    const initiator = yield* SecurityContext.initiator(
      yield* credentials(clientPackage, Flags.CredentialUse.OUTBOUND, clientPackage === "NTLM" ? alice : { ntlm: alice, kerberos: {} }),
      { targetName: "HTTP/localhost" }
    )
    const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND))
    return { initiator, acceptor }
  })

/** Runs the rest of a handshake after the first acceptor leg, relaying tokens. */
const relay = (initiator: SecurityContext.SecurityContext, acceptor: SecurityContext.SecurityContext, token: Uint8Array | undefined) =>
  Effect.gen(function*() {
    let t = token
    for (let i = 0; i < 6 && !(initiator.established() && acceptor.established()); i++) {
      const c = yield* initiator.step(t)
      if (acceptor.established() || c.token === undefined) return
      t = (yield* acceptor.step(c.token)).token
    }
  })

describe("SPNEGO mechList stripping (Kerberos-capable client moved to NTLM)", () => {
  it.effect("default policy: the client's mechListMIC over its real list exposes the stripping: SEC_E_DOWNGRADE_DETECTED", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair("Negotiate")
      const init = yield* initiator.step()
      assert.isTrue(decodedInit(init.token!).mechTypes[0]!.equals(KRB5), "the client prefers Kerberos")
      const first = yield* acceptor.step(stripKerberos(init.token!))
      const exit = yield* Effect.exit(relay(initiator, acceptor, first.token))
      assert.strictEqual(nameOf(exit), "SEC_E_DOWNGRADE_DETECTED")
      assert.isFalse(acceptor.established())
    }).pipe(Effect.provide(negotiateLayer(kerberosStandIn)))))

  it.effect("refuseWhenKerberosPossible: the stripped NegTokenInit is refused at once: SEC_E_UNSUPPORTED_FUNCTION", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair("Negotiate")
      const init = yield* initiator.step()
      const exit = yield* Effect.exit(acceptor.step(stripKerberos(init.token!)))
      assert.strictEqual(nameOf(exit), "SEC_E_UNSUPPORTED_FUNCTION")
      // NTLM preferred by the client but Kerberos offered too: Kerberos is chosen
      const ntlmFirst = encodeToken({ _tag: "NegTokenInit", mechTypes: [NTLMSSP, KRB5] })
      const { acceptor: other } = yield* pair("Negotiate")
      const answer = yield* other.step(ntlmFirst)
      const resp = decodeToken(answer.token!)
      assert.isTrue(resp._tag === "Success" && resp.success._tag === "NegTokenResp" && resp.success.supportedMech!.equals(KRB5))
    }).pipe(Effect.provide(negotiateLayer(kerberosStandIn, { acceptorNtlm: "refuseWhenKerberosPossible" })))))
})

describe("H: bare NTLM to a Kerberos-capable Negotiate acceptor", () => {
  it.effect("default policy (as Windows): a bare NTLM client is accepted", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair("NTLM")
      yield* Handshake.run(initiator, acceptor)
      assert.strictEqual((yield* acceptor.query("NegotiationInfo")).packageInfo.name, "NTLM")
    }).pipe(Effect.provide(negotiateLayer(kerberosStandIn)))))

  it.effect("refuseWhenKerberosPossible: the bare NTLM NEGOTIATE is SEC_E_UNSUPPORTED_FUNCTION; Kerberos still works", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair("NTLM")
      const exit = yield* Effect.exit(Handshake.run(initiator, acceptor))
      assert.strictEqual(nameOf(exit), "SEC_E_UNSUPPORTED_FUNCTION")
      const k = yield* pair("Negotiate")
      yield* Handshake.run(k.initiator, k.acceptor)
      assert.isTrue(k.acceptor.established())
    }).pipe(Effect.provide(negotiateLayer(kerberosStandIn, { acceptorNtlm: "refuseWhenKerberosPossible" })))))

  it.effect("refuseWhenKerberosPossible without a Kerberos credential: NTLM is the only way and is accepted", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair("NTLM")
      yield* Handshake.run(initiator, acceptor)
      assert.isTrue(acceptor.established())
    }).pipe(Effect.provide(negotiateLayer(undefined, { acceptorNtlm: "refuseWhenKerberosPossible" })))))
})
