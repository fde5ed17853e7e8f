/**
 * An authenticated connection or a session cookie never outlives the
 * Kerberos ticket it came from (issue 12 item 3: "a cookie whose
 * principal's context expired … gets 401"). A real 1-minute ticket from the
 * MIT KDC (the realm's `shortlived` principal, our initiator with its
 * password); the server runs on TestClock, set to the real time first and
 * then moved to one millisecond before, and exactly to, the ticket's end
 * time (the initiator's SECPKG_ATTR_LIFESPAN). Missing peers: loud skip, or
 * a failure under CI=true.
 */
import { Agent } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { Credentials, Flags, SecurityContext } from "@effect-sspi/core"
import { type Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { Sessions, SspiServer } from "@effect-sspi/http"
import { keytabCredentials, portOf, withRealm } from "./support/realm.ts"
import * as requests from "./support/requests.ts"
import { ConnectionLog, serve } from "./support/server.ts"

const krb5Available = requirePeersSync("krb5")

/** The realm's short-lived user's first Negotiate token for HTTP/localhost, and its ticket's end time. */
const shortLivedToken = (realm: Realm.Realm) =>
  Effect.gen(function*() {
    const credentials = yield* Credentials.acquire({
      packageName: "Negotiate",
      credentialUse: Flags.CredentialUse.OUTBOUND,
      authData: { kerberos: { principal: realm.shortPrincipal, password: Redacted.make(realm.password) }, ntlm: undefined }
    })
    const context = yield* SecurityContext.initiator(credentials, { targetName: "HTTP/localhost" })
    const first = yield* context.step()
    const { expiry } = yield* context.query("Lifespan")
    return { authorization: `Negotiate ${Buffer.from(first.token!).toString("base64")}`, expiry }
  })

/** Polls (real time, bounded) until the server keeps no authenticated connection. */
const noneKept = (stats: Effect.Effect<{ readonly authenticatedConnections: number }>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100; i++) {
      if ((yield* stats).authenticatedConnections === 0) return true
      yield* TestClock.withLive(Effect.sleep("20 millis"))
    }
    return false
  })

describe("authentication ends with the Kerberos ticket's end time (TestClock)", () => {
  it.live.skipIf(!krb5Available)(
    "a kept connection (authenticatedConnections \"all\") is the user's until 1 ms before the ticket ends; at its end a plain request gets the 401 challenge and the sweep deletes the context",
    () =>
      withRealm((realm) =>
        Effect.scoped(Effect.gen(function*() {
          yield* TestClock.setTime(Date.now())
          const { origin, context } = yield* serve(new ConnectionLog(), {
            schemes: ["Negotiate"],
            credentials: keytabCredentials(realm),
            authenticatedConnections: "all"
          })
          const agent = new Agent({ keepAlive: true, maxSockets: 1 })
          yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
          const url = `http://localhost:${portOf(origin)}`
          const { authorization, expiry } = yield* shortLivedToken(realm)
          const remaining = expiry - Date.now()
          assert.isTrue(remaining > 0 && remaining <= 61_000, `a 1-minute ticket: ${remaining} ms left`)

          const done = yield* requests.get(`${url}/one`, agent, { authorization })
          assert.deepStrictEqual([done.status, done.body], [200, `hello ${realm.shortPrincipal} via Negotiate`])
          yield* TestClock.setTime(expiry - 1)
          const before = yield* requests.get(`${url}/two`, agent)
          assert.deepStrictEqual([before.status, before.body], [200, `hello ${realm.shortPrincipal} via Negotiate`])
          assert.strictEqual((yield* SspiServer.stats.pipe(Effect.provideContext(context))).authenticatedConnections, 1)

          // attack: the ticket has ended; the connection must not stay the user's (RFC 4120 5.3: a ticket is
          // "not honored" after its endtime; SECPKG_ATTR_LIFESPAN of the context is that end time)
          yield* TestClock.setTime(expiry)
          const after = yield* requests.get(`${url}/three`, agent)
          assert.deepStrictEqual([after.status, after.headers["www-authenticate"]], [401, "Negotiate"])
          // the sweep (every pendingHandshakeTimeout / 2 = 15 s of Clock time) deletes the expired context
          yield* TestClock.adjust("15 seconds")
          assert.isTrue(yield* noneKept(SspiServer.stats.pipe(Effect.provideContext(context))), "the sweep deleted the expired context")
        }).pipe(Effect.provide(TestClock.layer())))
      ),
    60_000
  )

  it.live.skipIf(!krb5Available)(
    "a session cookie (maxAge 1 hour) is capped at the ticket's end: Max-Age is the seconds left, it authenticates until 1 ms before, and gets 401 from the end time on",
    () =>
      withRealm((realm) =>
        Effect.scoped(Effect.gen(function*() {
          const start = Date.now()
          yield* TestClock.setTime(start)
          const sessions = { keys: { current: Sessions.fromBytes(new Uint8Array(32).fill(7)), previous: [] }, maxAge: Duration.hours(1) }
          const { origin } = yield* serve(new ConnectionLog(), { schemes: ["Negotiate"], credentials: keytabCredentials(realm), sessions })
          const url = `http://localhost:${portOf(origin)}`
          const { authorization, expiry } = yield* shortLivedToken(realm)

          const login = yield* requests.get(`${url}/login`, false, { authorization })
          assert.strictEqual(login.status, 200)
          const setCookie = String(login.headers["set-cookie"])
          assert.include(setCookie, `; Max-Age=${Math.trunc((expiry - start) / 1000)};`)
          const cookie = /^sspi_session=([^;]+)/.exec(setCookie)![1]!
          const withCookie = () => requests.get(`${url}/page`, false, { cookie: `sspi_session=${cookie}` })

          yield* TestClock.setTime(expiry - 1)
          const before = yield* withCookie()
          assert.deepStrictEqual([before.status, before.body], [200, `hello ${realm.shortPrincipal} via Negotiate`])
          yield* TestClock.setTime(expiry)
          const after = yield* withCookie()
          assert.deepStrictEqual([after.status, after.headers["www-authenticate"]], [401, "Negotiate"])
        }).pipe(Effect.provide(TestClock.layer())))
      ),
    60_000
  )
})
