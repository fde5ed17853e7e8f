import { spawn } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { requirePeersSync } from "@effect-sspi/interop-harness"
import { SspiClient } from "@effect-sspi/http"
import { client, clientLayer, runtimeLayer } from "./support/server.ts"

const apacheAvailable = requirePeersSync("apache", "ntlm")
const modules = "/usr/lib/apache2/modules"

/** Apache httpd -X with mod_auth_gssapi restricted to gss-ntlmssp, on a private config; killed with the scope. */
const apache = (port: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), "sspi-apache-"))
      mkdirSync(join(dir, "htdocs"))
      writeFileSync(join(dir, "htdocs", "index.html"), "hello from apache\n")
      writeFileSync(join(dir, "users"), "EXAMPLE:alice:Passw0rd!\n")
      writeFileSync(join(dir, "httpd.conf"), [
        `ServerRoot ${dir}`, "ServerName 127.0.0.1", `Listen 127.0.0.1:${port}`,
        ...["mpm_prefork", "authn_core", "authz_core", "authz_user", "auth_gssapi"].map((m) =>
          `LoadModule ${m}_module ${modules}/mod_${m}.so`
        ),
        "User nobody", "Group nogroup", `PidFile ${dir}/httpd.pid`, `ErrorLog ${dir}/error.log`,
        `DocumentRoot ${dir}/htdocs`, "KeepAlive On",
        "<Location />", "AuthType GSSAPI", "AuthName sspi", "GssapiAllowedMech ntlmssp", "GssapiConnectionBound On",
        "Require valid-user", "</Location>", ""
      ].join("\n"))
      chmodSync(dir, 0o755)
      const child = spawn("/usr/sbin/apache2", ["-X", "-f", join(dir, "httpd.conf")], {
        env: { ...process.env, NTLM_USER_FILE: join(dir, "users") },
        stdio: "ignore"
      })
      return { dir, child }
    }),
    ({ child, dir }) =>
      Effect.sync(() => {
        child.kill("SIGKILL")
        rmSync(dir, { recursive: true, force: true })
      })
  ).pipe(Effect.tap(() =>
    Effect.callback<void, Error>((resume) => {
      const socket = connect(port, "127.0.0.1")
      socket.once("connect", () => {
        socket.destroy()
        resume(Effect.void)
      })
      socket.once("error", (e) => resume(Effect.fail(e)))
    }).pipe(Effect.retry({ schedule: Schedule.spaced(Duration.millis(100)), times: 50 }))
  ))

const env = Layer.mergeAll(runtimeLayer, clientLayer)
const port = 20_000 + (process.pid % 20_000)

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
