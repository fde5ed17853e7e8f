/**
 * `sspi decode` of every Kerberos message kind, from tokens captured from
 * MIT krb5 (fixtures/krb5-messages.json, ./fixtures/capture-krb5.sh): named
 * fields, names of name types, enctypes, flags, options, error codes, times;
 * JSON; ciphertexts by size only; no input throws.
 */
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { Keytab } from "@effect-sspi/kerberos"
import { decryptApReq, findApReq } from "../src/internal/decodeDecrypt.ts"
import { decode } from "../src/internal/decodeInput.ts"
import { toJson } from "../src/internal/json.ts"
import { render, type Tree } from "../src/internal/tree.ts"

const fixture = JSON.parse(readFileSync(new URL("./fixtures/krb5-messages.json", import.meta.url), "utf8")) as {
  readonly messages: ReadonlyArray<{ readonly what: string; readonly hex: string }>
}
const samba = JSON.parse(readFileSync(new URL("./fixtures/samba-messages.json", import.meta.url), "utf8")) as typeof fixture
const hexOf = (what: string, nth = 0, from = fixture) => from.messages.filter((m) => m.what === what)[nth]!.hex
const tree = (input: string): Tree => {
  const r = decode(input)
  assert.isTrue(Result.isSuccess(r), Result.isFailure(r) ? r.failure : "")
  return Result.isSuccess(r) ? r.success : { label: "" }
}
const text = (input: string) => render(tree(input))
const base64 = (hex: string) => Buffer.from(hex, "hex").toString("base64")

describe("decode: Kerberos (MIT captures)", () => {
  it("AS-REQ: pvno, msg-type, padata types, kdc-options, principal names with their name types, etypes by name, till", () => {
    const t = text(hexOf("AS-REQ", 1))
    assert.include(t, "Kerberos AS-REQ (280 bytes)")
    assert.include(t, "├─ pvno: 5")
    assert.include(t, "msg-type: AS-REQ (10)")
    assert.include(t, "PA-DATA: PA-ENC-TIMESTAMP (2)")
    assert.match(t, /kdc-options: 0x40000010 \(forwardable, renewable-ok\)/)
    assert.match(t, /cname: preauth\n.*name-type: NT-PRINCIPAL \(1\)/)
    assert.match(t, /sname: krbtgt\/EFFECT\.TEST\n.*name-type: NT-SRV-INST \(2\)/)
    assert.include(t, "etype: AES256_CTS_HMAC_SHA1_96 (18)")
    assert.include(t, "etype: RC4_HMAC (23)")
    assert.match(t, /till: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/)
    for (const m of fixture.messages) assert.notMatch(text(m.hex), /expected |\[\d+\]: \d+ bytes/, `${m.what}: every field known`)
  })

  it("KRB-ERROR: error codes by name, e-text, METHOD-DATA with ETYPE-INFO2 and its salt", () => {
    const preauth = text(hexOf("KRB-ERROR", 0))
    assert.include(preauth, "error-code: KDC_ERR_PREAUTH_REQUIRED (25)")
    assert.include(preauth, "e-text: NEEDED_PREAUTH")
    assert.include(preauth, "PA-DATA: PA-ETYPE-INFO2 (19)")
    assert.include(preauth, "salt: EFFECT.TESTpreauth")
    assert.match(preauth, /stime: \d{4}-\d\d-\d\dT/)
    const unknown = text(hexOf("KRB-ERROR", 1))
    assert.include(unknown, "error-code: KDC_ERR_S_PRINCIPAL_UNKNOWN (7)")
    assert.include(unknown, "sname: HTTP/no-such-host")
  })

  it("AS-REP / TGS-REQ / TGS-REP: the ticket (realm, sname, kvno, etype), the AP-REQ inside PA-TGS-REQ, FAST armour; ciphertexts by size only", () => {
    const asRep = text(hexOf("AS-REP"))
    assert.include(asRep, "msg-type: AS-REP (11)")
    assert.match(asRep, /ticket\n.*tkt-vno: 5\n.*realm: EFFECT\.TEST\n.*sname: krbtgt\/EFFECT\.TEST/)
    assert.include(asRep, "kvno: 1")
    assert.match(asRep, /cipher: \d+ bytes/)
    const rep = hexOf("AS-REP")
    assert.notInclude(asRep, rep.slice(rep.length - 64), "no ciphertext bytes")
    const tgsReq = text(hexOf("TGS-REQ"))
    assert.include(tgsReq, "PA-DATA: PA-TGS-REQ (1)")
    assert.include(tgsReq, "msg-type: AP-REQ (14)")
    assert.include(tgsReq, "padata-value (KrbFastArmoredReq)")
    assert.include(tgsReq, "kdc-options: 0x40010000 (forwardable, canonicalize)")
    const tgsRep = text(hexOf("TGS-REP"))
    assert.include(tgsRep, "msg-type: TGS-REP (13)")
    assert.match(tgsRep, /sname: HTTP\/localhost\n.*name-type: NT-PRINCIPAL \(1\)/, "MIT's kvno names the service as a principal")
    assert.include(tgsRep, "kvno: 2")
  })

  it("GSS AP-REQ / AP-REP (in a Negotiate header too), MIC and Wrap tokens with their flags and sequence numbers", () => {
    const apReq = text(`Authorization: Negotiate ${base64(hexOf("AP-REQ (GSS initial context token)"))}`)
    assert.include(apReq, "TOK_ID 0100 (KRB_AP_REQ)")
    assert.include(apReq, "ap-options: 0x20000000 (mutual-required)")
    assert.match(apReq, /sname: HTTP\/localhost\n.*name-type: NT-PRINCIPAL \(1\)\n.*name-string: \["HTTP","localhost"\]/)
    assert.match(apReq, /authenticator\n.*etype: AES256_CTS_HMAC_SHA1_96 \(18\)\n.*cipher: \d+ bytes/)
    assert.include(text(hexOf("AP-REP (GSS token)")), "msg-type: AP-REP (15)")
    const mic = text(hexOf("GSS MIC token (initiator)"))
    assert.include(mic, "TOK_ID: 0404 (MIC)")
    assert.include(mic, "Flags: 0x04 (AcceptorSubkey)")
    assert.include(mic, "SGN_CKSUM: 12 bytes")
    const wrap = text(hexOf("GSS Wrap token, sealed (acceptor)"))
    assert.include(wrap, "TOK_ID: 0504 (Wrap)")
    assert.include(wrap, "Flags: 0x07 (SentByAcceptor, Sealed, AcceptorSubkey)")
    assert.match(wrap, /SND_SEQ: \d+/)
    assert.include(wrap, "Data: 49 bytes (encrypted)")
  })

  it("Samba AD DC (Heimdal KDC) captures: its METHOD-DATA (PKINIT, ETYPE-INFO2 with s2kparams), RC4 service tickets of a user account", () => {
    const preauth = text(hexOf("KRB-ERROR", 0, samba))
    assert.include(preauth, "error-code: KDC_ERR_PREAUTH_REQUIRED (25)")
    assert.include(preauth, "PA-DATA: PA-PK-AS-REQ (16)")
    assert.include(preauth, "salt: CORP.TESTalice")
    assert.include(preauth, "s2kparams: 00001000")
    const asRep = text(hexOf("AS-REP", 0, samba))
    assert.match(asRep, /sname: krbtgt\/CORP\.TEST\n.*name-type: NT-SRV-INST \(2\)/)
    const apReq = text(hexOf("AP-REQ (GSS initial context token)", 0, samba))
    assert.match(apReq, /sname: HTTP\/localhost[\s\S]*enc-part\n.*etype: RC4_HMAC \(23\)/, "websvc is a user account: RC4 only")
    assert.include(text(hexOf("KRB-ERROR", 1, samba)), "error-code: KDC_ERR_S_PRINCIPAL_UNKNOWN (7)")
    for (const m of samba.messages) assert.notMatch(text(m.hex), /expected |\[\d+\]: \d+ bytes/, `${m.what}: every field known`)
  })

  it("--keytab: the AP-REQ's ticket (key usage 2) and authenticator (usage 11) decrypted; keys by size unless --show-secrets; a wrong key or kvno says so", () => {
    const keytab = Keytab.decode(new Uint8Array(readFileSync(new URL("./fixtures/krb5-http.keytab", import.meta.url))))
    assert.isTrue(Result.isSuccess(keytab))
    const keys = Result.isSuccess(keytab) ? keytab.success : []
    const apReq = findApReq(Buffer.from(hexOf("AP-REQ (GSS initial context token)"), "hex"))!
    assert.isDefined(apReq)
    const shown = render(decryptApReq(Keytab.decrypt, apReq, keys, false))
    assert.match(shown, /ticket enc-part \(EncTicketPart\)\n.*flags: 0x[0-9a-f]{8} \(forwardable, pre-authent/)
    assert.match(shown, /key\n.*keytype: AES256_CTS_HMAC_SHA1_96 \(18\)\n.*keyvalue: 32 bytes/)
    assert.include(shown, "crealm: EFFECT.TEST")
    assert.include(shown, "ad-type: AD-IF-RELEVANT (1)")
    assert.match(shown, /authenticator \(Authenticator\)\n.*authenticator-vno: 5/)
    assert.include(shown, "cksumtype: GSS_CHECKSUM (32771)")
    assert.notMatch(shown, /keyvalue: [0-9a-f]{32}/, "no key bytes by default")
    const secrets = render(decryptApReq(Keytab.decrypt, apReq, keys, true))
    assert.match(secrets, /keyvalue: [0-9a-f]{64}/)
    // the session key shown is the one that opened the authenticator: change it and nothing decrypts
    const wrong = keys.map((k) => ({ ...k, key: k.key.map((b) => b ^ 1) }))
    assert.include(render(decryptApReq(Keytab.decrypt, apReq, wrong, false)), "the ticket does not decrypt (integrity check failed (wrong key))")
    const otherKvno = keys.map((k) => ({ ...k, kvno: k.kvno + 1 }))
    assert.include(render(decryptApReq(Keytab.decrypt, apReq, otherKvno, false)), "no aes256-cts-hmac-sha1-96 key with kvno 2 in the keytab")
    // a TGS-REQ's AP-REQ carries a TGT: the service keytab has no krbtgt key
    const tgs = findApReq(Buffer.from(hexOf("TGS-REQ"), "hex"))!
    assert.include(render(decryptApReq(Keytab.decrypt, tgs, keys, false)), "no aes256-cts-hmac-sha1-96 key with kvno 1 in the keytab")
  })

  it("the SPNEGO capture still shows its AP-REQ with named fields", () => {
    const capture = JSON.parse(readFileSync(new URL("../../negotiate/test/fixtures/spnego-krb5.json", import.meta.url), "utf8")) as {
      readonly tokens: ReadonlyArray<{ readonly hex: string }>
    }
    const t = text(`Authorization: Negotiate ${base64(capture.tokens[0]!.hex)}`)
    assert.include(t, "SPNEGO NegTokenInit")
    assert.include(t, "Kerberos AP-REQ")
    assert.include(t, "sname: HTTP/localhost")
  })

  it("--json: the same fields as keys and values", () => {
    const json = toJson(tree(hexOf("KRB-ERROR", 0))) as Record<string, Record<string, unknown>>
    const e = json["Kerberos KRB-ERROR (237 bytes)"]!
    assert.strictEqual(e["pvno"], 5)
    assert.strictEqual(e["error-code"], "KDC_ERR_PREAUTH_REQUIRED (25)")
    assert.deepStrictEqual((e["sname"] as Record<string, unknown>)["name-string"], ["krbtgt", "EFFECT.TEST"])
    assert.strictEqual((e["sname"] as Record<string, unknown>)["name-type"], "NT-SRV-INST (2)")
  })

  it("no input throws: random bytes, and every truncation / byte flip of every capture, give a tree or a reason", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = decode(Buffer.from(bytes).toString("hex"))
      assert.isTrue(Result.isSuccess(r) || typeof r.failure === "string")
    }))
    for (const m of [...fixture.messages, ...samba.messages]) {
      const bytes = Buffer.from(m.hex, "hex")
      fc.assert(fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const flipped = Buffer.from(bytes)
        flipped[at]! ^= x
        for (const b of [bytes.subarray(0, at), flipped]) {
          const r = decode(b.toString("hex"))
          if (Result.isSuccess(r)) render(r.success)
        }
      }), { numRuns: 60 })
    }
  })
})
