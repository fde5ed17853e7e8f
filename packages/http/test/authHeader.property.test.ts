/**
 * fast-check: the Authorization and WWW-Authenticate parsers (the HTTP
 * entry points that read attacker text) never throw, honour the token
 * bound, and round-trip what `format` writes.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { AuthHeader } from "@effect-sspi/http"

const scheme = fc.constantFrom("Negotiate", "NTLM", "Kerberos", "Basic", "negotiate")
const headerText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.tuple(scheme, fc.uint8Array({ maxLength: 120 })).map(([s, b]) => AuthHeader.format(s, b)),
  fc.array(fc.tuple(scheme, fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 10 })), { maxLength: 4 })
    .map((xs) => xs.map(([s, b, p]) => `${AuthHeader.format(s, b)}${p}`).join(", "))
)

describe("AuthHeader properties", () => {
  it("parseAuthorization and parseChallenges never throw on any text", () => {
    fc.assert(fc.property(headerText, (text) => {
      AuthHeader.parseAuthorization(text)
      AuthHeader.parseChallenges(text)
    }), { numRuns: 3000 })
  })

  it("format → parseAuthorization is the identity; tokens above maxTokenBytes are dropped", () => {
    fc.assert(fc.property(scheme, fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(400), (s, token, max) => {
      const parsed = AuthHeader.parseAuthorization(AuthHeader.format(s, token), max)
      assert.strictEqual(parsed?.scheme, s)
      if (token.length <= max) assert.deepStrictEqual(Buffer.from(parsed!.token!), Buffer.from(token))
      if (Math.ceil(token.length / 3) * 4 > Math.ceil(max / 3) * 4) assert.isUndefined(parsed?.token)
    }))
  })
})
