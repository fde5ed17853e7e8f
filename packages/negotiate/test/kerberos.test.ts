/**
 * Negotiate choosing Kerberos against MIT's KDC (a throwaway realm), MIT's
 * SPNEGO in both directions, and the fall-back to NTLM when the KDC does not
 * answer (TestClock, a silent KDC on loopback). Missing peers: loud skip, or
 * a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { Flags, Handshake, SecurityContext } from "@effect-sspi/core"
import { Drivers, Ours, Realm, requirePeersSync, SilentKdc } from "@effect-sspi/interop-harness"
import { decodeToken } from "../src/internal/decode.ts"
import { KRB5, NTLMSSP } from "../src/internal/oids.ts"
import { alice, credentials, negotiateLayer } from "./support/runtime.ts"

const hasKrb5 = requirePeersSync("krb5")
const MUTUAL = Flags.IscReq.MUTUAL_AUTH | Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY | Flags.IscReq.SEQUENCE_DETECT

const withRealm = <A, E>(body: (realm: Realm.Realm) => Effect.Effect<A, E, any>) =>
  Effect.scoped(Effect.gen(function*() {
    const realm = yield* Realm.start()
    return yield* body(realm).pipe(Effect.provide(negotiateLayer({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env })))
  }))

const clientAuth = (realm: Realm.Realm) => ({ kerberos: { principal: realm.user, password: Redacted.make(realm.password) }, ntlm: alice })

describe("Negotiate with Kerberos", () => {
  it.live.skipIf(!hasKrb5)("Negotiate ↔ Negotiate chooses Kerberos: optimistic AP-REQ, AP-REP, then sign and seal", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const initiator = yield* SecurityContext.initiator(yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, clientAuth(realm)), { targetName: "HTTP/localhost", contextReq: MUTUAL })
        const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND, { kerberos: { keytab: realm.keytab } }))
        const legs = yield* Handshake.run(initiator, acceptor)
        const init = decodeToken(legs[0]!.token!)
        assert.isTrue(init._tag === "Success" && init.success._tag === "NegTokenInit" && init.success.mechTypes[0]!.equals(KRB5))
        assert.isTrue(init._tag === "Success" && init.success._tag === "NegTokenInit" && init.success.mechTypes[1]!.equals(NTLMSSP))
        assert.strictEqual((yield* acceptor.query("NegotiationInfo")).packageInfo.name, "Kerberos")
        assert.strictEqual((yield* initiator.query("NegotiationInfo")).packageInfo.name, "Kerberos")
        assert.strictEqual((yield* acceptor.query("Names")).userName, realm.principal)
        const message = new TextEncoder().encode("over kerberos")
        const signature = yield* initiator.makeSignature(message)
        assert.strictEqual(yield* acceptor.verifySignature(message, signature), 0)
        const opened = yield* acceptor.decrypt(Ours.kerberosFraming.split(Ours.kerberosFraming.join(yield* initiator.encrypt(message))))
        assert.deepStrictEqual(opened.buffers.find((b) => b.baseType === 1)!.data, message)
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("our Negotiate initiator ↔ MIT SPNEGO acceptor (Kerberos), then wrap and MIC both ways", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const peer = yield* Drivers.gssPeer({ role: "accept", mech: "spnego", env: realm.env })
        const ours = yield* SecurityContext.initiator(yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, clientAuth(realm)), { targetName: "HTTP/localhost", contextReq: MUTUAL })
        const result = yield* Drivers.handshake(yield* Ours.ourStepper(ours), Drivers.stepper(peer))
        assert.strictEqual(result.acceptor?.initiator_name, realm.principal)
        assert.strictEqual((yield* ours.query("NegotiationInfo")).packageInfo.name, "Kerberos")
        yield* Ours.exchangeMessages(ours, peer, Ours.kerberosFraming)
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("MIT SPNEGO initiator (kinit) ↔ our Negotiate acceptor with the keytab, then wrap and MIC both ways", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        yield* Realm.kinit(realm)
        const peer = yield* Drivers.gssPeer({ role: "initiate", mech: "spnego", target: realm.service, env: realm.env })
        const ours = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND, { kerberos: { keytab: realm.keytab } }))
        const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours))
        assert.isAtLeast(result.legs, 2)
        assert.strictEqual((yield* ours.query("Names")).userName, realm.principal)
        assert.strictEqual((yield* ours.query("NegotiationInfo")).packageInfo.name, "Kerberos")
        yield* Ours.exchangeMessages(ours, peer, Ours.kerberosFraming)
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("our Negotiate acceptor takes a bare Kerberos token (MIT krb5 initiator, no SPNEGO), as Windows servers do", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        yield* Realm.kinit(realm)
        const peer = yield* Drivers.gssPeer({ role: "initiate", mech: "krb5", target: realm.service, env: realm.env })
        const ours = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND, { kerberos: { keytab: realm.keytab } }))
        const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours))
        assert.strictEqual(result.legs, 2)
        assert.strictEqual((yield* ours.query("Names")).userName, realm.principal)
        assert.strictEqual((yield* ours.query("NegotiationInfo")).packageInfo.name, "Kerberos")
        yield* Ours.exchangeMessages(ours, peer, Ours.kerberosFraming)
      })
    ), 60_000)

  it.effect("falls back to NTLM when the real Kerberos package's KDC never answers (TestClock)", () =>
    Effect.scoped(Effect.gen(function*() {
      const kdc = yield* SilentKdc.start
      const legs = yield* Effect.gen(function*() {
        const initiator = yield* SecurityContext.initiator(
          yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, { kerberos: { principal: "alice", password: Redacted.make("x") }, ntlm: alice }),
          { targetName: "HTTP/localhost" }
        )
        const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND))
        const fiber = yield* Effect.forkChild(Handshake.run(initiator, acceptor))
        for (let i = 0; i < 10; i++) {
          yield* Effect.yieldNow
          yield* TestClock.adjust("1 second")
        }
        const legs = yield* Fiber.join(fiber)
        assert.strictEqual((yield* acceptor.query("NegotiationInfo")).packageInfo.name, "NTLM")
        return legs
      }).pipe(Effect.provide(negotiateLayer({ realm: "TEST.REALM", kdc: [kdc.address], udpPreferenceLimit: 1, kdcTimeout: "3 seconds", krb5Config: "/nonexistent", env: {} })))
      const init = decodeToken(legs[0]!.token!)
      assert.isTrue(init._tag === "Success" && init.success._tag === "NegTokenInit" && init.success.mechTypes.length === 1 && init.success.mechTypes[0]!.equals(NTLMSSP))
    })))
})
