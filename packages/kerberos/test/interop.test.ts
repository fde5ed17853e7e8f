/**
 * Interop with the REAL MIT Kerberos: a throwaway realm (krb5kdc), kinit,
 * and python3-gssapi peers, through the async SSPI API. Missing peers: loud
 * skip, or a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Flags, SecurityContext } from "@effect-sspi/core"
import { Drivers, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { acquire, ALL_REQ, exchangeMessages, realmLayer, stepper } from "./support/interop.ts"

const hasKrb5 = requirePeersSync("krb5")

const withRealm = <A, E>(body: (realm: Realm.Realm) => Effect.Effect<A, E, any>) =>
  Effect.scoped(Effect.gen(function*() {
    const realm = yield* Realm.start()
    return yield* body(realm).pipe(Effect.provide(realmLayer(realm)))
  }))

describe("Kerberos interop (MIT krb5kdc + python3-gssapi)", () => {
  it.live.skipIf(!hasKrb5)("our initiator (password → AS, TGS) ↔ MIT acceptor, mutual auth, then wrap and MIC both ways", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const peer = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", env: realm.env })
        const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal: realm.user, password: Redacted.make(realm.password) })
        const ours = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
        const first = yield* ours.step()
        assert.strictEqual(first.status, "SEC_I_CONTINUE_NEEDED")
        const reply = yield* Drivers.step(peer, first.token!)
        assert.isTrue(reply.done)
        assert.strictEqual(reply.status?.initiator_name, realm.principal)
        const second = yield* ours.step(reply.token!)
        assert.strictEqual(second.status, "SEC_E_OK")
        const key = Buffer.from((yield* ours.query("SessionKey")).key).toString("base64")
        assert.strictEqual(reply.status?.session_key, key)
        yield* exchangeMessages(ours, peer)
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("our initiator from a kinit ccache, without mutual auth ↔ MIT acceptor", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        yield* Realm.kinit(realm)
        const peer = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", env: realm.env })
        const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, { ccache: realm.env["KRB5CCNAME"] })
        const ours = yield* SecurityContext.initiator(cred, {
          targetName: "HTTP@localhost",
          contextReq: Flags.IscReq.SEQUENCE_DETECT | Flags.IscReq.CONFIDENTIALITY
        })
        const first = yield* ours.step()
        assert.strictEqual(first.status, "SEC_E_OK")
        const reply = yield* Drivers.step(peer, first.token!)
        assert.isTrue(reply.done)
        assert.isNull(reply.token)
        yield* exchangeMessages(ours, peer)
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("MIT initiator (kinit) ↔ our acceptor with the realm keytab, then wrap and MIC both ways", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        yield* Realm.kinit(realm)
        const peer = yield* Drivers.gssPeer({ role: "initiate", mech: "krb5", target: realm.service, env: realm.env })
        const cred = yield* acquire(Flags.CredentialUse.INBOUND, { keytab: realm.keytab })
        const ours = yield* SecurityContext.acceptor(cred)
        const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* stepper(ours))
        assert.strictEqual(result.legs, 2)
        assert.strictEqual((yield* ours.query("Names")).userName, realm.principal)
        const key = Buffer.from((yield* ours.query("SessionKey")).key).toString("base64")
        assert.strictEqual(result.initiator?.session_key, key)
        yield* exchangeMessages(ours, peer)
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("wrong password → SEC_E_LOGON_DENIED", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal: realm.user, password: Redacted.make("wrong") })
        const ours = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
        const error = yield* Effect.flip(ours.step())
        assert.strictEqual(error.status, "SEC_E_LOGON_DENIED")
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("unknown service principal → SEC_E_TARGET_UNKNOWN", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal: realm.user, password: Redacted.make(realm.password) })
        const ours = yield* SecurityContext.initiator(cred, { targetName: "HTTP/nosuchhost", contextReq: ALL_REQ })
        const error = yield* Effect.flip(ours.step())
        assert.strictEqual(error.status, "SEC_E_TARGET_UNKNOWN")
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("unknown client principal → SEC_E_LOGON_DENIED (as Windows)", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal: "nobody", password: Redacted.make("x") })
        const ours = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost" })
        const error = yield* Effect.flip(ours.step())
        assert.strictEqual(error.status, "SEC_E_LOGON_DENIED")
      })
    ), 60_000)

  it.live.skipIf(!hasKrb5)("our initiator ↔ our acceptor through the real KDC; a replayed AP-REQ is refused", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal: realm.user, password: Redacted.make(realm.password) })
        const server = yield* acquire(Flags.CredentialUse.INBOUND, { keytab: realm.keytab })
        const c = yield* SecurityContext.initiator(client, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
        const s = yield* SecurityContext.acceptor(server)
        const first = yield* c.step()
        yield* s.step(first.token!).pipe(Effect.flatMap((r) => c.step(r.token!)))
        const sealed = yield* c.encrypt(new TextEncoder().encode("hi"))
        const out = yield* s.decrypt(sealed)
        assert.strictEqual(Buffer.from(out.buffers[1]!.data).toString(), "hi")
        const replayed = yield* SecurityContext.acceptor(server)
        const error = yield* Effect.flip(replayed.step(first.token!))
        assert.strictEqual(error.status, "SEC_E_INVALID_TOKEN")
        // replaying a sealed message → out of sequence
        const again = yield* Effect.flip(s.decrypt(sealed))
        assert.strictEqual(again.status, "SEC_E_OUT_OF_SEQUENCE")
      })
    ), 60_000)
})
