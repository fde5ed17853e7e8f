import { assert, describe, it } from "@effect/vitest"
import { AuthHeader } from "@effect-sspi/http"

describe("AuthHeader", () => {
  it("parses challenge lists, tokens and auth-params", () => {
    const c = AuthHeader.parseChallenges("Basic realm=\"a, b\", charset=\"UTF-8\", Negotiate, NTLM TlRMTVNTUAACAAAA")
    assert.deepStrictEqual(c.map((x) => x.scheme), ["Basic", "Negotiate", "NTLM"])
    assert.strictEqual(c[0]!.rest, "realm=\"a, b\", charset=\"UTF-8\"")
    assert.strictEqual(c[0]!.token, undefined)
    assert.deepStrictEqual(Buffer.from(c[2]!.token!).subarray(0, 8).toString("latin1"), "NTLMSSP\0")
  })

  it("parses Authorization strictly", () => {
    assert.strictEqual(AuthHeader.parseAuthorization(undefined), undefined)
    assert.strictEqual(AuthHeader.parseAuthorization("NTLM !!")?.token, undefined)
    assert.strictEqual(AuthHeader.parseAuthorization("NTLM TlRMTVNTUA")?.token, undefined, "unpadded")
    assert.strictEqual(AuthHeader.parseAuthorization("negotiate YWJj")?.scheme, "negotiate")
    assert.deepStrictEqual(AuthHeader.parseAuthorization("NTLM YWJj")?.token, new Uint8Array([97, 98, 99]))
  })

  it("binds schemes to packages", () => {
    assert.deepStrictEqual(AuthHeader.binding("Kerberos"), { scheme: "Negotiate", packageName: "Kerberos" })
    assert.deepStrictEqual(AuthHeader.binding("NTLM"), { scheme: "NTLM", packageName: "NTLM" })
    assert.strictEqual(AuthHeader.format("NTLM", new Uint8Array([1, 2, 3])), "NTLM AQID")
  })
})
