import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { Effect, Exit } from "effect"
import { Oid } from "@effect-sspi/asn1"
import { Handshake, SecurityStatus, SspiRuntime } from "@effect-sspi/core"
import { decodeToken } from "../src/internal/decode.ts"
import { encodeToken } from "../src/internal/encode.ts"
import { NTLMSSP } from "../src/internal/oids.ts"
import type { NegTokenInit, NegTokenResp } from "../src/internal/tokens.ts"
import { negotiateLayer, negotiatePair } from "./support/runtime.ts"

const enc = new TextEncoder()
const nameOf = <A, E extends { readonly code: number }>(exit: Exit.Exit<A, E>) =>
  SecurityStatus.nameOf(SecurityStatus.fromExit(exit))
const decoded = (bytes: Uint8Array) => {
  const r = decodeToken(bytes)
  if (r._tag !== "Success") throw new Error("undecodable")
  return r.success
}

describe("Negotiate over NTLM", () => {
  it.effect("Negotiate ↔ Negotiate chooses NTLM: four legs with mechListMICs both ways, then sign and seal", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* negotiatePair()
      const legs = yield* Handshake.run(initiator, acceptor)
      assert.deepStrictEqual(legs.map((l) => `${l.role}:${l.status}`), [
        "initiator:SEC_I_CONTINUE_NEEDED",
        "acceptor:SEC_I_CONTINUE_NEEDED",
        "initiator:SEC_I_CONTINUE_NEEDED",
        "acceptor:SEC_E_OK",
        "initiator:SEC_E_OK"
      ])
      const init = decoded(legs[0]!.token!) as NegTokenInit
      assert.strictEqual(init._tag, "NegTokenInit")
      assert.isTrue(init.mechTypes[0]!.equals(NTLMSSP))
      const third = decoded(legs[2]!.token!) as NegTokenResp
      assert.isDefined(third.mechListMIC, "the initiator sends a mechListMIC with NTLM")
      const fourth = decoded(legs[3]!.token!) as NegTokenResp
      assert.strictEqual(fourth.negState, 0)
      assert.isDefined(fourth.mechListMIC, "the acceptor answers with its own")
      const info = yield* acceptor.query("NegotiationInfo")
      assert.strictEqual(info.packageInfo.name, "NTLM")
      assert.isTrue(info.complete)
      assert.strictEqual((yield* acceptor.query("PackageInfo")).name, "Negotiate")
      assert.strictEqual((yield* acceptor.query("Names")).userName, "EXAMPLE\\alice")
      const signature = yield* initiator.makeSignature(enc.encode("hi"))
      assert.strictEqual(yield* acceptor.verifySignature(enc.encode("hi"), signature), 0)
      const sealed = yield* acceptor.encrypt(enc.encode("secret"))
      const opened = yield* initiator.decrypt(sealed)
      assert.strictEqual(new TextDecoder().decode(opened.buffers.find((b) => b.baseType === 1)!.data), "secret")
    }).pipe(Effect.provide(negotiateLayer()))))

  it.effect("the acceptor takes a bare NTLM client, as Windows servers do", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* negotiatePair(undefined, "NTLM")
      const legs = yield* Handshake.run(initiator, acceptor)
      assert.strictEqual(legs.length, 4)
      assert.strictEqual((yield* acceptor.query("NegotiationInfo")).packageInfo.name, "NTLM")
    }).pipe(Effect.provide(negotiateLayer()))))

  it.effect("an altered mechList is SEC_E_DOWNGRADE_DETECTED", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* negotiatePair()
      const init = decoded((yield* initiator.step()).token!) as NegTokenInit
      const altered = encodeToken({ ...init, mechTypes: [...init.mechTypes, Oid.unsafeFromString("1.2.3.4.5")] })
      const challenge = yield* acceptor.step(altered)
      const authenticate = yield* initiator.step(challenge.token)
      const exit = yield* Effect.exit(acceptor.step(authenticate.token))
      assert.strictEqual(nameOf(exit), "SEC_E_DOWNGRADE_DETECTED")
    }).pipe(Effect.provide(negotiateLayer()))))

  it.effect("a stripped mechListMIC is SEC_E_DOWNGRADE_DETECTED", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* negotiatePair()
      const challenge = yield* acceptor.step((yield* initiator.step()).token)
      const third = decoded((yield* initiator.step(challenge.token)).token!) as NegTokenResp
      const stripped = encodeToken({ _tag: "NegTokenResp", ...(third.responseToken ? { responseToken: third.responseToken } : {}) })
      const requestMic = yield* acceptor.step(stripped)
      assert.strictEqual((decoded(requestMic.token!) as NegTokenResp).negState, 3, "request-mic")
      const answer = yield* initiator.step(requestMic.token)
      const exit = yield* Effect.exit(acceptor.step(answer.token))
      assert.strictEqual(nameOf(exit), "SEC_E_DOWNGRADE_DETECTED")
    }).pipe(Effect.provide(negotiateLayer()))))

  it.effect("unknown mechanisms only: SEC_E_ALGORITHM_MISMATCH; malformed DER: SEC_E_INVALID_TOKEN", () =>
    Effect.scoped(Effect.gen(function*() {
      const { acceptor } = yield* negotiatePair()
      const unknown = encodeToken({ _tag: "NegTokenInit", mechTypes: [Oid.unsafeFromString("1.2.3.4")] })
      assert.strictEqual(nameOf(yield* Effect.exit(acceptor.step(unknown))), "SEC_E_ALGORITHM_MISMATCH")
      for (const bad of [Uint8Array.of(0x60, 0x80, 0, 0), Uint8Array.of(0xa1, 0x03, 0x30, 0x01), unknown.subarray(0, 9)]) {
        assert.strictEqual(nameOf(yield* Effect.exit(acceptor.step(bad))), "SEC_E_INVALID_TOKEN")
      }
    }).pipe(Effect.provide(negotiateLayer()))))

  it.effect("a wrong password is SEC_E_LOGON_DENIED", () =>
    Effect.gen(function*() {
      const { Redacted } = yield* Effect.promise(() => import("effect"))
      const exit = yield* Effect.exit(Effect.scoped(Effect.flatMap(
        negotiatePair({ user: "alice", domain: "EXAMPLE", password: Redacted.make("nope") }),
        (p) => Handshake.run(p.initiator, p.acceptor)
      )))
      assert.strictEqual(nameOf(exit), "SEC_E_LOGON_DENIED")
      assert.deepStrictEqual(yield* SspiRuntime.stats, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
    }).pipe(Effect.provide(negotiateLayer())))

  it.effect("the acceptor never throws or dies on arbitrary input (fast-check)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator } = yield* negotiatePair()
      const init = (yield* initiator.step()).token!
      const samples = fc.sample(fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.tuple(fc.nat(init.length - 1), fc.nat(255)).map(([i, v]) => init.map((b, j) => (j === i ? v : b))),
        fc.nat(init.length).map((n) => init.subarray(0, n))
      ), 300)
      for (const sample of samples) {
        const { acceptor } = yield* negotiatePair()
        const exit = yield* Effect.exit(acceptor.step(sample))
        if (Exit.isFailure(exit)) {
          assert.isTrue(exit.cause.reasons.every((r) => r._tag === "Fail"), "typed errors only")
        }
      }
    }).pipe(Effect.provide(negotiateLayer()))), 60_000)
})
