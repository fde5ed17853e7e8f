/**
 * Kerberos over HTTP (Negotiate, RFC 4559) against a throwaway MIT realm:
 * `curl --negotiate -u :` (MIT GSS-API from a kinit ccache) against our
 * server with the realm's keytab, and our client middleware against Apache
 * httpd + mod_auth_gssapi configured for Kerberos. Missing peers: loud skip,
 * or a failure under CI=true.
 */
import { chmodSync, copyFileSync } from "node:fs"
import { createServer as createHttpsServer } from "node:https"
import { join } from "node:path"
import { Agent } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Credentials, Flags, SecurityContext } from "@effect-sspi/core"
import { Apache, Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import type { SspiClient, SspiServer } from "@effect-sspi/http"
import { selfSigned } from "./support/certificate.ts"
import { keytabCredentials, portOf, withRealm } from "./support/realm.ts"
import * as requests from "./support/requests.ts"
import { client, ConnectionLog, serve } from "./support/server.ts"

const curlAvailable = requirePeersSync("krb5", "curl")
const apacheAvailable = requirePeersSync("krb5", "apache")
const krb5Available = requirePeersSync("krb5")


describe("curl --negotiate (MIT Kerberos) against our server", () => {
  it.live.skipIf(!curlAvailable)("a kinit ccache gets in as alice@EFFECT.TEST over one connection", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        yield* Realm.kinit(realm)
        const log = new ConnectionLog()
        const { origin } = yield* serve(log, { schemes: ["Negotiate", "NTLM"], credentials: keytabCredentials(realm) })
        // "localhost" in the URL: curl asks for HTTP@localhost, whose key is in the realm's keytab.
        const result = yield* Command.run(
          "/usr/bin/curl",
          ["-sS", "-v", "--negotiate", "-u", ":", "-w", "\n%{http_code}", "--max-time", "20", `http://localhost:${portOf(origin)}/`],
          { env: realm.env, timeout: "30 seconds" }
        )
        assert.strictEqual(result.code, 0, result.stderr)
        const [body, code] = result.stdout.split("\n")
        assert.strictEqual(code, "200", result.stderr)
        assert.strictEqual(body, `hello ${realm.principal} via Negotiate`)
        assert.match(result.stderr, /Authorization: Negotiate YI/, "curl sent a GSS InitialContextToken")
        assert.strictEqual(new Set(log.authorized).size, 1)
      })
    ), 60_000)

  it.live.skipIf(!krb5Available)("a Kerberos-authenticated keep-alive connection is not kept by default (the next plain request gets 401); authenticatedConnections \"all\" keeps it", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const after = (options: SspiServer.ServerOptions) =>
          Effect.scoped(Effect.gen(function*() {
            const { origin } = yield* serve(new ConnectionLog(), options)
            const agent = new Agent({ keepAlive: true, maxSockets: 1 })
            yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
            const credentials = yield* Credentials.acquire({
              packageName: "Negotiate",
              credentialUse: Flags.CredentialUse.OUTBOUND,
              authData: { kerberos: { principal: realm.principal, password: Redacted.make(realm.password) }, ntlm: undefined }
            })
            const context = yield* SecurityContext.initiator(credentials, { targetName: "HTTP/localhost" })
            const first = yield* context.step()
            const url = `http://localhost:${portOf(origin)}`
            const done = yield* requests.get(`${url}/one`, agent, { authorization: `Negotiate ${Buffer.from(first.token!).toString("base64")}` })
            assert.strictEqual(done.status, 200)
            return (yield* requests.get(`${url}/two`, agent)).status
          }))
        const options = { schemes: ["Negotiate" as const], credentials: keytabCredentials(realm) }
        assert.strictEqual(yield* after(options), 401)
        assert.strictEqual(yield* after({ ...options, authenticatedConnections: "all" }), 200)
      })
    ), 60_000)

  it.live.skipIf(!curlAvailable)("without a ticket curl gets 401 (no fallback to anything weaker)", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        const { origin } = yield* serve(new ConnectionLog(), { schemes: ["Negotiate"], credentials: keytabCredentials(realm) })
        const result = yield* Command.run(
          "/usr/bin/curl",
          ["-sS", "--negotiate", "-u", ":", "-w", "\n%{http_code}", "--max-time", "20", `http://localhost:${portOf(origin)}/`],
          { env: realm.env, timeout: "30 seconds" }
        )
        assert.strictEqual(result.stdout.split("\n").pop(), "401")
      })
    ), 60_000)
})

/** Apache httpd with mod_auth_gssapi for Kerberos only. */
const apache = (realm: Realm.Realm, port: number) =>
  Apache.start({
    port,
    serverName: "localhost",
    gssapi: (dir) => ["GssapiAllowedMech krb5", `GssapiCredStore keytab:${dir}/http.keytab`],
    // httpd drops to nobody: its own readable copies of the keytab and krb5.conf
    files: (dir) => {
      copyFileSync(realm.keytab, join(dir, "http.keytab"))
      copyFileSync(realm.env["KRB5_CONFIG"]!, join(dir, "krb5.conf"))
      chmodSync(join(dir, "http.keytab"), 0o644)
    },
    env: (dir) => ({ KRB5_CONFIG: join(dir, "krb5.conf"), KRB5_KTNAME: `FILE:${dir}/http.keytab`, KRB5RCACHETYPE: "none" })
  })

const apachePort = Apache.testPort(1)
const page = `http://localhost:${apachePort}/index.html`

describe("our client against Apache mod_auth_gssapi (Kerberos)", () => {
  it.live.skipIf(!apacheAvailable)("Negotiate with Kerberos from a kinit ccache, then from a password; a wrong password is LogonDenied", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        yield* apache(realm, apachePort)
        yield* Realm.kinit(realm)
        const legs: Array<SspiClient.ClientLeg> = []
        const onLeg = (leg: SspiClient.ClientLeg) => Effect.sync(() => legs.push(leg))
        const fromCcache = yield* client({
          schemes: ["Negotiate"],
          credentials: { authData: { kerberos: { ccache: realm.env["KRB5CCNAME"] } } },
          onLeg
        })
        const response = yield* fromCcache.get(page)
        assert.strictEqual(response.status, 200)
        assert.strictEqual(yield* response.text, "hello from apache\n")
        assert.strictEqual(legs[0]?.httpStatus, 200, "one leg: the optimistic AP-REQ")

        const fromPassword = yield* client({
          schemes: ["Negotiate"],
          credentials: { authData: { kerberos: { principal: realm.principal, password: Redacted.make(realm.password) } } }
        })
        const again = yield* fromPassword.get(page)
        assert.strictEqual(again.status, 200)

        const wrongLegs: Array<SspiClient.ClientLeg> = []
        const wrong = yield* client({
          schemes: ["Negotiate"],
          credentials: { authData: { kerberos: { principal: realm.principal, password: Redacted.make("wrong-password") } } },
          onLeg: (leg) => Effect.sync(() => wrongLegs.push(leg))
        })
        const error = yield* Effect.flip(wrong.get(page))
        // The KDC refuses the AS exchange (KDC_ERR_PREAUTH_FAILED): nothing reaches Apache.
        assert.strictEqual(error._tag, "LogonDenied", String(error))
        assert.strictEqual(wrongLegs.length, 0)
        assert.notInclude(String(error), "wrong-password")
      })
    ).pipe(Effect.timeout("90 seconds")), 120_000)
})

describe("F: Extended Protection with a real Kerberos client that sends no bindings (curl --negotiate over HTTPS)", () => {
  const pem = selfSigned("sha256")
  const curlTls = (realm: Realm.Realm, origin: string) =>
    Command.run(
      "/usr/bin/curl",
      ["-sS", "-k", "--negotiate", "-u", ":", "-w", "\n%{http_code}", "--max-time", "20", `https://localhost:${portOf(origin)}/`],
      { env: realm.env, timeout: "30 seconds" }
    )

  it.live.skipIf(!curlAvailable)("whenSupported (default): accepted; required: 401 (its AP-REQ carries no 0x8003 bindings)", () =>
    withRealm((realm) =>
      Effect.gen(function*() {
        yield* Realm.kinit(realm)
        const lenient = yield* serve(new ConnectionLog(), { schemes: ["Negotiate"], credentials: keytabCredentials(realm) }, () => createHttpsServer(pem))
        assert.strictEqual((yield* curlTls(realm, lenient.origin)).stdout.split("\n").pop(), "200")
        const legs: Array<string> = []
        const strict = yield* serve(
          new ConnectionLog(),
          { schemes: ["Negotiate"], credentials: keytabCredentials(realm), extendedProtection: "required", onLeg: (leg) => Effect.sync(() => legs.push(leg.status)) },
          () => createHttpsServer(pem)
        )
        assert.strictEqual((yield* curlTls(realm, strict.origin)).stdout.split("\n").pop(), "401")
        assert.include(legs, "SEC_E_BAD_BINDINGS")
      })
    ), 60_000)
})
