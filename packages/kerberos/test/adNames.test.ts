/**
 * AD names (issue 11 item 5) against spoofed KDCs (one TCP listener per
 * realm, `support/spoofKdc.ts`, named in a krb5.conf): what the Samba DC of
 * adNames.samba.test.ts cannot show with its one realm — client referrals
 * (RFC 6806 section 7) — and the attacks on the new checks: an AS-REP naming
 * another client without canonicalization (RFC 4120 section 3.1.5), a
 * referral we did not ask for, referral loops and chains longer than
 * MAX_CLIENT_REFERRALS, an AS-REP whose TGT is for another realm.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted, Result } from "effect"
import * as fc from "fast-check"
import { CredentialCache } from "../src/index.ts"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { MAX_CLIENT_REFERRALS } from "../src/internal/kdc/client.ts"
import { KdcOptions } from "../src/internal/messages/kdc.ts"
import { encodeChecksum, formatPrincipal, NameType, parseClientPrincipal, type PrincipalName } from "../src/internal/messages/common.ts"
import { encodeKrbError, ErrorCode } from "../src/internal/messages/error.ts"
import { decodeKdcReq, encodeEncKdcRepPart, encodeKdcRep, type KdcReq } from "../src/internal/messages/kdc.ts"
import { encodeEtypeInfo2, encodePaData, PaType } from "../src/internal/messages/padata.ts"
import { decodeTicket, encodeTicket, TicketFlags } from "../src/internal/messages/ticket.ts"
import * as Der from "../src/internal/asn1/der.ts"
import * as SpoofKdc from "./support/spoofKdc.ts"

const PASSWORD = "Passw0rd!"
const SALT = "CORP.TESTalice"
const aes256 = Option.getOrThrow(enctype(18))
const KEY = aes256.stringToKey(new TextEncoder().encode(PASSWORD), new TextEncoder().encode(SALT))
const alice: PrincipalName = { nameType: NameType.PRINCIPAL, components: ["alice"] }

/** What a spoofed realm's KDC answers. */
type Behaviour =
  | { readonly _tag: "Referral"; readonly to: string }
  | {
    readonly _tag: "Ticket"
    readonly crealm?: string
    readonly cname?: PrincipalName
    readonly srealm?: string
    /**
     * RFC 6806 section 11's proof, as MIT and Heimdal send it (default "valid": enc-pa-rep and
     * PA-REQ-ENC-PA-REP over the request received); "none": neither (an old KDC); "flagOnly": the
     * flag without the padata; "otherRequest": a checksum of a request other than ours
     */
    readonly proof?: "valid" | "none" | "flagOnly" | "otherRequest"
  }

/** An AS-REP for the request `req` (received as `bytes`), encrypted in alice's AES256 key (salt in the reply's ETYPE-INFO2). */
const asRep = (realm: string, req: KdcReq, bytes: Uint8Array, b: Extract<Behaviour, { _tag: "Ticket" }>) => {
  const proof = b.proof ?? "valid"
  const covered = proof === "otherRequest" ? Uint8Array.from([...bytes.subarray(0, -1), bytes.at(-1)! ^ 1]) : bytes
  const checksum = Der.encode(encodeChecksum({ cksumtype: aes256.checksumType, checksum: aes256.checksum(KEY, 56, covered) }))
  const srealm = b.srealm ?? realm
  const krbtgt = { nameType: 2, components: ["krbtgt", srealm] }
  const ticket = Result.getOrThrow(decodeTicket(encodeTicket({ realm: srealm, sname: krbtgt, encPart: { etype: 18, kvno: 1, cipher: new Uint8Array(80) } })))
  const part = encodeEncKdcRepPart(25, {
    key: { keytype: 18, keyvalue: new Uint8Array(32).fill(7) },
    nonce: req.body.nonce,
    flags: proof === "none" ? 0 : TicketFlags.ENC_PA_REP,
    authtime: Date.now(),
    endtime: Date.now() + 3_600_000,
    srealm,
    sname: krbtgt,
    encPadata: proof === "none" || proof === "flagOnly" ? undefined : [{ type: PaType.REQ_ENC_PA_REP, value: checksum }]
  })
  return encodeKdcRep(11, {
    padata: [{ type: PaType.ETYPE_INFO2, value: encodeEtypeInfo2([{ etype: 18, salt: SALT }]) }],
    crealm: b.crealm ?? realm,
    cname: b.cname ?? req.body.cname!,
    ticket,
    encPart: { etype: 18, cipher: aes256.encrypt(KEY, 3, part) }
  })
}

/**
 * Spoofed KDCs for `realms` (first = the client's), a krb5.conf naming them,
 * and getInitialCredentials for `principal`: the result (or the error's
 * status and detail) and every request each realm received.
 */
const run = (
  realms: ReadonlyArray<readonly [string, Behaviour]>,
  principal: string,
  options: { readonly enterprise?: boolean; readonly canonicalize?: boolean } = {}
) =>
  Effect.scoped(Effect.gen(function*() {
    const seen: Array<{ readonly realm: string; readonly req: KdcReq }> = []
    const lines: Array<string> = []
    for (const [realm, b] of realms) {
      const kdc = yield* SpoofKdc.start((bytes) => {
        const req = Result.getOrThrow(decodeKdcReq(bytes))
        seen.push({ realm, req })
        return b._tag === "Referral"
          ? encodeKrbError({ stime: Date.now(), susec: 0, errorCode: ErrorCode.KDC_ERR_WRONG_REALM, crealm: b.to, realm, sname: req.body.sname })
          : asRep(realm, req, bytes, b)
      })
      lines.push(`  ${realm} = {\n    kdc = tcp/${kdc.address}\n  }`)
    }
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "krb-adnames-"))
    const conf = Path.join(dir, "krb5.conf")
    Fs.writeFileSync(conf, `[libdefaults]\n  default_realm = ${realms[0]![0]}\n  dns_lookup_kdc = false\n[realms]\n${lines.join("\n")}\n`)
    const result = yield* CredentialCache.getInitialCredentials({
      principal,
      password: Redacted.make(PASSWORD),
      ...options,
      kerberos: { krb5Config: conf, env: {} }
    }).pipe(
      Effect.map((cache) => ({ _tag: "Ok" as const, client: formatPrincipal(cache.defaultPrincipal) })),
      Effect.catch((e) => Effect.succeed({ _tag: "Error" as const, status: "status" in e ? String(e.status) : e._tag, detail: "detail" in e ? String(e.detail) : "" }))
    )
    return { result, seen }
  }))

const canonicalizeAsked = (req: KdcReq) => (req.body.options & KdcOptions.CANONICALIZE) !== 0

describe("enterprise names and canonicalization (RFC 6806 section 5)", () => {
  it("parseClientPrincipal: MIT's enterprise parsing (kinit -E) and Windows' UPN form", () => {
    assert.deepStrictEqual(parseClientPrincipal("alice@corp.test@CORP.TEST", "X"), {
      name: { nameType: 10, components: ["alice@corp.test"] },
      realm: "CORP.TEST"
    })
    assert.deepStrictEqual(parseClientPrincipal("alice@corp.test", "CORP.TEST", true), {
      name: { nameType: 10, components: ["alice@corp.test"] },
      realm: "CORP.TEST"
    })
    // one '@' without `enterprise`: an ordinary principal, as before
    assert.deepStrictEqual(parseClientPrincipal("alice@CORP.TEST", "X"), { name: { nameType: 1, components: ["alice"] }, realm: "CORP.TEST" })
    // an escaped '@' is part of an ordinary name
    assert.deepStrictEqual(parseClientPrincipal("a\\@b@R", "X"), { name: { nameType: 1, components: ["a@b"] }, realm: "R" })
  })

  it("property: a UPN and a realm round-trip through the enterprise form", () => {
    const part = fc.stringMatching(/^[a-z0-9.\-]{1,12}$/)
    fc.assert(fc.property(part, part, fc.stringMatching(/^[A-Z.]{1,12}$/), (user, domain, realm) => {
      const p = parseClientPrincipal(`${user}@${domain}@${realm}`, "DEFAULT")
      assert.deepStrictEqual(p, { name: { nameType: 10, components: [`${user}@${domain}`] }, realm })
    }))
  })

  it.live("an enterprise name goes out as NT-ENTERPRISE with canonicalize; the KDC's canonical name becomes the credential's", () =>
    Effect.gen(function*() {
      const { result, seen } = yield* run([["CORP.TEST", { _tag: "Ticket", cname: alice }]], "alice@corp.test@CORP.TEST")
      assert.deepStrictEqual(result, { _tag: "Ok", client: "alice@CORP.TEST" })
      assert.deepStrictEqual(seen[0]!.req.body.cname, { nameType: 10, components: ["alice@corp.test"] })
      assert.isTrue(canonicalizeAsked(seen[0]!.req))
    }))

  it.live("an ordinary name asks for canonicalization only when told (MIT's kinit -C)", () =>
    Effect.gen(function*() {
      const plain = yield* run([["CORP.TEST", { _tag: "Ticket" }]], "alice")
      assert.isFalse(canonicalizeAsked(plain.seen[0]!.req))
      const asked = yield* run([["CORP.TEST", { _tag: "Ticket", cname: alice }]], "ALICE", { canonicalize: true })
      assert.isTrue(canonicalizeAsked(asked.seen[0]!.req))
      assert.deepStrictEqual(asked.result, { _tag: "Ok", client: "alice@CORP.TEST" })
    }))

  it.live("attack: an AS-REP naming another client when canonicalization was not asked → SEC_E_INVALID_TOKEN (RFC 4120 3.1.5)", () =>
    Effect.gen(function*() {
      const { result } = yield* run([["CORP.TEST", { _tag: "Ticket", cname: { nameType: 1, components: ["administrator"] } }]], "alice")
      assert.strictEqual(result._tag, "Error")
      assert.strictEqual(result._tag === "Error" && result.status, "SEC_E_INVALID_TOKEN")
      const realm = yield* run([["CORP.TEST", { _tag: "Ticket", crealm: "EVIL.TEST" }]], "alice")
      assert.strictEqual(realm.result._tag === "Error" && realm.result.status, "SEC_E_INVALID_TOKEN")
    }))

  it.live("every AS-REQ carries an empty PA-REQ-ENC-PA-REP (RFC 6806 section 11), and the KDC's proof over it is checked", () =>
    Effect.gen(function*() {
      const { result, seen } = yield* run([["CORP.TEST", { _tag: "Ticket" }]], "alice")
      assert.deepStrictEqual(result, { _tag: "Ok", client: "alice@CORP.TEST" })
      assert.deepStrictEqual(seen[0]!.req.padata.filter((p) => p.type === PaType.REQ_ENC_PA_REP).map((p) => p.value.length), [0])
      // an old KDC that proves nothing: fine while the name is the one asked for
      const old = yield* run([["CORP.TEST", { _tag: "Ticket", proof: "none" }]], "alice", { canonicalize: true })
      assert.deepStrictEqual(old.result, { _tag: "Ok", client: "alice@CORP.TEST" })
    }))

  it.live("attack: the KDC renames the client (canonicalization) without proving it saw our request → SEC_E_INVALID_TOKEN (RFC 6806 section 11)", () =>
    Effect.gen(function*() {
      const { result } = yield* run([["CORP.TEST", { _tag: "Ticket", cname: { nameType: 1, components: ["administrator"] }, proof: "none" }]], "alice", { canonicalize: true })
      assert.strictEqual(result._tag === "Error" && result.status, "SEC_E_INVALID_TOKEN")
      assert.include(result._tag === "Error" ? result.detail : "", "PA-REQ-ENC-PA-REP")
      const upn = yield* run([["CORP.TEST", { _tag: "Ticket", cname: alice, proof: "none" }]], "alice@corp.test@CORP.TEST")
      assert.strictEqual(upn.result._tag === "Error" && upn.result.status, "SEC_E_INVALID_TOKEN")
    }))

  it.live("attack: a proof over another request (ours modified on the way), or enc-pa-rep without the padata → SEC_E_INVALID_TOKEN, even for an unchanged name", () =>
    Effect.gen(function*() {
      for (const proof of ["otherRequest", "flagOnly"] as const) {
        const { result } = yield* run([["CORP.TEST", { _tag: "Ticket", proof }]], "alice")
        assert.strictEqual(result._tag === "Error" && result.status, "SEC_E_INVALID_TOKEN", proof)
      }
    }))

  it.live("attack: an AS-REP whose TGT is for another realm than the reply's crealm → SEC_E_INVALID_TOKEN", () =>
    Effect.gen(function*() {
      const { result } = yield* run([["CORP.TEST", { _tag: "Ticket", cname: alice, srealm: "EVIL.TEST" }]], "alice", { canonicalize: true })
      assert.strictEqual(result._tag === "Error" && result.status, "SEC_E_INVALID_TOKEN")
    }))
})

describe("client referrals (RFC 6806 section 7), spoofed KDCs", () => {
  it.live("KDC_ERR_WRONG_REALM with crealm: the request goes again to the referred realm's KDC, whose TGT is the credential's", () =>
    Effect.gen(function*() {
      const { result, seen } = yield* run(
        [["CORP.TEST", { _tag: "Referral", to: "CHILD.CORP.TEST" }], ["CHILD.CORP.TEST", { _tag: "Ticket", cname: alice }]],
        "alice@child.corp.test@CORP.TEST"
      )
      assert.deepStrictEqual(result, { _tag: "Ok", client: "alice@CHILD.CORP.TEST" })
      assert.deepStrictEqual(seen.map((s) => `${s.realm} ${s.req.body.realm} ${s.req.body.sname.components.join("/")}`), [
        "CORP.TEST CORP.TEST krbtgt/CORP.TEST",
        "CHILD.CORP.TEST CHILD.CORP.TEST krbtgt/CHILD.CORP.TEST"
      ])
    }))

  it.live("attack: a referral to a request without canonicalization is not followed → SEC_E_NO_AUTHENTICATING_AUTHORITY", () =>
    Effect.gen(function*() {
      const { result, seen } = yield* run(
        [["CORP.TEST", { _tag: "Referral", to: "EVIL.TEST" }], ["EVIL.TEST", { _tag: "Ticket" }]],
        "alice"
      )
      assert.strictEqual(result._tag === "Error" && result.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
      assert.deepStrictEqual(seen.map((s) => s.realm), ["CORP.TEST"])
    }))

  it.live("attack: a referral loop and a chain longer than MAX_CLIENT_REFERRALS → SEC_E_NO_AUTHENTICATING_AUTHORITY, bounded requests", () =>
    Effect.gen(function*() {
      const loop = yield* run([["A.TEST", { _tag: "Referral", to: "B.TEST" }], ["B.TEST", { _tag: "Referral", to: "A.TEST" }]], "alice", { canonicalize: true })
      assert.strictEqual(loop.result._tag === "Error" && loop.result.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
      assert.include(loop.result._tag === "Error" ? loop.result.detail : "", "loop")
      assert.strictEqual(loop.seen.length, 2)
      const names = Array.from({ length: MAX_CLIENT_REFERRALS + 3 }, (_, i) => `R${i}.TEST`)
      const chain = names.map((r, i) => [r, { _tag: "Referral", to: names[i + 1] ?? "END.TEST" }] as const)
      const long = yield* run(chain, "alice", { canonicalize: true })
      assert.strictEqual(long.result._tag === "Error" && long.result.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
      assert.strictEqual(long.seen.length, MAX_CLIENT_REFERRALS + 1)
    }))
})
