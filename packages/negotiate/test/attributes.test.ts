/**
 * Negotiate passes its inner mechanism's identity attributes through
 * (issues 11 and 13): `LogonInfo` (the PAC's identity) and
 * `DelegatedCredential` (the client's forwarded TGT) from the Kerberos
 * context it negotiated, against MIT's KDC and MIT's SPNEGO initiator, and
 * against the Samba AD DC. Missing peers: loud skip, or a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Flags, Handshake, SecurityContext } from "@effect-sspi/core"
import { Drivers, isCI, Ours, Realm, requirePeersSync, SambaDc } from "@effect-sspi/interop-harness"
import { alice, credentials, negotiateLayer } from "./support/runtime.ts"

const hasKrb5 = requirePeersSync("krb5")
const hasSamba = SambaDc.availableSync()
if (!hasSamba) {
  if (isCI()) throw new Error("negotiate attributes.test: Samba AD DC not available under CI=true")
  console.warn("negotiate attributes.test: Samba AD DC not available (install samba, run as root): SKIPPED")
}
const REQ = Flags.IscReq.MUTUAL_AUTH | Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY | Flags.IscReq.SEQUENCE_DETECT | Flags.IscReq.REPLAY_DETECT

describe("Negotiate: the inner Kerberos context's LogonInfo and DelegatedCredential", () => {
  it.live.skipIf(!hasKrb5)(
    "MIT SPNEGO initiator with GSS_C_DELEG_FLAG → our Negotiate acceptor: DelegatedCredential (Kerberos) → Credentials.acquire → host/localhost as alice at MIT's acceptor; LogonInfo none (MIT's PAC has no KERB_VALIDATION_INFO)",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const realm = yield* Realm.start()
        yield* Effect.gen(function*() {
          yield* Realm.kinit(realm)
          const peer = yield* Drivers.gssPeer({ role: "initiate", mech: "spnego", target: realm.service, flags: "delegate,mutual,replay,sequence,conf,integ", env: realm.env })
          const ours = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND, { kerberos: { keytab: realm.keytab } }))
          yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours))
          assert.strictEqual((yield* ours.query("NegotiationInfo")).packageInfo.name, "Kerberos")
          assert.isUndefined((yield* ours.query("LogonInfo")).identity)
          const delegated = yield* ours.query("DelegatedCredential")
          assert.strictEqual(delegated.packageName, "Kerberos")
          const asAlice = yield* credentials(delegated.packageName, Flags.CredentialUse.OUTBOUND, delegated.authData)
          const back = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", acceptorName: "host@localhost", env: realm.env })
          const hop = yield* SecurityContext.initiator(asAlice, { targetName: "host/localhost", contextReq: REQ })
          const reply = yield* Drivers.step(back, (yield* hop.step()).token!)
          assert.isTrue(reply.done)
          assert.strictEqual(reply.status!.initiator_name, realm.principal)
        }).pipe(Effect.provide(negotiateLayer({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env })))
      })),
    60_000
  )

  it.live.skipIf(!hasSamba)(
    "Negotiate ↔ Negotiate through the Samba AD DC (HTTP/web1.corp.test, WEB1$'s keytab): the acceptor's LogonInfo is alice's PAC identity; no delegation → SEC_E_NO_CREDENTIALS",
    () =>
      Effect.gen(function*() {
        const dc = yield* SambaDc.start()
        yield* Effect.scoped(Effect.gen(function*() {
          const initiator = yield* SecurityContext.initiator(
            yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, { kerberos: { principal: "alice", password: Redacted.make(dc.alice.password) }, ntlm: alice }),
            { targetName: "HTTP/web1.corp.test", contextReq: REQ }
          )
          const acceptor = yield* SecurityContext.acceptor(
            yield* credentials("Negotiate", Flags.CredentialUse.INBOUND, { kerberos: { keytab: dc.web1.keytab, principal: "HTTP/web1.corp.test" } })
          )
          yield* Handshake.run(initiator, acceptor)
          assert.strictEqual((yield* acceptor.query("NegotiationInfo")).packageInfo.name, "Kerberos")
          const { identity } = yield* acceptor.query("LogonInfo")
          assert.strictEqual(identity?.userSid, dc.alice.sid)
          assert.strictEqual(identity?.primaryGroupSid, dc.groups.domainUsers)
          assert.includeMembers(identity!.groupSids.map((g) => g.sid), [dc.groups.webUsers, dc.groups.engineers])
          assert.strictEqual(identity?.accountName, "alice")
          const none = yield* Effect.flip(acceptor.query("DelegatedCredential"))
          assert.strictEqual(none.status, "SEC_E_NO_CREDENTIALS")
        })).pipe(Effect.provide(negotiateLayer({ krb5Config: dc.env["KRB5_CONFIG"], env: dc.env })))
      }),
    180_000
  )
})
