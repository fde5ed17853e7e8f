/**
 * A protected route with effect's HttpRouter: `SspiServer`'s authenticator
 * as a route middleware, provided only to the routes that need Negotiate /
 * NTLM (the README's example, verbatim between the markers).
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { HttpClient, HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { Command, Paths, requirePeersSync } from "@effect-sspi/interop-harness"
import { SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Principal, SspiServer } from "@effect-sspi/http"
import { Negotiate } from "@effect-sspi/negotiate"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { client, clientLayer, users } from "./support/server.ts"

// --- README example ---
// Negotiate / NTLM, only for the routes this middleware is provided to
const Authenticated = HttpRouter.middleware<{ provides: Principal }>()(
  SspiServer.Authenticator.useSync((authenticator) => authenticator.authenticate)
).layer.pipe(Layer.provide(SspiServer.layer({ schemes: ["Negotiate", "NTLM"] })))

const Public = HttpRouter.add("GET", "/public", HttpServerResponse.text("hello anyone"))

const Me = HttpRouter.add(
  "GET",
  "/me",
  Effect.gen(function*() {
    const principal = yield* Principal
    return HttpServerResponse.text(`hello ${principal.name}`)
  })
).pipe(Layer.provide(Authenticated))

const App = Layer.mergeAll(Public, Me)

const Server = HttpRouter.serve(App).pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port: 8080 }))
) // needs SspiRuntime: Layer.launch(Server.pipe(Layer.provide(runtime)))
// --- end of README example ---

// The README's Server needs nothing but the SSPI runtime (checked by tsc, not run: port 8080).
const _server: Layer.Layer<never, unknown, SspiRuntime.SspiRuntime> = Server

const curlAvailable = requirePeersSync("curl")
// NTLM, and Negotiate (SPNEGO) over it, with alice in an in-memory user store
const runtime = SspiRuntime.SspiRuntime.layer.pipe(
  Layer.provide(SecurityPackage.SecurityPackages.layer(
    Ntlm.withUserStore(),
    Effect.map(Ntlm.withUserStore(), (ntlm) => Negotiate.make({ ntlm }))
  )),
  Layer.provide(UserStore.layerMemory(users))
)
const env = Layer.mergeAll(runtime, clientLayer)

/** The app on 127.0.0.1:0; returns its origin. */
const serve = Effect.gen(function*() {
  const context = yield* Layer.build(
    HttpRouter.serve(App, { disableListenLog: true, disableLogger: true }).pipe(
      Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1", gracefulShutdownTimeout: 1000 }))
    )
  )
  const address = Context.get(context, HttpServer.HttpServer).address
  assert(address._tag === "InetAddressV4")
  return `http://127.0.0.1:${address.port}`
})

/** curl --ntlm; the user:password goes through stdin (`-K -`), not the command line. */
const curl = (url: string) =>
  Command.run("/usr/bin/curl", ["-sS", "--ntlm", "-K", "-", "-w", "\n%{http_code}", "--max-time", "20", url], {
    env: { OPENSSL_CONF: Paths.opensslLegacyConf },
    input: `user = "EXAMPLE\\\\alice:Passw0rd!"\n`,
    timeout: "30 seconds"
  })

describe("HttpRouter: one protected route, one public", () => {
  it.live("GET /public answers without authentication; GET /me asks for Negotiate / NTLM", () =>
    Effect.scoped(Effect.gen(function*() {
      const origin = yield* serve
      const open = yield* HttpClient.get(`${origin}/public`)
      assert.strictEqual(open.status, 200)
      assert.strictEqual(yield* open.text, "hello anyone")
      assert.strictEqual(open.headers["www-authenticate"], undefined)
      // the middleware does not run there: a garbage Authorization header is not even read
      assert.strictEqual((yield* HttpClient.get(`${origin}/public`, { headers: { authorization: "NTLM !!!" } })).status, 200)
      assert.strictEqual((yield* HttpClient.get(`${origin}/me`, { headers: { authorization: "NTLM !!!" } })).status, 401)
      const closed = yield* HttpClient.get(`${origin}/me`)
      assert.strictEqual(closed.status, 401)
      assert.strictEqual(closed.headers["www-authenticate"], "Negotiate, NTLM")
      assert.strictEqual((yield* HttpClient.get(`${origin}/nowhere`)).status, 404)
    }).pipe(Effect.provide(env))))

  it.live("our SspiClient gets GET /me as alice after an NTLM handshake", () =>
    Effect.scoped(Effect.gen(function*() {
      const origin = yield* serve
      const http = yield* client()
      const me = yield* http.get(`${origin}/me`)
      assert.strictEqual(me.status, 200)
      assert.strictEqual(yield* me.text, "hello EXAMPLE\\alice")
      // the same client on the public route: no handshake needed, still 200
      const open = yield* http.get(`${origin}/public`)
      assert.strictEqual(open.status, 200)
      assert.strictEqual(yield* open.text, "hello anyone")
    }).pipe(Effect.provide(env))))

  it.live("our SspiClient gets GET /me as alice through Negotiate (SPNEGO over NTLM)", () =>
    Effect.scoped(Effect.gen(function*() {
      const origin = yield* serve
      const http = yield* client({ schemes: ["Negotiate", "NTLM"] })
      const me = yield* http.get(`${origin}/me`)
      assert.strictEqual(me.status, 200)
      assert.strictEqual(yield* me.text, "hello EXAMPLE\\alice")
      // the final token (mechListMIC) went out through the route middleware's pre-response handler
      assert.match(me.headers["www-authenticate"] ?? "", /^Negotiate [A-Za-z0-9+/=]+$/)
    }).pipe(Effect.provide(env))))

  it.live.skipIf(!curlAvailable)("curl --ntlm gets GET /me as alice", () =>
    Effect.scoped(Effect.gen(function*() {
      const origin = yield* serve
      const result = yield* curl(`${origin}/me`)
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual(result.stdout.split("\n"), ["hello EXAMPLE\\alice", "200"])
    }).pipe(Effect.provide(env))))
})
