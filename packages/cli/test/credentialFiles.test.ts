/** The ccache writer of @effect-sspi/kerberos: what it writes decodes to the same credentials; truncations are typed failures. */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { CredentialCache } from "@effect-sspi/kerberos"

const component = fc.string({ minLength: 1, maxLength: 12 })
const principal = fc.record({
  name: fc.record({ nameType: fc.integer({ min: 0, max: 10 }), components: fc.array(component, { minLength: 1, maxLength: 3 }) }),
  realm: fc.stringMatching(/^[A-Z][A-Z.]{0,15}$/)
})
const seconds = fc.integer({ min: 1, max: 0xfffffffe }).map((s) => s * 1000)
const credential = fc.record({
  client: principal,
  server: principal,
  key: fc.record({ keytype: fc.constantFrom(17, 18, 19, 20, 23), keyvalue: fc.uint8Array({ minLength: 16, maxLength: 32 }) }),
  authtime: seconds,
  starttime: seconds,
  endtime: seconds,
  renewTill: fc.constantFrom(0, 1_900_000_000_000),
  flags: fc.integer({ min: 0, max: 0xffffffff }),
  ticket: fc.uint8Array({ minLength: 1, maxLength: 64 })
})

describe("CredentialCache.encode (ccache v4)", () => {
  it("round-trips through decode", () =>
    fc.assert(fc.property(principal, fc.array(credential, { maxLength: 4 }), (defaultPrincipal, credentials) => {
      const bytes = CredentialCache.encode({ defaultPrincipal, credentials })
      assert.deepStrictEqual([bytes[0], bytes[1]], [5, 4])
      const back = CredentialCache.decode(bytes)
      assert.isTrue(Result.isSuccess(back))
      if (Result.isSuccess(back)) {
        assert.deepStrictEqual(back.success.defaultPrincipal, defaultPrincipal)
        assert.deepStrictEqual(back.success.credentials, credentials)
      }
    })))

  it("every truncation is a typed failure, never a throw", () =>
    fc.assert(fc.property(principal, credential, fc.nat(), (defaultPrincipal, c, cut) => {
      const bytes = CredentialCache.encode({ defaultPrincipal, credentials: [c] })
      // any cut inside the header, principal or credential (a cut right after the principal is a valid empty cache)
      const empty = CredentialCache.encode({ defaultPrincipal, credentials: [] }).length
      const at = cut % bytes.length
      if (at === empty) return
      const r = CredentialCache.decode(bytes.subarray(0, at))
      assert.isTrue(Result.isFailure(r))
    })))
})
