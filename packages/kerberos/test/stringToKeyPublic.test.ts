/**
 * The public string-to-key (`Keytab.stringToKey`, `Keytab.defaultSalt`):
 * RFC 3962 appendix B and RFC 4757 vectors byte for byte through
 * the public API, MIT's default salt, and the typed refusals: an
 * unsupported enctype, and s2kparams a hostile KDC could send (2^32
 * iterations, a wrong length) refused at once, never run.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { Keytab } from "../src/index.ts"

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
const params = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])

describe("Keytab.stringToKey", () => {
  it.effect("RFC 3962 appendix B (AES-SHA1, 1200 iterations) and RFC 4757 (RC4-HMAC): the keys byte for byte", () =>
    Effect.gen(function*() {
      const pw = Redacted.make("password")
      assert.strictEqual(hex(yield* Keytab.stringToKey(17, pw, "ATHENA.MIT.EDUraeburn", params(1200))), "4c01cd46d632d01e6dbe230a01ed642a")
      assert.strictEqual(
        hex(yield* Keytab.stringToKey(18, pw, "ATHENA.MIT.EDUraeburn", params(1200))),
        "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a"
      )
      // the default iteration count (4096, RFC 3962 section 4) without s2kparams: equal to giving it
      assert.strictEqual(
        hex(yield* Keytab.stringToKey(18, pw, "ATHENA.MIT.EDUraeburn")),
        hex(yield* Keytab.stringToKey(18, pw, "ATHENA.MIT.EDUraeburn", params(4096)))
      )
      // RC4-HMAC (RFC 4757): MD4 of the UTF-16LE password, salt ignored
      assert.strictEqual(hex(yield* Keytab.stringToKey(23, pw, "ignored")), "8846f7eaee8fb117ad06bdd830b7586c")
    }))

  it("defaultSalt: the realm, then the name components (RFC 4120 section 4)", () => {
    assert.strictEqual(Keytab.defaultSalt({ realm: "EXAMPLE.COM", name: { nameType: 1, components: ["alice"] } }), "EXAMPLE.COMalice")
    assert.strictEqual(Keytab.defaultSalt({ realm: "EXAMPLE.COM", name: { nameType: 2, components: ["HTTP", "web.example.com"] } }), "EXAMPLE.COMHTTPweb.example.com")
  })

  it.effect("attacks: 2^32 iterations (s2kparams 00000000), 0x1000000 iterations and 5-octet params are SEC_E_INVALID_TOKEN at once; an unknown enctype is typed", () =>
    Effect.gen(function*() {
      const pw = Redacted.make("password")
      for (const bad of [params(0), params(0x1000000), new Uint8Array(5)]) {
        const started = Date.now()
        const exit = yield* Effect.exit(Keytab.stringToKey(18, pw, "EXAMPLE.COMalice", bad))
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) assert.include(String(exit.cause), "InvalidToken")
        assert.isBelow(Date.now() - started, 1000, "refused before any PBKDF2 work")
      }
      const unknown = yield* Effect.flip(Keytab.stringToKey(3, pw, "x"))
      assert.strictEqual(unknown._tag, "KdcUnknownEtype") // SEC_E_KDC_UNKNOWN_ETYPE
      assert.include(unknown.detail ?? "", "KDC_ERR_ETYPE_NOSUPP")
    }))
})
