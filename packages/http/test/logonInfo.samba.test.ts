/**
 * The HTTP Principal carries the logon identity (issue 11 item 1 through
 * HTTP), against a REAL Active Directory KDC: the Samba AD DC of the run
 * (realm CORP.TEST). Our SspiClient (alice's password, Kerberos via
 * Negotiate) → our HTTP server with WEB1$'s keytab; the handler returns the
 * Principal, whose SIDs equal those samba-tool reported when the DC was
 * provisioned (`SambaDc`). No extra round trip: one request, one leg.
 * Missing Samba: loud skip, or a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { HttpClient, HttpServerResponse } from "effect/http"
import { SspiRuntime } from "@effect-sspi/core"
import { isCI, SambaDc } from "@effect-sspi/interop-harness"
import { Kerberos } from "@effect-sspi/kerberos"
import { Principal, SspiClient } from "@effect-sspi/http"
import { clientLayer, ConnectionLog, serve } from "./support/server.ts"

const hasSamba = SambaDc.availableSync()
if (!hasSamba) {
  if (isCI()) throw new Error("http logonInfo.samba.test: Samba AD DC not available under CI=true")
  console.warn("http logonInfo.samba.test: Samba AD DC not available (install samba, run as root): SKIPPED")
}

const whoami = Effect.gen(function*() {
  const p = yield* Principal
  return HttpServerResponse.jsonUnsafe({
    name: p.name,
    userSid: p.userSid,
    primaryGroupSid: p.logon?.primaryGroupSid,
    groupSids: p.groupSids,
    upn: p.upn,
    dnsDomain: p.dnsDomain,
    logonDomain: p.logonDomain
  })
})

describe("HTTP Principal from the PAC, Samba AD DC", () => {
  it.live.skipIf(!hasSamba)("SspiClient (alice) → our server (WEB1$ keytab): the Principal's SIDs, UPN and domains equal samba-tool's", () =>
    Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const runtime = SspiRuntime.SspiRuntime.layer.pipe(Layer.provide(Kerberos.layer({ krb5Config: dc.env["KRB5_CONFIG"], env: dc.env })))
      yield* Effect.scoped(Effect.gen(function*() {
        const log = new ConnectionLog()
        const { origin } = yield* serve(log, {
          schemes: ["Kerberos"],
          credentials: () => ({ authData: { keytab: dc.web1.keytab, principal: "HTTP/web1.corp.test" } })
        }, undefined, false, whoami)
        const client = (yield* HttpClient.HttpClient).pipe(SspiClient.withAuthentication({
          schemes: ["Kerberos"],
          credentials: { authData: { principal: "alice", password: Redacted.make(dc.alice.password) } },
          targetName: () => "HTTP/web1.corp.test"
        }))
        const response = yield* client.get(`${origin}/whoami`)
        assert.strictEqual(response.status, 200)
        const body = (yield* response.json) as any
        assert.strictEqual(body.userSid, dc.alice.sid)
        assert.strictEqual(body.primaryGroupSid, dc.groups.domainUsers)
        const groups = (body.groupSids as Array<{ sid: string; attributes: number }>).map((g) => g.sid)
        for (const sid of [dc.groups.webUsers, dc.groups.engineers, dc.groups.domainUsers]) assert.include(groups, sid)
        for (const g of body.groupSids as Array<{ sid: string; attributes: number }>) assert.isNumber(g.attributes)
        assert.strictEqual(body.upn, "alice@corp.test")
        assert.strictEqual(String(body.dnsDomain).toUpperCase(), "CORP.TEST")
        assert.strictEqual(body.logonDomain, "CORP")
        // one leg: the AP-REQ (Kerberos is not kept on the connection by default)
        assert.deepStrictEqual(log.responses.map((r) => [r.authorization, r.status]), [[false, 401], [true, 200]])
      })).pipe(Effect.provide(Layer.mergeAll(runtime, clientLayer)))
    }), 180_000)
})
