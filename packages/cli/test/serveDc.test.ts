/**
 * `sspi serve --dc HOST --machine-account WEB1$@CORP.TEST` with the machine
 * password from Config `SSPI_MACHINE_PASSWORD` (the alternative to
 * `--machine-keytab`), against the REAL Samba AD DC: curl --ntlm for alice,
 * whose password only the DC knows, gets her SID at /whoami; a wrong machine
 * password makes the DC refuse the secure channel: 503 (the server's failure);
 * the flags' usage errors. Missing Samba: loud skip, or a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Command, isCI, Paths, requirePeersSync, SambaDc } from "@effect-sspi/interop-harness"
import { sspi, startServer } from "./support.ts"

const available = SambaDc.availableSync() && requirePeersSync("curl")
if (!available && isCI()) throw new Error("serveDc.test: Samba AD DC not available under CI=true")

const curl = (url: string, user: string) =>
  Command.run(
    "/usr/bin/curl",
    ["-sS", "--ntlm", "-K", "-", "-w", "\n%{http_code}", "--max-time", "20", url],
    { env: { OPENSSL_CONF: Paths.opensslLegacyConf }, input: `user = "${user.replace(/\\/g, "\\\\")}"\n`, timeout: "30 seconds" }
  )

describe("sspi serve --dc --machine-account (Samba AD DC, Netlogon)", () => {
  it.live.skipIf(!available)("WEB1$'s password from SSPI_MACHINE_PASSWORD: alice 200 with her SID; a wrong machine password: 503", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const args = ["--dc", "127.0.0.1", "--machine-account", `WEB1$@${dc.realm}`]
      const server = yield* startServer(args, { SSPI_MACHINE_PASSWORD: dc.web1.password })
      const whoami = yield* curl(`${server.url}/whoami`, `${dc.domain}\\alice:${dc.alice.password}`)
      const [json, status] = whoami.stdout.split("\n")
      assert.strictEqual(status, "200", whoami.stderr + server.stderr())
      assert.deepInclude(JSON.parse(json!), { principal: `${dc.domain}\\alice`, scheme: "NTLM", sid: dc.alice.sid })

      const wrong = yield* startServer(args, { SSPI_MACHINE_PASSWORD: "not-the-machine-password" })
      const refused = yield* curl(`${wrong.url}/whoami`, `${dc.domain}\\alice:${dc.alice.password}`)
      // the DC refuses the secure channel: the server's failure, 503 (not 401: alice's password is right)
      assert.strictEqual(refused.stdout.split("\n").at(-1), "503", refused.stdout)
    })), 180_000)

  it.live("usage: --machine-account needs SSPI_MACHINE_PASSWORD and NAME$@REALM, and excludes --machine-keytab", () =>
    Effect.gen(function*() {
      const noPassword = yield* sspi(["serve", "--dc", "127.0.0.1", "--machine-account", "WEB1$@CORP.TEST"], { SSPI_MACHINE_PASSWORD: "" })
      assert.strictEqual(noPassword.code, 2)
      assert.strictEqual(noPassword.stderr, "sspi: --machine-account needs SSPI_MACHINE_PASSWORD: the machine account's password\n")
      const noRealm = yield* sspi(["serve", "--dc", "127.0.0.1", "--machine-account", "WEB1$"], { SSPI_MACHINE_PASSWORD: "x" })
      assert.strictEqual(noRealm.stderr, "sspi: --machine-account WEB1$: expected NAME$@REALM (e.g. WEB1$@CORP.TEST)\n")
      const both = yield* sspi(["serve", "--dc", "127.0.0.1", "--machine-account", "WEB1$@CORP.TEST", "--machine-keytab", "k"])
      assert.strictEqual(both.code, 2)
      const alone = yield* sspi(["serve", "--machine-account", "WEB1$@CORP.TEST"])
      assert.strictEqual(alone.stderr, "sspi: --dc HOST and --machine-account NAME$@REALM go together\n")
    }), 60_000)
})
