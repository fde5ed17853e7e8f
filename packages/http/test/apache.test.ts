import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Apache, requirePeersSync } from "@effect-sspi/interop-harness"
import { SspiClient } from "@effect-sspi/http"
import { client, clientLayer, runtimeLayer } from "./support/server.ts"

const apacheAvailable = requirePeersSync("apache", "ntlm")

/** Apache httpd with mod_auth_gssapi restricted to gss-ntlmssp. */
const apache = (port: number) =>
  Apache.start({
    port,
    serverName: "127.0.0.1",
    gssapi: () => ["GssapiAllowedMech ntlmssp", "GssapiConnectionBound On"],
    files: (dir) => writeFileSync(join(dir, "users"), "EXAMPLE:alice:Passw0rd!\n"),
    env: (dir) => ({ NTLM_USER_FILE: join(dir, "users") })
  })

const env = Layer.mergeAll(runtimeLayer, clientLayer)
const port = Apache.testPort(0)

describe("our client against Apache mod_auth_gssapi (gss-ntlmssp)", () => {
  it.live.skipIf(!apacheAvailable)("NTLM: alice gets the page; a wrong password is LogonDenied", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* apache(port)
      const http = yield* client()
      const response = yield* http.get(`http://127.0.0.1:${port}/index.html`)
      assert.strictEqual(response.status, 200)
      assert.strictEqual(yield* response.text, "hello from apache\n")
      const wrong = yield* client({ credentials: SspiClient.password("EXAMPLE\\alice", Redacted.make("wrong")) })
      const error = yield* Effect.flip(wrong.get(`http://127.0.0.1:${port}/index.html`))
      assert.strictEqual(error._tag, "LogonDenied")
    }).pipe(Effect.provide(env), Effect.timeout("60 seconds"))))
})
