/**
 * Negotiate's fall-back to NTLM is visible (issue 10): the real Kerberos
 * package whose KDC never answers (a silent KDC on loopback, TestClock), then
 * NTLM. NegotiationInfo names NTLM and why Kerberos was passed over, the
 * fall-back is logged once, and a failure of NTLM says that NTLM was only a
 * fall-back and why; the acceptor records the client's first choice it
 * passed over; working Kerberos leaves no fall-back. Missing MIT krb5: loud
 * skip, or a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { Flags, Handshake, SecurityContext } from "@effect-sspi/core"
import { Realm, requirePeersSync, SilentKdc } from "@effect-sspi/interop-harness"
import { encodeToken } from "../src/internal/encode.ts"
import { KRB5, NEGOEX, NTLMSSP } from "../src/internal/oids.ts"
import { NegState } from "../src/internal/tokens.ts"
import { alice, credentials, negotiateLayer } from "./support/runtime.ts"

const hasKrb5 = requirePeersSync("krb5")
const PASSWORD = "Kerberos-S3cret-never-shown"

/** Runs `body` with Negotiate over NTLM and the real Kerberos package pointed at a silent KDC, collecting log lines. */
const withSilentKdc = <A, E>(body: (kdc: { readonly address: string }, logs: ReadonlyArray<string>) => Effect.Effect<A, E, any>) =>
  Effect.scoped(Effect.gen(function*() {
    const kdc = yield* SilentKdc.start
    const logs: Array<string> = []
    const collect = Logger.layer([Logger.make((o) => logs.push(`${o.logLevel}: ${String(o.message)}`))])
    return yield* body(kdc, logs).pipe(
      Effect.provide(Layer.merge(
        negotiateLayer({ realm: "TEST.REALM", kdc: [kdc.address], udpPreferenceLimit: 1, kdcTimeout: "3 seconds", krb5Config: "/nonexistent", env: {} }),
        collect
      ))
    )
  }))

/** Runs `effect` while the TestClock moves past the KDC time-outs. */
const pastTimeouts = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    for (let i = 0; i < 10; i++) {
      yield* Effect.yieldNow
      yield* TestClock.adjust("1 second")
    }
    return yield* Fiber.join(fiber)
  })

const initiatorWith = (ntlm: unknown) =>
  Effect.gen(function*() {
    const creds = yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, { kerberos: { principal: "alice", password: Redacted.make(PASSWORD) }, ntlm })
    return yield* SecurityContext.initiator(creds, { targetName: "HTTP/localhost" })
  })

describe("Negotiate: the fall-back to NTLM is visible", () => {
  it.effect("unreachable KDC, NTLM succeeds: NegotiationInfo names NTLM and Kerberos' SEC_E_NO_AUTHENTICATING_AUTHORITY with the realm and the KDC tried; logged once as a warning", () =>
    withSilentKdc((kdc, logs) =>
      Effect.gen(function*() {
        const initiator = yield* initiatorWith(alice)
        const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND))
        yield* pastTimeouts(Handshake.run(initiator, acceptor))
        const info = yield* initiator.query("NegotiationInfo")
        assert.strictEqual(info.packageInfo.name, "NTLM")
        assert.isTrue(info.complete)
        assert.strictEqual(info.fallback?.length, 1)
        const [kerberos] = info.fallback!
        assert.strictEqual(kerberos!.packageName, "Kerberos")
        assert.strictEqual(kerberos!.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
        assert.include(kerberos!.detail, "TEST.REALM")
        assert.include(kerberos!.detail, kdc.address)
        assert.include(kerberos!.detail, "no reply within")
        // the client offered only NTLM: the acceptor passed nothing over
        const accepted = yield* acceptor.query("NegotiationInfo")
        assert.strictEqual(accepted.packageInfo.name, "NTLM")
        assert.isUndefined(accepted.fallback)
        const warnings = logs.filter((l) => l.includes("Negotiate initiator"))
        assert.strictEqual(warnings.length, 1)
        assert.match(warnings[0]!, /^Warn: Negotiate initiator: NTLM was used because Kerberos failed: SEC_E_NO_AUTHENTICATING_AUTHORITY: realm TEST\.REALM: /)
        assert.include(warnings[0]!, kdc.address)
        assert.notInclude(logs.join("\n"), PASSWORD)
      })
    ))

  it.effect("unreachable KDC, then the NTLM acceptor refuses the user: SEC_E_LOGON_DENIED stays, and the initiator's detail says NTLM refused the logon and why NTLM was used", () =>
    withSilentKdc((kdc) =>
      Effect.gen(function*() {
        const initiator = yield* initiatorWith({ user: "mallory", domain: "EXAMPLE", password: Redacted.make("nope") })
        const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND))
        const negotiate = yield* pastTimeouts(initiator.step())
        const challenge = yield* acceptor.step(negotiate.token)
        const authenticate = yield* initiator.step(challenge.token)
        // the acceptor's own error: NTLM's, unchanged (the client offered only NTLM)
        const refused = yield* Effect.flip(acceptor.step(authenticate.token))
        assert.strictEqual(refused.status, "SEC_E_LOGON_DENIED")
        assert.notInclude(refused.detail ?? "", "Kerberos")
        // the acceptor's answer: negState reject (RFC 4178 section 4.2.2)
        const error = yield* Effect.flip(initiator.step(encodeToken({ _tag: "NegTokenResp", negState: NegState.Reject })))
        assert.strictEqual(error._tag, "LogonDenied")
        assert.strictEqual(error.status, "SEC_E_LOGON_DENIED")
        assert.match(
          error.detail!,
          /^NTLM refused the logon \(SEC_E_LOGON_DENIED: the acceptor rejected the negotiation\); NTLM was used because Kerberos failed: SEC_E_NO_AUTHENTICATING_AUTHORITY: realm TEST\.REALM: /
        )
        assert.include(error.detail, kdc.address)
        assert.include(error.detail, "make a KDC of the realm reachable")
        assert.notInclude(error.detail, PASSWORD)
      })
    ))

  it.effect("the NTLM mechanism's own failure after the fall-back keeps its status and gains the reason", () =>
    withSilentKdc((kdc) =>
      Effect.gen(function*() {
        const initiator = yield* initiatorWith(alice)
        yield* pastTimeouts(initiator.step())
        // a NegTokenResp whose NTLM CHALLENGE is garbage: NTLM's SEC_E_INVALID_TOKEN, explained
        const error = yield* Effect.flip(initiator.step(encodeToken({
          _tag: "NegTokenResp",
          negState: NegState.AcceptIncomplete,
          supportedMech: NTLMSSP,
          responseToken: new TextEncoder().encode("NTLMSSP\0garbage")
        })))
        assert.strictEqual(error.status, "SEC_E_INVALID_TOKEN")
        assert.match(error.detail!, /^NTLM failed \(SEC_E_INVALID_TOKEN/)
        assert.include(error.detail, `NTLM was used because Kerberos failed: SEC_E_NO_AUTHENTICATING_AUTHORITY: realm TEST.REALM: `)
        assert.include(error.detail, kdc.address)
      })
    ))

  it.effect("the acceptor without a Kerberos credential chooses NTLM over the client's Kerberos: NegotiationInfo says Kerberos was passed over (SEC_E_NO_CREDENTIALS)", () =>
    Effect.gen(function*() {
      const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND))
      const step = yield* acceptor.step(encodeToken({ _tag: "NegTokenInit", mechTypes: [KRB5, NTLMSSP] }))
      assert.strictEqual(step.status, "SEC_I_CONTINUE_NEEDED")
      const info = yield* acceptor.query("NegotiationInfo")
      assert.strictEqual(info.packageInfo.name, "NTLM")
      assert.deepStrictEqual(info.fallback, [{ packageName: "Kerberos", status: "SEC_E_NO_CREDENTIALS", detail: "this acceptor holds no Kerberos credential" }])
    }).pipe(Effect.scoped, Effect.provide(negotiateLayer())))

  it.live.skipIf(!hasKrb5)("the acceptor with Kerberos and refuseWhenKerberosPossible passes over the client's NEGOEX (SEC_E_SECPKG_NOT_FOUND) and NTLM (SEC_E_UNSUPPORTED_FUNCTION), logged once as information", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const logs: Array<string> = []
      const collect = Logger.layer([Logger.make((o) => logs.push(`${o.logLevel}: ${String(o.message)}`))])
      yield* Effect.gen(function*() {
        const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND, { kerberos: { keytab: realm.keytab } }))
        const step = yield* acceptor.step(encodeToken({ _tag: "NegTokenInit", mechTypes: [NEGOEX, NTLMSSP, KRB5] }))
        assert.strictEqual(step.status, "SEC_I_CONTINUE_NEEDED")
        const info = yield* acceptor.query("NegotiationInfo")
        assert.strictEqual(info.packageInfo.name, "Kerberos")
        assert.deepStrictEqual(info.fallback, [
          { packageName: "NEGOEX", status: "SEC_E_SECPKG_NOT_FOUND", detail: "mechanism 1.3.6.1.4.1.311.2.2.30 is not supported" },
          { packageName: "NTLM", status: "SEC_E_UNSUPPORTED_FUNCTION", detail: "NTLM is refused: this acceptor can use Kerberos" }
        ])
        assert.deepStrictEqual(logs.filter((l) => l.includes("Negotiate acceptor")), [
          "Info: Negotiate acceptor: Kerberos was used because NEGOEX failed: SEC_E_SECPKG_NOT_FOUND: mechanism 1.3.6.1.4.1.311.2.2.30 is not supported; NTLM failed: SEC_E_UNSUPPORTED_FUNCTION: NTLM is refused: this acceptor can use Kerberos"
        ])
      }).pipe(Effect.provide(Layer.merge(
        negotiateLayer({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env }, { acceptorNtlm: "refuseWhenKerberosPossible" }),
        collect
      )))
    })), 60_000)

  it.effect("NTLM only (no Kerberos package): no fall-back entry", () =>
    Effect.gen(function*() {
      const initiator = yield* SecurityContext.initiator(yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, alice), { targetName: "HTTP/localhost" })
      const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND))
      yield* Handshake.run(initiator, acceptor)
      assert.strictEqual((yield* initiator.query("NegotiationInfo")).packageInfo.name, "NTLM")
      assert.isUndefined((yield* initiator.query("NegotiationInfo")).fallback)
    }).pipe(Effect.scoped, Effect.provide(negotiateLayer())))

  it.live.skipIf(!hasKrb5)("working Kerberos (MIT KDC): Kerberos chosen, no fall-back entry on either side", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Effect.gen(function*() {
        const initiator = yield* SecurityContext.initiator(
          yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, { kerberos: { principal: realm.user, password: Redacted.make(realm.password) }, ntlm: alice }),
          { targetName: "HTTP/localhost" }
        )
        const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND, { kerberos: { keytab: realm.keytab } }))
        yield* Handshake.run(initiator, acceptor)
        for (const context of [initiator, acceptor]) {
          const info = yield* context.query("NegotiationInfo")
          assert.strictEqual(info.packageInfo.name, "Kerberos")
          assert.isUndefined(info.fallback)
        }
      }).pipe(Effect.provide(negotiateLayer({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env })))
    })), 60_000)
})
