/**
 * Session cookies (issue 12 item 3b, as mod_auth_gssapi's
 * GssapiUseSessions): a handshake sets an AES-256-GCM cookie; later
 * requests with it and no Authorization are the principal's, on a new
 * connection and on another node holding the key. Attacks: a tampered,
 * expired (TestClock), unknown-key or rotated-out cookie gets the 401
 * challenge, never a 500; fast-check: garbled cookies never defect.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Cookies, HttpServerResponse } from "effect/http"
import { Principal, Sessions, SspiServer } from "@effect-sspi/http"
import * as SessionCookie from "../src/internal/sessionCookie.ts"
import * as requests from "./support/requests.ts"
import { client, clientLayer, ConnectionLog, runtimeLayer, serve } from "./support/server.ts"

const env = Layer.mergeAll(runtimeLayer, clientLayer)

const key1 = Sessions.fromBytes(new Uint8Array(32).fill(1))
const key2 = Sessions.fromBytes(new Uint8Array(32).fill(2))
const principal = { name: "EXAMPLE\\alice", scheme: "NTLM", packageName: "NTLM", attributes: 0x800 }

/** Who, and why there is no delegated credential (NTLM never delegates; a cookie carries none). */
const whoami = Effect.gen(function*() {
  const reason = yield* SspiServer.delegated.pipe(Effect.match({ onFailure: (e) => e.reason, onSuccess: () => "delegated" }))
  return HttpServerResponse.text(`hello ${(yield* Principal).name}; ${reason}`)
})

/** `cookie` with the byte at `index` of its sealed body flipped (base64url re-encoded). */
const flip = (cookie: string, index: number): string => {
  const parts = cookie.split(".")
  const body = Buffer.from(parts[3]!, "base64url")
  body[index % body.length]! ^= 0x01
  return [...parts.slice(0, 3), body.toString("base64url")].join(".")
}

describe("session cookie sealing", () => {
  it("decodeKey: 64 hex digits or base64 of 32 bytes, the same id either way; anything else SessionKeyError", () =>
    Effect.gen(function*() {
      const hex = yield* Sessions.decodeKey(Redacted.make("01".repeat(32)))
      const b64 = yield* Sessions.decodeKey(Redacted.make(Buffer.alloc(32, 1).toString("base64")))
      assert.strictEqual(hex.id, key1.id)
      assert.strictEqual(b64.id, key1.id)
      for (const bad of ["01".repeat(31), Buffer.alloc(31, 1).toString("base64"), "", "zz".repeat(32)]) {
        assert.strictEqual((yield* Effect.flip(Sessions.decodeKey(Redacted.make(bad))))._tag, "SessionKeyError")
      }
    }).pipe(Effect.runSync))

  it.effect("fromConfig: SSPI_SESSION_KEY (current) and SSPI_SESSION_PREVIOUS_KEY; missing → ConfigError, bad → SessionKeyError", () =>
    Effect.gen(function*() {
      const provide = (env: Record<string, string>) =>
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown(env))
      const keys = yield* Sessions.fromConfig.pipe(provide({
        SSPI_SESSION_KEY: "02".repeat(32),
        SSPI_SESSION_PREVIOUS_KEY: Buffer.alloc(32, 1).toString("base64url")
      }))
      assert.deepStrictEqual([keys.current.id, keys.previous.map((k) => k.id)], [key2.id, [key1.id]])
      assert.deepStrictEqual((yield* Sessions.fromConfig.pipe(provide({ SSPI_SESSION_KEY: "02".repeat(32) }))).previous, [])
      assert.strictEqual(String(keys.current.key), "<redacted>")
      assert.strictEqual((yield* Effect.flip(Sessions.fromConfig.pipe(provide({}))))._tag, "ConfigError")
      assert.strictEqual((yield* Effect.flip(Sessions.fromConfig.pipe(provide({ SSPI_SESSION_KEY: "short" }))))._tag, "SessionKeyError")
    }))

  it("opens what it sealed until expiry; tampered, expired, unknown key → undefined; the previous key still opens", () => {
    const keys = { current: key1, previous: [] }
    const cookie = SessionCookie.seal(key1, { principal, expiry: 2_000 })
    assert.deepStrictEqual(SessionCookie.open(keys, cookie, 1_999), principal)
    assert.isUndefined(SessionCookie.open(keys, cookie, 2_000))
    for (let i = 0; i < 40; i++) assert.isUndefined(SessionCookie.open(keys, flip(cookie, i), 0))
    // the key id is authenticated too: relabelled under another held key → refused
    assert.isUndefined(SessionCookie.open({ current: key2, previous: [key1] }, cookie.replace(key1.id, key2.id), 0))
    assert.isUndefined(SessionCookie.open({ current: key2, previous: [] }, cookie, 0))
    assert.deepStrictEqual(SessionCookie.open({ current: key2, previous: [key1] }, cookie, 0), principal)
  })

  it("a principal with very many groups does not fit in a cookie browsers keep (RFC 6265 6.1: 4096 bytes); an ordinary one does", () => {
    const many = {
      ...principal,
      groupSids: Array.from({ length: 60 }, (_, i) => ({ sid: `S-1-5-21-1004336348-1177238915-682003330-${10_000 + i}`, attributes: 7 }))
    }
    assert.isTrue(SessionCookie.fits("sspi_session", SessionCookie.seal(key1, { principal, expiry: 2_000 })))
    assert.isFalse(SessionCookie.fits("sspi_session", SessionCookie.seal(key1, { principal: many, expiry: 2_000 })))
  })

  it("fast-check: garbled cookies (random text, mutated and truncated real ones) never throw and never open", () => {
    const keys = { current: key1, previous: [key2] }
    const real = SessionCookie.seal(key1, { principal, expiry: Number.MAX_SAFE_INTEGER })
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => SessionCookie.open(keys, s, 0) === undefined))
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.string({ maxLength: 8 }), (at, cut, insert) => {
      const i = at % real.length
      const mutated = real.slice(0, i) + insert + real.slice(Math.min(real.length, i + 1 + (cut % 3)))
      return mutated === real || SessionCookie.open(keys, mutated, 0) === undefined
    }), { numRuns: 2_000 })
  })
})

/** The Set-Cookie header the middleware sends for `options` on a request over TLS or not (Max-Age 600 s). */
const setCookieFor = (options: Omit<Sessions.SessionOptions, "keys">, overTls: boolean): string => {
  const { attributes, name } = SessionCookie.cookieFor(SessionCookie.settings({ keys: { current: key1, previous: [] }, ...options }), overTls)
  const response = HttpServerResponse.setCookieUnsafe(HttpServerResponse.empty(), name, "v1.x", { ...attributes, maxAge: Duration.seconds(600) })
  return Cookies.toSetCookieHeaders(response.cookies).join("\n")
}

describe("session cookie attributes: Secure and the name prefix", () => {
  it("secure \"auto\" (default) follows the request's TLS; true marks it Secure behind a TLS-terminating proxy; __Host- when Secure with Path=/, __Secure- with another path", () => {
    const plain = "sspi_session=v1.x; Max-Age=600; Path=/; HttpOnly; SameSite=Lax"
    const host = "__Host-sspi_session=v1.x; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax"
    assert.strictEqual(setCookieFor({}, false), plain)
    assert.strictEqual(setCookieFor({}, true), host)
    assert.strictEqual(setCookieFor({ secure: "auto" }, true), host)
    // TLS ends at the proxy: this server sees plain HTTP, the browser is on HTTPS
    assert.strictEqual(setCookieFor({ secure: true }, false), host)
    assert.strictEqual(setCookieFor({ secure: false }, true), plain)
    assert.strictEqual(setCookieFor({ secure: true, namePrefix: false }, false), "sspi_session=v1.x; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax")
    assert.strictEqual(
      setCookieFor({ secure: true, path: "/app" }, false),
      "__Secure-sspi_session=v1.x; Max-Age=600; Path=/app; HttpOnly; Secure; SameSite=Lax"
    )
    assert.strictEqual(setCookieFor({ cookieName: "app", path: "/app" }, false), "app=v1.x; Max-Age=600; Path=/app; HttpOnly; SameSite=Lax")
    // a name that already has a prefix is used as given
    assert.strictEqual(setCookieFor({ cookieName: "__Host-s", secure: true }, false), "__Host-s=v1.x; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax")
  })

  it("fast-check: a prefix we add is one a browser accepts (RFC 6265bis 4.1.3: __Secure- needs Secure; __Host- needs Secure, Path=/ and no Domain), and the name set is the name read", () => {
    const options = fc.record({
      cookieName: fc.option(fc.stringMatching(/^[a-z_]{1,12}$/), { nil: undefined }),
      path: fc.option(fc.constantFrom("/", "/app", "/a/b"), { nil: undefined }),
      secure: fc.option(fc.constantFrom(true as const, false as const, "auto" as const), { nil: undefined }),
      namePrefix: fc.option(fc.boolean(), { nil: undefined })
    })
    fc.assert(fc.property(options, fc.boolean(), (o, overTls) => {
      const settings = SessionCookie.settings({ keys: { current: key1, previous: [] }, ...o })
      const cookie = SessionCookie.cookieFor(settings, overTls)
      const header = setCookieFor(o, overTls)
      const attributes = header.split("; ")
      if (cookie.name.startsWith("__Secure-") && !attributes.includes("Secure")) return false
      if (cookie.name.startsWith("__Host-") && (!attributes.includes("Secure") || !attributes.includes("Path=/") || /Domain=/i.test(header))) return false
      // Secure exactly as asked: always, never, or when the request came over TLS
      if (attributes.includes("Secure") !== (settings.secure === "auto" ? overTls : settings.secure)) return false
      return header.startsWith(`${cookie.name}=`) && cookie.name.endsWith(settings.name)
    }), { numRuns: 500 })
  })
})

describe("session cookies over HTTP", () => {
  it.effect("a handshake sets the cookie (HttpOnly, SameSite=Lax, Max-Age); it authenticates new connections and another node with the key; expired (TestClock), tampered, rotated out → 401", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = new ConnectionLog()
      const sessions = { keys: { current: key1, previous: [] }, maxAge: Duration.minutes(10) }
      const a = yield* serve(log, { schemes: ["NTLM"], sessions }, undefined, false, whoami)
      // the same key on another node, and a node that rotated key1 out
      const b = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], sessions: { keys: { current: key2, previous: [key1] } } }, undefined, false, whoami)
      const c = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], sessions: { keys: { current: key2, previous: [] } } }, undefined, false, whoami)

      const response = yield* (yield* client()).get(`${a.origin}/login`)
      assert.strictEqual(response.status, 200)
      assert.strictEqual(yield* response.text, "hello EXAMPLE\\alice; NotDelegated")
      const setCookie = String(response.headers["set-cookie"])
      const cookie = /^sspi_session=([^;]+)/.exec(setCookie)![1]!
      assert.match(setCookie, /; Max-Age=600/)
      assert.match(setCookie, /; Path=\//)
      assert.match(setCookie, /; HttpOnly/)
      assert.match(setCookie, /; SameSite=Lax/)
      assert.notMatch(setCookie, /Secure/, "plain HTTP")

      const withCookie = (origin: string, value = cookie) => requests.get(`${origin}/page`, false, { cookie: `sspi_session=${value}` })
      const fresh = yield* withCookie(a.origin)
      assert.deepStrictEqual([fresh.status, fresh.body], [200, "hello EXAMPLE\\alice; Unavailable"])
      assert.strictEqual(log.responses.at(-1)!.authorization, false, "no handshake")
      assert.strictEqual((yield* withCookie(b.origin)).status, 200, "another node holding the key (as previous)")
      const rotatedOut = yield* withCookie(c.origin)
      assert.deepStrictEqual([rotatedOut.status, rotatedOut.headers["www-authenticate"]], [401, "NTLM"])
      assert.strictEqual((yield* withCookie(a.origin, flip(cookie, 5))).status, 401)
      assert.strictEqual((yield* withCookie(a.origin, "garbage")).status, 401)

      yield* TestClock.adjust(Duration.minutes(10))
      const expired = yield* withCookie(a.origin)
      assert.deepStrictEqual([expired.status, expired.headers["www-authenticate"]], [401, "NTLM"])
      // no session configured: the cookie means nothing
      const none = yield* serve(new ConnectionLog(), { schemes: ["NTLM"] }, undefined, false, whoami)
      assert.strictEqual((yield* withCookie(none.origin)).status, 401)
      assert.strictEqual((yield* SspiServer.stats.pipe(Effect.provideContext(a.context))).pendingHandshakes, 0)
    }).pipe(Effect.provide(env))))

  it.effect("secure: true behind a TLS-terminating proxy: over plain HTTP the cookie is __Host-sspi_session, Secure; it is read back under that name only", () =>
    Effect.scoped(Effect.gen(function*() {
      const sessions = { keys: { current: key1, previous: [] }, maxAge: Duration.minutes(10), secure: true }
      const a = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], sessions }, undefined, false, whoami)
      const response = yield* (yield* client()).get(`${a.origin}/login`)
      assert.strictEqual(response.status, 200)
      const setCookie = String(response.headers["set-cookie"])
      const cookie = /^__Host-sspi_session=([^;]+)/.exec(setCookie)![1]!
      assert.strictEqual(setCookie, `__Host-sspi_session=${cookie}; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax`)
      const prefixed = yield* requests.get(`${a.origin}/page`, false, { cookie: `__Host-sspi_session=${cookie}` })
      assert.deepStrictEqual([prefixed.status, prefixed.body], [200, "hello EXAMPLE\\alice; Unavailable"])
      // the same sealed value under the unprefixed name (planted by a sibling host or a plain-HTTP page) is not read
      const unprefixed = yield* requests.get(`${a.origin}/page`, false, { cookie: `sspi_session=${cookie}` })
      assert.strictEqual(unprefixed.status, 401)
    }).pipe(Effect.provide(env))))
})
