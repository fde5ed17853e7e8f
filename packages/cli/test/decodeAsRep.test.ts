/**
 * `sspi decode --password` on a REAL AS exchange: MIT's kinit against a
 * throwaway MIT realm, through a TCP relay in this test that records the
 * frames (RFC 4120 section 7.2.2: a 4-octet length, then the message). The
 * captured KRB-ERROR (PREAUTH_REQUIRED with PA-ETYPE-INFO2), AS-REQs and
 * AS-REP are decoded with the password: the EncASRepPart's session key
 * type, times, flags and server equal what MIT wrote in its ccache, the key
 * itself (with --show-secrets) too, the nonce is the AS-REQ's. A principal
 * whose key has a non-default salt (MIT's `onlyrealm`) decrypts only with
 * the PA-ETYPE-INFO2 salt (the AS-REP's, else the KRB-ERROR's before it;
 * the default salt without one fails); a wrong password is one line
 * naming KRB_AP_ERR_BAD_INTEGRITY, exit 1, and never echoed. Missing MIT:
 * loud skip, or a failure under CI=true.
 */
import * as Net from "node:net"
import { readFileSync, writeFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { Effect, Redacted, Result } from "effect"
import { Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { CredentialCache, Keytab } from "@effect-sspi/kerberos"
import { decryptAsRep, etypeInfoOf } from "../src/internal/decodeKdcReply.ts"
import { render } from "../src/internal/tree.ts"
import fixture from "./fixtures/krb5-messages.json" with { type: "json" }
import { sspi } from "./support.ts"

const available = requirePeersSync("krb5")

/** A TCP relay to the KDC that records every request and reply, in order. */
const relay = (kdcPort: number) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly port: number; readonly messages: Array<Buffer>; readonly server: Net.Server }>((resume) => {
      const messages: Array<Buffer> = []
      const server = Net.createServer((client) => {
        // each frame is recorded once complete, before it is passed on: kinit cannot exit before its reply is recorded
        const pipe = (from: Net.Socket, to: Net.Socket) => {
          let pending = Buffer.alloc(0)
          from.on("data", (d) => {
            pending = Buffer.concat([pending, d])
            while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
              messages.push(pending.subarray(4, 4 + pending.readUInt32BE(0)))
              pending = pending.subarray(4 + pending.readUInt32BE(0))
            }
            to.write(d)
          })
          from.on("end", () => to.end())
        }
        const kdc = Net.connect(kdcPort, "127.0.0.1")
        pipe(client, kdc)
        pipe(kdc, client)
        client.on("error", () => kdc.destroy())
        kdc.on("error", () => client.destroy())
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ port: (server.address() as Net.AddressInfo).port, messages, server })))
    }),
    ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
  )

/** DER elements of `b`: tag octet, whole element, content (definite lengths up to 2 octets, as these messages have). */
const tlvs = (b: Buffer) => {
  const out: Array<{ readonly tag: number; readonly whole: Buffer; readonly content: Buffer }> = []
  for (let at = 0; at < b.length;) {
    const first = b[at + 1]!
    const [length, header] = first < 0x80 ? [first, 2] : first === 0x81 ? [b[at + 2]!, 3] : [b.readUInt16BE(at + 2), 4]
    out.push({ tag: b[at]!, whole: b.subarray(at, at + header + length), content: b.subarray(at + header, at + header + length) })
    at += header + length
  }
  return out
}
const der = (tag: number, body: Buffer) =>
  Buffer.concat([Buffer.from([tag]), body.length < 0x80 ? Buffer.from([body.length]) : body.length < 0x100 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]), body])

/** An AS-REP (hex) without its padata [2] field: the enc-part is untouched. */
const withoutPadata = (asRep: string) => {
  const seq = tlvs(tlvs(Buffer.from(asRep, "hex"))[0]!.content)[0]!
  const kept = tlvs(seq.content).filter((f) => f.tag !== 0xa2).map((f) => f.whole)
  return der(0x6b, der(0x30, Buffer.concat(kept))).toString("hex")
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")

describe("decryptAsRep (the MIT capture of fixtures/krb5-messages.json, password alice-Passw0rd)", () => {
  const hexOf = (what: string) => Buffer.from(fixture.messages.find((m) => m.what === what)!.hex, "hex")
  const info = etypeInfoOf(hexOf("KRB-ERROR")) ?? []

  it.effect("the EncTGSRepPart of the captured AS-REP, salt from PA-ETYPE-INFO2; the wrong password is KRB_AP_ERR_BAD_INTEGRITY", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual([info[0]?.etype, info[0]?.salt], [18, "EFFECT.TESTpreauth"], "the KRB-ERROR's PA-ETYPE-INFO2")
      const ok = yield* decryptAsRep(Keytab, hexOf("AS-REP"), Redacted.make("alice-Passw0rd"), info, false)
      assert.isTrue(Result.isSuccess(ok))
      const text = Result.isSuccess(ok) ? render(ok.success) : ""
      assert.include(text, "flags: 0x40610000 (forwardable, initial, pre-authent, enc-pa-rep)")
      assert.include(text, "authtime: 2026-11-29T23:49:57Z")
      assert.include(text, "endtime: 2026-11-30T09:49:57Z")
      assert.include(text, "nonce: 153499247")
      const bad = yield* decryptAsRep(Keytab, hexOf("AS-REP"), Redacted.make("alice-Passw0rd!"), info, false)
      assert.isTrue(Result.isFailure(bad) && bad.failure.includes("KRB_AP_ERR_BAD_INTEGRITY"))
    }))

  it.effect("no input throws: every truncation and byte flip of the AS-REP gives a tree or a reason", () =>
    Effect.promise(() => {
      const bytes = hexOf("AS-REP")
      return fc.assert(fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const flipped = Buffer.from(bytes)
        flipped.writeUInt8(flipped.readUInt8(at) ^ x, at)
        for (const b of [bytes.subarray(0, at), flipped]) {
          const r = await Effect.runPromise(decryptAsRep(Keytab, b, Redacted.make("alice-Passw0rd"), info, false))
          assert.isTrue(Result.isSuccess(r) ? render(r.success).length > 0 : typeof r.failure === "string")
          etypeInfoOf(b)
        }
      }), { numRuns: 40 })
    }))
})

describe("sspi decode --password (a KDC's AS-REP)", () => {
  it.live.skipIf(!available)("MIT kinit's AS exchange, captured: the EncASRepPart equals MIT's ccache; the ETYPE-INFO2 salt is used; a wrong password is KRB_AP_ERR_BAD_INTEGRITY, exit 1", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const { messages, port } = yield* relay(realm.kdcPort)
      const conf = `${realm.dir}/relay-krb5.conf`
      writeFileSync(conf, readFileSync(realm.env["KRB5_CONFIG"]!, "utf8").replace(`kdc = 127.0.0.1:${realm.kdcPort}`, `kdc = 127.0.0.1:${port}`))
      // a principal whose AES key has MIT's "onlyrealm" salt: the default salt does not give its key
      const carol = `carol@${realm.realm}`
      const added = yield* Command.run("/usr/sbin/kadmin.local", ["-q", `addprinc -e aes256-cts-hmac-sha1-96:onlyrealm +requires_preauth -pw ${realm.password} ${carol}`], { env: realm.env, timeout: "15 seconds" })
      assert.strictEqual(added.code, 0, added.stdout + added.stderr)

      const capture = (principal: string) =>
        Effect.gen(function*() {
          messages.length = 0
          const cc = `FILE:${realm.dir}/${principal.split("@")[0]}.cc`
          const kinit = yield* Command.run("/usr/bin/kinit", ["-c", cc, principal], { env: { ...realm.env, KRB5_CONFIG: conf }, input: `${realm.password}\n`, timeout: "15 seconds" })
          assert.strictEqual(kinit.code, 0, kinit.stdout + kinit.stderr)
          const cache = yield* CredentialCache.read(cc)
          return { tokens: messages.map((m) => m.toString("hex")), credential: cache.credentials.find((c) => c.server.name.components[0] === "krbtgt")! }
        })

      // pre-authentication required: AS-REQ, KRB-ERROR (ETYPE-INFO2), AS-REQ with PA-ENC-TIMESTAMP, AS-REP
      const preauth = yield* capture(realm.preauthPrincipal)
      assert.strictEqual(preauth.tokens.length, 4)
      const c = preauth.credential
      const shown = yield* sspi(["decode", "--password", realm.password, ...preauth.tokens])
      assert.strictEqual(shown.code, 0, shown.stderr)
      const out = shown.stdout
      assert.include(out, `decrypted with the password (aes256-cts-hmac-sha1-96, salt "${realm.realm}preauth" from the PA-ETYPE-INFO2`)
      // MIT's KDC sends EncTGSRepPart (26) in AS-REPs too, which RFC 4120 5.4.2 allows
      assert.include(out, "enc-part (EncTGSRepPart: [APPLICATION 26], as MIT sends in an AS-REP)")
      // the session key: MIT's ccache holds the same type, and the key only with --show-secrets
      assert.strictEqual(c.key.keytype, 18)
      assert.match(out, /─ key\n[\s│├└─]+keytype: AES256_CTS_HMAC_SHA1_96 \(18\)\n[\s│├└─]+keyvalue: 32 bytes\n/)
      const keyHex = Buffer.from(c.key.keyvalue).toString("hex")
      assert.notInclude(out, keyHex)
      assert.include(out, `authtime: ${iso(c.authtime)}`)
      // starttime is OPTIONAL (RFC 4120 5.4.2): MIT leaves it out when it is the authtime, and its ccache then holds the authtime
      if (out.includes("starttime:")) assert.include(out, `starttime: ${iso(c.starttime)}`)
      else assert.strictEqual(c.starttime, c.authtime)
      assert.include(out, `endtime: ${iso(c.endtime)}`)
      assert.include(out, `flags: 0x${(c.flags >>> 0).toString(16).padStart(8, "0")} (`)
      assert.include(out, "pre-authent")
      assert.include(out, `srealm: ${realm.realm}`)
      assert.include(out, `sname: krbtgt/${realm.realm}`)
      assert.match(out, /last-req \(\d+\)/)
      // the nonce of the EncASRepPart is the last AS-REQ's (RFC 4120 3.1.5)
      const nonces = [...out.matchAll(/nonce: (\d+)/g)].map((m) => m[1])
      assert.strictEqual(nonces.length, 3, out)
      assert.strictEqual(nonces[2], nonces[1])
      assert.notInclude(out + shown.stderr, realm.password, "never the password")

      const secrets = yield* sspi(["decode", "--show-secrets", ...preauth.tokens.slice(1)], { SSPI_PASSWORD: realm.password })
      assert.strictEqual(secrets.code, 0, secrets.stderr)
      assert.include(secrets.stdout, `keyvalue: ${keyHex}`, "the session key MIT's kinit got")

      // wrong password: one line, exit 1, never echoed
      const wrong = yield* sspi(["decode", "--password", "Wr0ng-s3cret", ...preauth.tokens])
      assert.strictEqual(wrong.code, 1)
      assert.strictEqual(wrong.stderr.trim().split("\n").length, 1, wrong.stderr)
      assert.include(wrong.stderr, "KRB_AP_ERR_BAD_INTEGRITY")
      assert.notInclude(wrong.stdout + wrong.stderr, "Wr0ng-s3cret")
      assert.notInclude(wrong.stdout, "EncTGSRepPart")

      // a tampered cipher (one octet of the AS-REP's last byte) fails the integrity check too
      const asRep = Buffer.from(preauth.tokens[3]!, "hex")
      asRep.writeUInt8(asRep.readUInt8(asRep.length - 1) ^ 1, asRep.length - 1)
      const tampered = yield* sspi(["decode", "--password", realm.password, preauth.tokens[1]!, asRep.toString("hex")])
      assert.strictEqual(tampered.code, 1)
      assert.include(tampered.stderr, "KRB_AP_ERR_BAD_INTEGRITY")

      // no pre-authentication (alice): MIT's AS-REP names the salt in its own PA-ETYPE-INFO2
      const plain = yield* capture(realm.principal)
      const alice = yield* sspi(["decode", "--password", realm.password, ...plain.tokens])
      assert.strictEqual(alice.code, 0, alice.stderr)
      assert.include(alice.stdout, `salt "${realm.realm}${realm.user}" from the PA-ETYPE-INFO2`)
      assert.include(alice.stdout, `endtime: ${iso(plain.credential.endtime)}`)
      // the same AS-REP without its padata (not integrity-protected): the default salt, realm then name (RFC 4120 4)
      const alicePlain = withoutPadata(plain.tokens[plain.tokens.length - 1]!)
      const aliceDefault = yield* sspi(["decode", "--password", realm.password, alicePlain])
      assert.strictEqual(aliceDefault.code, 0, aliceDefault.stderr)
      assert.include(aliceDefault.stdout, `salt "${realm.realm}${realm.user}" from the default salt of the reply's client`)

      // carol's key has the salt "REALM" only: the AS-REP without padata does not decrypt with the default salt,
      // and does with the salt of the KRB-ERROR's PA-ETYPE-INFO2 before it in the input
      const onlyRealm = yield* capture(carol)
      assert.strictEqual(onlyRealm.tokens.length, 4)
      const carolRep = withoutPadata(onlyRealm.tokens[3]!)
      const alone = yield* sspi(["decode", "--password", realm.password, carolRep])
      assert.strictEqual(alone.code, 1)
      assert.include(alone.stderr, "KRB_AP_ERR_BAD_INTEGRITY")
      assert.include(alone.stderr, `salt "${realm.realm}carol"`)
      const withError = yield* sspi(["decode", "--password", realm.password, onlyRealm.tokens[1]!, carolRep])
      assert.strictEqual(withError.code, 0, withError.stderr)
      assert.include(withError.stdout, `salt "${realm.realm}" from the PA-ETYPE-INFO2`)
      assert.include(withError.stdout, `endtime: ${iso(onlyRealm.credential.endtime)}`)
    })), 120_000)
})
