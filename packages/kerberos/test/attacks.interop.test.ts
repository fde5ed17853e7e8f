/**
 * Kerberos attacks built from REAL MIT tokens (MIT krb5kdc, kinit,
 * python3-gssapi): a postdated, never-validated ticket (issue 9 E), and the
 * per-message attacks already refused (MIC/Wrap tamper and sequence, AP-REQ
 * replay) through the real KDC. Missing peers: loud skip, or a failure under
 * CI=true.
 */
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Flags, SecBuffer, SecurityContext } from "@effect-sspi/core"
import { Command, Drivers, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { acquire, ALL_REQ, realmLayer } from "./support/interop.ts"

const hasKrb5 = requirePeersSync("krb5")

const withRealm = <A, E>(body: (realm: Realm.Realm) => Effect.Effect<A, E, any>) =>
  Effect.scoped(Effect.gen(function*() {
    const realm = yield* Realm.start()
    return yield* body(realm).pipe(Effect.provide(realmLayer(realm)))
  }))

describe("Kerberos attacks with real MIT tokens", () => {
  it.live.skipIf(!hasKrb5)(
    "E: a postdated service ticket with the INVALID flag (kinit -S HTTP/localhost -s 2m) → SEC_E_TIME_SKEW from our acceptor; MIT's acceptor refuses it too",
    () =>
      withRealm((realm) =>
        Effect.gen(function*() {
          const ccache = Path.join(realm.dir, "postdated.ccache")
          const kinit = yield* Command.run("/usr/bin/kinit", ["-S", "HTTP/localhost", "-s", "2m", realm.principal], {
            env: { ...realm.env, KRB5CCNAME: ccache },
            input: `${realm.password}\n`
          })
          assert.strictEqual(kinit.code, 0, kinit.stderr)
          const klist = yield* Command.run("/usr/bin/klist", ["-f", ccache], { env: realm.env })
          assert.match(klist.stdout, /Flags: \w*d\w*i/, "postdated (d) and invalid (i)")
          const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { ccache })
          const c = yield* SecurityContext.initiator(client, { targetName: "HTTP/localhost", contextReq: Flags.IscReq.INTEGRITY })
          const token = (yield* c.step()).token!
          const server = yield* acquire(Flags.CredentialUse.INBOUND, { keytab: realm.keytab })
          const s = yield* SecurityContext.acceptor(server)
          const error = yield* Effect.flip(s.step(token))
          assert.strictEqual(error.status, "SEC_E_TIME_SKEW")
          assert.include(error.detail, "INVALID")
          const mit = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", env: realm.env })
          const mitError = yield* Effect.flip(Drivers.step(mit, token))
          assert.match(String(mitError.message), /invalid/i)
        })
      ),
    60_000
  )

  it.live.skipIf(!hasKrb5)("AP-REQ replay, MIC tamper, Wrap tamper and Wrap replay through the real KDC (already refused)", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal: realm.user, password: Redacted.make(realm.password) })
        const server = yield* acquire(Flags.CredentialUse.INBOUND, { keytab: realm.keytab })
        const c = yield* SecurityContext.initiator(client, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
        const s = yield* SecurityContext.acceptor(server)
        const first = yield* c.step()
        yield* s.step(first.token!).pipe(Effect.flatMap((r) => c.step(r.token!)))
        // AP-REQ replay → KRB_AP_ERR_REPEAT
        const again = yield* SecurityContext.acceptor(server)
        assert.strictEqual((yield* Effect.flip(again.step(first.token!))).status, "SEC_E_INVALID_TOKEN")
        // MIC over altered data → SEC_E_MESSAGE_ALTERED
        const message = new TextEncoder().encode("pay 10 to bob")
        const mic = yield* c.makeSignature(message)
        const altered = Uint8Array.from(message)
        altered[4]! ^= 1
        assert.strictEqual((yield* Effect.flip(s.verifySignature(altered, mic))).status, "SEC_E_MESSAGE_ALTERED")
        // the genuine MIC verifies; the same MIC again is a replay (replay detection asked)
        yield* s.verifySignature(message, mic)
        assert.strictEqual((yield* Effect.flip(s.verifySignature(message, mic))).status, "SEC_E_OUT_OF_SEQUENCE")
        // a sealed message with one bit flipped → SEC_E_MESSAGE_ALTERED
        const sealed = yield* c.encrypt(new TextEncoder().encode("secret"))
        const flipped = sealed.map((b) => b.baseType === SecBuffer.BufferType.DATA
          ? new SecBuffer.SecBuffer({ type: b.type, data: b.data.map((x, i) => i === 0 ? x ^ 1 : x) })
          : b)
        assert.strictEqual((yield* Effect.flip(s.decrypt(flipped))).status, "SEC_E_MESSAGE_ALTERED")
        // the genuine sealed message, then its replay → SEC_E_OUT_OF_SEQUENCE
        yield* s.decrypt(sealed)
        assert.strictEqual((yield* Effect.flip(s.decrypt(sealed))).status, "SEC_E_OUT_OF_SEQUENCE")
      })
    ), 60_000)
})
