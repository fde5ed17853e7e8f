/**
 * The double hop over HTTP (issue 13 item 4) with the REAL MIT Kerberos:
 * `kinit -f`, then `curl --negotiate --delegation always` → our front
 * server, whose handler takes the caller's delegated credential
 * (`SspiServer.delegated`) and calls a back-end (a second our-server, same
 * realm) through `SspiClient` as the user: the back-end sees alice. Without
 * delegation the handler gets `NoDelegatedCredential` (mapped to 403) and
 * the back-end is never called, so never with the front server's identity.
 * Missing peers: loud skip, or a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Redacted } from "effect"
import { HttpClient, HttpServerResponse } from "effect/http"
import { Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { SspiRuntime } from "@effect-sspi/core"
import { Connector, Principal, SspiClient, SspiServer } from "@effect-sspi/http"
import { keytabCredentials, portOf, withRealm } from "./support/realm.ts"
import { ConnectionLog, serve } from "./support/server.ts"

const available = requirePeersSync("krb5", "curl")

/** The back-end: who called. */
const backend = Effect.gen(function*() {
  return HttpServerResponse.text(`back-end sees ${(yield* Principal).name}`)
})

type ClientServices = HttpClient.HttpClient | Connector.Connector | SspiRuntime.SspiRuntime

/** The front end: calls the back-end as the caller, or 403 without a delegated credential. */
const frontend = (backendOrigin: string, services: Context.Context<ClientServices>) =>
  Effect.gen(function*() {
    const p = yield* Principal
    const credential = yield* SspiServer.delegated
    return yield* Effect.provide(call(backendOrigin, p.name, credential), services)
  }).pipe(
    Effect.catchTag("NoDelegatedCredential", (e) => Effect.succeed(HttpServerResponse.text(`403 ${e.reason}`, { status: 403 }))),
    Effect.catch((e) => Effect.succeed(HttpServerResponse.text(`500 ${String(e)}`, { status: 500 })))
  )

/** The back-end call as the caller, with its delegated credential. */
const call = (backendOrigin: string, name: string, credential: Effect.Success<typeof SspiServer.delegated>) =>
  Effect.scoped(Effect.gen(function*() {
    const client = (yield* HttpClient.HttpClient).pipe(SspiClient.withAuthentication({
      schemes: ["Negotiate"],
      credentials: SspiClient.delegated(credential),
      targetName: () => "HTTP/localhost"
    }))
    const response = yield* client.get(`http://localhost:${portOf(backendOrigin)}/`)
    return HttpServerResponse.text(`front-end: ${name}; ${yield* response.text}`, { status: response.status })
  }))

/**
 * curl's own ccache, not the realm's default one (which the servers' runtime
 * sees and which stays empty): the back-end can only see alice through the
 * delegated TGT.
 */
const curlEnv = (realm: Realm.Realm) => ({ ...realm.env, KRB5CCNAME: `${realm.env["KRB5CCNAME"]}.curl` })

const kinit = (realm: Realm.Realm, flag: "-f" | "-F") =>
  Command.run("/usr/bin/kinit", [flag, realm.principal], { env: curlEnv(realm), input: `${realm.password}\n`, timeout: "15 seconds" })

const curl = (realm: Realm.Realm, url: string, delegation: boolean) =>
  Command.run(
    "/usr/bin/curl",
    ["-sS", "--negotiate", "-u", ":", ...(delegation ? ["--delegation", "always"] : []), "-w", "\n%{http_code}", "--max-time", "20", url],
    { env: curlEnv(realm), timeout: "30 seconds" }
  )

describe("double hop over HTTP (MIT Kerberos)", () => {
  it.live.skipIf(!available)(
    "kinit -f + curl --delegation always → front end → SspiClient with the delegated TGT → back end sees alice; without delegation: 403, back end not called",
    () =>
      withRealm((realm) =>
        Effect.gen(function*() {
          const options = { schemes: ["Negotiate" as const], credentials: keytabCredentials(realm) }
          const backLog = new ConnectionLog()
          const back = yield* serve(backLog, options, undefined, false, backend)
          const services = yield* Effect.context<ClientServices>()
          const front = yield* serve(new ConnectionLog(), options, undefined, false, frontend(back.origin, services))
          const url = `http://localhost:${portOf(front.origin)}/`

          const result = yield* kinit(realm, "-f")
          assert.strictEqual(result.code, 0, result.stderr)
          const hop = yield* curl(realm, url, true)
          assert.strictEqual(hop.code, 0, hop.stderr)
          assert.deepStrictEqual(hop.stdout.split("\n"), [`front-end: ${realm.principal}; back-end sees ${realm.principal}`, "200"])
          assert.deepStrictEqual(backLog.responses.map((r) => [r.authorization, r.status]), [[false, 401], [true, 200]])

          // no --delegation: curl forwards nothing → typed NotDelegated → 403, and the back end gets no request
          const none = yield* curl(realm, url, false)
          assert.deepStrictEqual(none.stdout.split("\n"), ["403 NotDelegated", "403"])
          // a TGT that is not forwardable: nothing to delegate either
          const notForwardable = yield* kinit(realm, "-F")
          assert.strictEqual(notForwardable.code, 0, notForwardable.stderr)
          const refused = yield* curl(realm, url, true)
          assert.deepStrictEqual(refused.stdout.split("\n"), ["403 NotDelegated", "403"])
          assert.strictEqual(backLog.responses.length, 2, "the back end was called only on the delegated request")

          // our SspiClient as the first hop: a password logon (forwardable TGT), delegation "always"
          const withPolicy = (delegation: "always" | "none") =>
            HttpClient.HttpClient.use((base) =>
              base.pipe(SspiClient.withAuthentication({
                schemes: ["Negotiate"],
                credentials: { authData: { kerberos: { principal: realm.principal, password: Redacted.make(realm.password) }, ntlm: undefined } },
                targetName: () => "HTTP/localhost",
                delegation
              })).get(url)).pipe(Effect.flatMap((r) => Effect.map(r.text, (text) => [r.status, text] as const)))
          assert.deepStrictEqual(yield* withPolicy("always"), [200, `front-end: ${realm.principal}; back-end sees ${realm.principal}`])
          assert.deepStrictEqual(yield* withPolicy("none"), [403, "403 NotDelegated"])
          assert.strictEqual(backLog.responses.length, 4)
        })
      ),
    90_000
  )
})
