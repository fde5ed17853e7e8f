import { createHash, X509Certificate } from "node:crypto"
import { createServer } from "node:https"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ChannelBindings, Connector, Sessions } from "@effect-sspi/http"
import { selfSigned } from "./support/certificate.ts"
import { client, ConnectionLog, runtimeLayer, runtimeLayerWith, serve } from "./support/server.ts"

const pem = selfSigned("sha384")
const der = new Uint8Array(new X509Certificate(pem.cert).raw)
const tls = { rejectUnauthorized: false }
const env = Layer.mergeAll(runtimeLayer, NodeHttpClient.layerNodeHttpOptions(tls), Connector.layerNode(tls))
// NTLM itself at "required" too, until the packages honour the server's per-call level (HandshakeRequest.extendedProtection)
const requiredEnv = Layer.mergeAll(
  runtimeLayerWith({ extendedProtection: "required" }),
  NodeHttpClient.layerNodeHttpOptions(tls),
  Connector.layerNode(tls)
)

describe("HTTPS with tls-server-end-point channel bindings", () => {
  it("hashes the certificate with its signature hash (RFC 5929)", () => {
    assert.strictEqual(ChannelBindings.hashAlgorithm(der), "sha384")
    const data = ChannelBindings.tlsServerEndPoint(der)
    const prefix = "tls-server-end-point:"
    assert.strictEqual(Buffer.from(data.subarray(0, prefix.length)).toString(), prefix)
    assert.deepStrictEqual(Buffer.from(data.subarray(prefix.length)), createHash("sha384").update(der).digest())
    assert.strictEqual(ChannelBindings.hashAlgorithm(new X509Certificate(selfSigned("sha256").cert).raw), "sha256")
  })

  it.live("the client binds to the server's certificate and the server checks it", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = new ConnectionLog()
      const { origin } = yield* serve(log, { schemes: ["NTLM"] }, () => createServer(pem))
      const http = yield* client()
      const response = yield* http.get(`${origin}/`)
      assert.strictEqual(response.status, 200)
      assert.strictEqual(new Set(log.authorized).size, 1)
    }).pipe(Effect.provide(env))))

  it.live("a session cookie set over HTTPS is Secure (and HttpOnly, SameSite=Lax)", () =>
    Effect.scoped(Effect.gen(function*() {
      const keys = { current: Sessions.fromBytes(new Uint8Array(32).fill(7)), previous: [] }
      const { origin } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], sessions: { keys } }, () => createServer(pem))
      const response = yield* (yield* client()).get(`${origin}/`)
      assert.strictEqual(response.status, 200)
      const setCookie = String(response.headers["set-cookie"])
      assert.match(setCookie, /^__Host-sspi_session=v1\./)
      for (const attribute of ["Secure", "HttpOnly", "SameSite=Lax"]) assert.include(setCookie.split("; "), attribute)
    }).pipe(Effect.provide(env))))

  it.live("default level (whenSupported, as Windows Server 2025): a client that sends no bindings is accepted", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"] }, () => createServer(pem))
      const http = yield* client({ channelBindings: false })
      assert.strictEqual((yield* http.get(`${origin}/`)).status, 200)
    }).pipe(Effect.provide(env))))

  it.live("extendedProtection: \"required\": a client that sends no bindings is refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], extendedProtection: "required" }, () => createServer(pem))
      const http = yield* client({ channelBindings: false })
      const error = yield* Effect.flip(http.get(`${origin}/`))
      assert.strictEqual(error._tag, "LogonDenied")
      // a client that binds still gets in
      assert.strictEqual((yield* (yield* client()).get(`${origin}/`)).status, 200)
    }).pipe(Effect.provide(requiredEnv))))

  it.live("extendedProtection: \"off\" (and the deprecated channelBindings: \"none\") gives the packages no bindings", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const options of [{ extendedProtection: "off" as const }, { channelBindings: "none" as const }]) {
        const { origin } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], ...options }, () => createServer(pem))
        const http = yield* client({ channelBindings: false })
        assert.strictEqual((yield* http.get(`${origin}/`)).status, 200)
      }
    }).pipe(Effect.provide(requiredEnv))))
})
