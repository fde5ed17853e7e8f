/**
 * A session cookie whose name has a prefix (`__Host-`, `__Secure-`, ours or
 * the app's own `cookieName`) is always Secure unless the app says
 * `secure: false` (RFC 6265bis 4.1.3: the browser drops a prefixed cookie
 * that is not Secure, so the client would hand-shake on every request); the
 * name set is the name read.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { Sessions, SspiServer } from "@effect-sspi/http"
import * as SessionCookie from "../src/internal/sessionCookie.ts"
import { runtimeLayer } from "./support/server.ts"

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

  it("fast-check: settings the server accepts (no problem) give a cookie browsers keep: __Host- with Path=/ and Secure, __Secure- with Secure", () => {
    const options = fc.record({
      cookieName: fc.option(fc.constantFrom("__Host-a", "__Secure-a", "__host-a", "app"), { nil: undefined }),
      path: fc.option(fc.constantFrom("/", "/app"), { nil: undefined }),
      secure: fc.option(fc.constantFrom(true as const, false as const, "auto" as const), { nil: undefined }),
      namePrefix: fc.option(fc.boolean(), { nil: undefined })
    })
    fc.assert(fc.property(options, fc.boolean(), (o, overTls) => {
      const settings = SessionCookie.settings({ keys: { current: key, previous: [] }, ...o })
      if (SessionCookie.problem(settings) !== undefined) return
      const cookie = SessionCookie.cookieFor(settings, overTls)
      if (/^__Host-/i.test(cookie.name)) assert.isTrue(cookie.attributes.secure && cookie.attributes.path === "/", JSON.stringify({ o, cookie }))
      if (/^__Secure-/i.test(cookie.name)) assert.isTrue(cookie.attributes.secure, JSON.stringify({ o, cookie }))
    }), { numRuns: 1000 })
  })

  it.effect("the server refuses, when built, settings whose cookie browsers would drop: SEC_E_INVALID_PARAMETER naming the cookie", () =>
    Effect.gen(function*() {
      const keys = { current: key, previous: [] }
      const build = (sessions: Sessions.SessionOptions) =>
        Effect.flip(Effect.scoped(Layer.build(SspiServer.layer({ schemes: ["NTLM"], sessions }))))
      const hostPath = yield* build({ keys, cookieName: "__Host-app", path: "/app" })
      assert.strictEqual(hostPath._tag, "InvalidParameter")
      assert.include(String((hostPath as { detail?: unknown }).detail), "__Host-app needs path \"/\"")
      const insecure = yield* build({ keys, cookieName: "__Secure-app", secure: false })
      assert.strictEqual(insecure._tag, "InvalidParameter")
      assert.include(String((insecure as { detail?: unknown }).detail), "__Secure-app needs Secure")
      // sound settings build
      yield* Effect.scoped(Layer.build(SspiServer.layer({ schemes: ["NTLM"], sessions: { keys, cookieName: "__Host-app" } })))
    }).pipe(Effect.provide(runtimeLayer)))
})
