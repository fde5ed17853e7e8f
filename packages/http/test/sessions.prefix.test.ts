/**
 * A session cookie whose name has a prefix (`__Host-`, `__Secure-`, ours or
 * the app's own `cookieName`) is always Secure unless the app says
 * `secure: false` (RFC 6265bis 4.1.3: the browser drops a prefixed cookie
 * that is not Secure, so the client would hand-shake on every request); the
 * name set is the name read.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Sessions } from "@effect-sspi/http"
import * as SessionCookie from "../src/internal/sessionCookie.ts"

const key = Sessions.fromBytes(new Uint8Array(32).fill(3))

describe("session cookie prefixes are always Secure", () => {
  it("fast-check: any prefixed name we set (ours or the app's) is Secure unless secure: false", () => {
    const options = fc.record({
      cookieName: fc.option(
        fc.tuple(fc.constantFrom("", "__Host-", "__Secure-", "__host-", "__SECURE-"), fc.stringMatching(/^[a-z_]{1,8}$/)).map(([p, n]) => p + n),
        { nil: undefined }
      ),
      path: fc.option(fc.constantFrom("/", "/app"), { nil: undefined }),
      secure: fc.option(fc.constantFrom(true as const, "auto" as const), { nil: undefined }),
      namePrefix: fc.option(fc.boolean(), { nil: undefined })
    })
    fc.assert(fc.property(options, fc.boolean(), (o, overTls) => {
      const settings = SessionCookie.settings({ keys: { current: key, previous: [] }, ...o })
      const cookie = SessionCookie.cookieFor(settings, overTls)
      if (/^__(Host|Secure)-/i.test(cookie.name)) assert.isTrue(cookie.attributes.secure, JSON.stringify({ o, overTls, cookie }))
      // read back under the name it was set with
      assert.strictEqual(SessionCookie.cookieFor(settings, overTls).name, cookie.name)
    }), { numRuns: 1000 })
  })

  it("the app's __Host- name behind a TLS-terminating proxy (plain HTTP, secure left \"auto\"): Secure, name as given", () => {
    const settings = SessionCookie.settings({ keys: { current: key, previous: [] }, cookieName: "__Host-app" })
    assert.deepStrictEqual(SessionCookie.cookieFor(settings, false), {
      name: "__Host-app",
      attributes: { httpOnly: true, sameSite: "lax", secure: true, path: "/" }
    })
    // an unprefixed name keeps "auto": not Secure over plain HTTP
    const plain = SessionCookie.settings({ keys: { current: key, previous: [] }, cookieName: "app" })
    assert.isFalse(SessionCookie.cookieFor(plain, false).attributes.secure)
  })
})
