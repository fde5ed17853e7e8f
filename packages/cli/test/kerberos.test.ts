/**
 * `sspi serve --keytab` and `sspi get --negotiate` with Kerberos, against a
 * throwaway MIT realm (real KDC, kinit, curl). Missing peers: loud skip, or
 * a failure under CI=true.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { sspi, startServer } from "./support.ts"

const available = requirePeersSync("krb5", "curl")

const usersFile = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "sspi-cli-krb5-"))
    writeFileSync(join(dir, "users"), "EXAMPLE:alice:Passw0rd!\n")
    return { dir, file: join(dir, "users") }
  }),
  ({ dir }) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** The server's URL with "localhost", so that clients ask for HTTP/localhost (the realm's service). */
const localhost = (url: string) => url.replace("//127.0.0.1:", "//localhost:")

describe("sspi with Kerberos (MIT realm)", () => {
  it.live.skipIf(!available)("serve --keytab: get --negotiate from a ccache and from -u/SSPI_PASSWORD, curl --negotiate, NTLM still works", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Realm.kinit(realm)
      const { file } = yield* usersFile
      const server = yield* startServer(["--users", file, "--keytab", realm.keytab, "-v"], realm.env)
      const url = `${localhost(server.url)}/`

      const fromCcache = yield* sspi(["get", "--negotiate", "-v", url], realm.env)
      assert.strictEqual(fromCcache.code, 0, fromCcache.stderr)
      assert.strictEqual(fromCcache.stdout.trim(), `hello ${realm.principal} (Negotiate)`)
      assert.match(fromCcache.stderr, /client Negotiate/)

      const noCache = { ...realm.env, KRB5CCNAME: `FILE:${realm.dir}/no-such-ccache` }
      const fromPassword = yield* sspi(["get", "--negotiate", "-u", realm.principal, url], { ...noCache, SSPI_PASSWORD: realm.password })
      assert.strictEqual(fromPassword.code, 0, fromPassword.stderr)
      assert.strictEqual(fromPassword.stdout.trim(), `hello ${realm.principal} (Negotiate)`)

      const wrong = yield* sspi(["get", "--negotiate", "-u", realm.principal, url], { ...noCache, SSPI_PASSWORD: "s3cret-wrong" })
      assert.strictEqual(wrong.code, 67)
      assert.include(wrong.stderr, "SEC_E_LOGON_DENIED (0x8009030C)")
      assert.notInclude(wrong.stdout + wrong.stderr, "s3cret-wrong")

      const curl = yield* Command.run(
        "/usr/bin/curl",
        ["-sS", "--negotiate", "-u", ":", "-w", "\n%{http_code}", "--max-time", "20", url],
        { env: realm.env, timeout: "30 seconds" }
      )
      assert.strictEqual(curl.stdout, `hello ${realm.principal} (Negotiate)\n\n200`, curl.stderr)

      const ntlm = yield* sspi(["get", "--ntlm", "-u", "EXAMPLE\\alice", url], { SSPI_PASSWORD: "Passw0rd!" })
      assert.strictEqual(ntlm.code, 0, ntlm.stderr)
      assert.strictEqual(ntlm.stdout.trim(), "hello EXAMPLE\\alice (NTLM)")
      assert.notInclude(server.stderr(), realm.password)
    })), 90_000)

  it.live.skipIf(!available)("serve --keytab alone offers Negotiate (Kerberos); a missing keytab stops it with a clear message", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Realm.kinit(realm)
      const server = yield* startServer(["--keytab", realm.keytab], realm.env)
      const ok = yield* sspi(["get", "--negotiate", "-i", `${localhost(server.url)}/`], realm.env)
      assert.strictEqual(ok.code, 0, ok.stderr)
      assert.include(ok.stdout, `hello ${realm.principal} (Negotiate)`)
      const noTickets = yield* sspi(["get", "--negotiate", `${localhost(server.url)}/`], {
        ...realm.env,
        KRB5CCNAME: `FILE:${realm.dir}/no-such-ccache`
      })
      assert.strictEqual(noTickets.code, 67)
      assert.include(noTickets.stderr, "run kinit, or give -u USER@REALM")
      const refused = yield* sspi(["get", "--fail", "--ntlm", "-u", "EXAMPLE\\alice", `${localhost(server.url)}/`], { SSPI_PASSWORD: "Passw0rd!" })
      assert.strictEqual(refused.code, 22, "the server does not offer NTLM: its 401 stands")
      const missing = yield* Effect.flip(startServer(["--keytab", `${realm.dir}/missing.keytab`], realm.env))
      assert.include(missing.message, `--keytab ${realm.dir}/missing.keytab`)
    })), 90_000)
})
