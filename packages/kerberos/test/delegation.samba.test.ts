/**
 * S4U against a REAL Active Directory KDC: the Samba AD DC of the run
 * (Heimdal, realm CORP.TEST). A service account s4usvc (password logon,
 * SPN HTTP/s4u.corp.test) trusted for protocol transition
 * (`samba-tool delegation for-any-protocol`) and for constrained delegation
 * to HTTP/web1.corp.test (`add-service`) gets, for alice who never gave it a
 * password, a ticket to itself (S4U2Self) and from that one a ticket to
 * HTTP/web1.corp.test (S4U2Proxy), which our acceptor with WEB1$'s keytab
 * accepts as alice. A back-end it may not delegate to (the DC's host/ SPN) →
 * SEC_E_DELEGATION_POLICY.
 * Missing Samba: loud skip, or a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Redacted } from "effect"
import { Flags, SecBuffer } from "@effect-sspi/core"
import { isCI, SambaDc } from "@effect-sspi/interop-harness"
import { Delegation, Kerberos } from "../src/index.ts"
import { formatPrincipal } from "../src/internal/messages/common.ts"
import { TicketFlags } from "../src/internal/messages/ticket.ts"

const hasSamba = SambaDc.availableSync()
if (!hasSamba) {
  if (isCI()) throw new Error("delegation.samba.test: Samba AD DC not available under CI=true")
  console.warn("delegation.samba.test: Samba AD DC not available (install samba, run as root): SKIPPED")
}

const SVC = SambaDc.s4uService.name
const SVC_PASSWORD = SambaDc.s4uService.password

describe("S4U with the Samba AD DC (MS-SFU)", () => {
  it.live.skipIf(!hasSamba)("S4U2Self for alice (no password of hers) → forwardable evidence; S4U2Proxy to HTTP/web1.corp.test → our acceptor with WEB1$'s keytab sees alice; host/dc1.corp.test (the DC, AES keys) not allowed → SEC_E_DELEGATION_POLICY", () =>
    Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      yield* SambaDc.ensureS4uService(dc)
      const options = { krb5Config: dc.env["KRB5_CONFIG"], env: dc.env }
      const pkg = yield* Kerberos.make(options)
      const now = yield* Clock.currentTimeMillis
      const service = yield* pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.OUTBOUND, authData: { principal: SVC, password: Redacted.make(SVC_PASSWORD) }, now })

      const evidence = yield* Delegation.impersonate(options, service.credential, "alice")
      const self = evidence.tickets[0]!
      assert.strictEqual(formatPrincipal(self.client), `alice@${dc.realm}`)
      assert.strictEqual((self.flags & TicketFlags.FORWARDABLE) !== 0, true, "for-any-protocol makes the S4U2Self ticket forwardable")

      const toWeb1 = yield* Delegation.proxy(options, service.credential, evidence, "HTTP/web1.corp.test")
      assert.strictEqual(formatPrincipal(toWeb1.tickets[0]!.client), `alice@${dc.realm}`)
      const hop = yield* pkg.initialize(toWeb1, undefined, { targetName: "HTTP/web1.corp.test", contextReq: Flags.IscReq.MUTUAL_AUTH, dataRep: 0, input: [], now })
      const web1 = yield* pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab: dc.web1.keytab, principal: "HTTP/web1.corp.test" }, now })
      const accepted = yield* pkg.accept(web1.credential, undefined, { targetName: undefined, contextReq: 0, dataRep: 0, input: [SecBuffer.token(hop.output[0]!.data)], now })
      assert.strictEqual(accepted.status, "SEC_E_OK")
      assert.strictEqual(formatPrincipal(accepted.state.client), `alice@${dc.realm}`)

      const refused = yield* Effect.flip(Delegation.proxy(options, service.credential, evidence, "host/dc1.corp.test"))
      assert.strictEqual(refused.status, "SEC_E_DELEGATION_POLICY")
      assert.include(refused.detail, "host/dc1.corp.test")
      for (const c of [service.credential, evidence, toWeb1, web1.credential]) yield* pkg.freeCredentials(c)
      yield* pkg.deleteContext(accepted.state)
    }), 180_000)
})
