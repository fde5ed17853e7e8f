/**
 * AD names (issue 11 item 5) against a REAL Active Directory KDC: the Samba
 * AD DC of the run (realm CORP.TEST). Our initiator → our acceptor, both
 * through `SecurityContext`:
 * - an enterprise name (UPN alice@corp.test, RFC 6806 section 5) logs on and
 *   the acceptor's Names attribute is the canonical alice@CORP.TEST;
 * - "ALICE" with canonicalization (MIT's `kinit -C`) → the canonical "alice";
 * - salts from PA-ETYPE-INFO2 as AD gives them: "CORP.TESTalice" for a user,
 *   "CORP.TESThostweb1.corp.test" for the computer WEB1$ (not the RFC 4120
 *   default "CORP.TESTWEB1$"), both logging on with their passwords in AES;
 * - service tickets: RC4 (HTTP/localhost held by the RC4-only user websvc)
 *   and AES256 (HTTP/web1.corp.test), each taken by our acceptor; sealing a
 *   message works with the AES key and is SEC_E_UNSUPPORTED_FUNCTION with the
 *   RC4 one (RFC 4757 tokens are not done).
 * Client referrals (KDC_ERR_WRONG_REALM) need a second realm, which this
 * one-realm DC has not: adNames.test.ts covers them with a spoofed KDC.
 * Missing Samba: loud skip, or a failure under CI=true.
 */
import * as Fs from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, Result } from "effect"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { isCI, SambaDc } from "@effect-sspi/interop-harness"
import { CredentialCache, Kerberos } from "../src/index.ts"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { decodeKeytab } from "../src/internal/files/keytab.ts"
import { unframe } from "../src/internal/gss/framing.ts"
import { decodeEncTicketPart } from "../src/internal/messages/ticket.ts"
import { decodeApReq } from "../src/internal/messages/ap.ts"

const hasSamba = SambaDc.availableSync()
if (!hasSamba) {
  if (isCI()) throw new Error("adNames.samba.test: Samba AD DC not available under CI=true")
  console.warn("adNames.samba.test: Samba AD DC not available (install samba, run as root): SKIPPED")
}

const REQ = Flags.IscReq.MUTUAL_AUTH | Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY

const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${JSON.stringify(r.failure)}`)
  return r.success
}

/** The ticket's session key type (the ticket opened with the service's keytab). */
const sessionKeyType = (apReq: ReturnType<typeof decodeApReq> extends Result.Result<infer A, any> ? A : never, keytab: string) => {
  const enc = apReq.ticket.encPart
  const entry = ok(decodeKeytab(Fs.readFileSync(keytab))).find((e) => e.enctype === enc.etype && e.kvno === enc.kvno)!
  const plain = ok(Option.getOrThrow(enctype(entry.enctype)).decrypt(entry.key, 2, enc.cipher))
  return ok(decodeEncTicketPart(plain)).key.keytype
}

interface Logon {
  readonly authData: Record<string, unknown>
  readonly target: string
  readonly keytab: string
  readonly canonicalize?: boolean
}

/** One handshake through the DC: the acceptor's client name, the ticket's etype and the first leg's AP-REQ. */
const logon = (dc: SambaDc.SambaDc, o: Logon) => {
  const runtime = SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Kerberos.layer({ krb5Config: dc.env["KRB5_CONFIG"], env: dc.env, canonicalize: o.canonicalize }))
  )
  return Effect.scoped(Effect.gen(function*() {
    const client = yield* Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.OUTBOUND, authData: o.authData })
    const server = yield* Credentials.acquire({
      packageName: "Kerberos",
      credentialUse: Flags.CredentialUse.INBOUND,
      authData: { keytab: o.keytab, principal: o.target }
    })
    const initiator = yield* SecurityContext.initiator(client, { targetName: o.target, contextReq: REQ })
    const acceptor = yield* SecurityContext.acceptor(server)
    const first = yield* initiator.step()
    const accepted = yield* acceptor.step(first.token!)
    assert.strictEqual(accepted.status, "SEC_E_OK")
    assert.strictEqual((yield* initiator.step(accepted.token!)).status, "SEC_E_OK")
    const apReq = ok(decodeApReq(ok(unframe(first.token!)).message))
    // message protection: AES works; an RC4 key is refused with a typed error (RFC 4757 tokens not done)
    const sealed = yield* initiator.encrypt(new TextEncoder().encode("hello")).pipe(
      Effect.map(() => "SEC_E_OK"),
      Effect.catch((e) => Effect.succeed(e.status as string))
    )
    return {
      sealed,
      name: (yield* acceptor.query("Names")).userName,
      initiatorName: (yield* initiator.query("Names")).userName,
      ticketEtype: apReq.ticket.encPart.etype,
      sessionEtype: sessionKeyType(apReq, o.keytab)
    }
  })).pipe(Effect.provide(runtime))
}

describe("AD names against the Samba AD DC", () => {
  it.live.skipIf(!hasSamba)(
    "enterprise names (UPN) and canonicalization: the KDC's canonical name is the context's client name",
    () =>
      Effect.gen(function*() {
        const dc = yield* SambaDc.start()
        const password = Redacted.make(dc.alice.password)
        const web1 = { target: "HTTP/web1.corp.test", keytab: dc.web1.keytab }
        // RFC 6806 section 5: "alice@corp.test@CORP.TEST" is NT-ENTERPRISE alice@corp.test
        const upn = yield* logon(dc, { ...web1, authData: { principal: `alice@corp.test@${dc.realm}`, password } })
        assert.deepStrictEqual([upn.name, upn.initiatorName], [`alice@${dc.realm}`, `alice@${dc.realm}`])
        // MIT's kinit -E form: the whole string is the name, the realm the default one
        const explicit = yield* logon(dc, { ...web1, authData: { principal: "alice@corp.test", enterprise: true, password } })
        assert.strictEqual(explicit.name, `alice@${dc.realm}`)
        // an ordinary name in the wrong case, canonicalized
        const upper = yield* logon(dc, { ...web1, canonicalize: true, authData: { principal: "ALICE", password } })
        assert.strictEqual(upper.name, `alice@${dc.realm}`)
        // not asked: the KDC keeps the name as requested (RFC 6806 section 5), which RFC 4120 3.1.5 then checks
        const asGiven = yield* logon(dc, { ...web1, authData: { principal: "ALICE", password } })
        assert.strictEqual(asGiven.name, `ALICE@${dc.realm}`)
      }),
    { timeout: 360_000 }
  )

  it.live.skipIf(!hasSamba)(
    "salts from PA-ETYPE-INFO2 as AD gives them: a user's REALMuser, a computer's REALMhost<name>.<domain>; both log on in AES",
    () =>
      Effect.gen(function*() {
        const dc = yield* SambaDc.start()
        const kerberos = { krb5Config: dc.env["KRB5_CONFIG"], env: dc.env }
        const alice = yield* CredentialCache.askKdc("alice", kerberos)
        assert.include(alice.etypeInfo.map((e) => `${e.etype} ${e.salt}`), `18 ${dc.realm}alice`)
        const web1 = yield* CredentialCache.askKdc("WEB1$", kerberos)
        assert.include(web1.etypeInfo.map((e) => `${e.etype} ${e.salt}`), `18 ${dc.realm}hostweb1.corp.test`)
        // the computer's salt is not the RFC 4120 default (realm + name): only ETYPE-INFO2 makes its key right
        const machine = yield* CredentialCache.getInitialCredentials({ principal: "WEB1$", password: Redacted.make(dc.web1.password), kerberos })
        assert.strictEqual(machine.credentials[0]!.key.keytype, 18)
        const user = yield* CredentialCache.getInitialCredentials({ principal: "alice", password: Redacted.make(dc.alice.password), kerberos })
        assert.strictEqual(user.credentials[0]!.key.keytype, 18)
      }),
    { timeout: 360_000 }
  )

  it.live.skipIf(!hasSamba)(
    "service tickets: RC4 for the RC4-only user websvc (HTTP/localhost), AES256 for WEB1$ (HTTP/web1.corp.test), both accepted",
    () =>
      Effect.gen(function*() {
        const dc = yield* SambaDc.start()
        const authData = { principal: "alice", password: Redacted.make(dc.alice.password) }
        const rc4 = yield* logon(dc, { authData, target: "HTTP/localhost", keytab: dc.httpService.keytab })
        assert.deepStrictEqual([rc4.ticketEtype, rc4.sessionEtype, rc4.name, rc4.sealed], [23, 23, `alice@${dc.realm}`, "SEC_E_UNSUPPORTED_FUNCTION"])
        const aes = yield* logon(dc, { authData, target: "HTTP/web1.corp.test", keytab: dc.web1.keytab })
        assert.deepStrictEqual([aes.ticketEtype, aes.sessionEtype, aes.name, aes.sealed], [18, 18, `alice@${dc.realm}`, "SEC_E_OK"])
      }),
    { timeout: 360_000 }
  )
})
