/**
 * `sspi serve --dc HOST --machine-keytab FILE` against the REAL Samba AD DC
 * of the suite: NTLM verified by the domain over Netlogon (the machine
 * account WEB1$ and its NT hash from the keytab `samba-tool domain
 * exportkeytab` wrote). curl --ntlm for alice, whose password only the DC
 * knows, gets the page; a wrong password and a disabled account get 401.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Command, Paths, requirePeersSync, SambaDc } from "@effect-sspi/interop-harness"
import { sspi, startServer } from "./support.ts"

const available = SambaDc.availableSync() && requirePeersSync("curl")

const curl = (url: string, user: string) =>
  Command.run(
    "/usr/bin/curl",
    ["-sS", "--ntlm", "-K", "-", "-w", "\n%{http_code}", "--max-time", "20", url],
    { env: { OPENSSL_CONF: Paths.opensslLegacyConf }, input: `user = "${user.replace(/\\/g, "\\\\")}"\n`, timeout: "30 seconds" }
  )

describe("sspi serve --dc (Samba AD DC, Netlogon)", () => {
  it.live.skipIf(!available)("curl --ntlm verified by the domain: alice 200 and her SIDs at /whoami, wrong password and disabled carol 401", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const server = yield* startServer(["--dc", "127.0.0.1", "--machine-keytab", dc.web1.keytab])
      const url = `${server.url}/`
      const alice = yield* curl(url, `${dc.domain}\\alice:${dc.alice.password}`)
      assert.strictEqual(alice.stdout, `hello ${dc.domain}\\alice (NTLM)\n\n200`, alice.stderr + server.stderr())
      const whoami = yield* curl(`${url}whoami`, `${dc.domain}\\alice:${dc.alice.password}`)
      // GET /whoami: the identity the DC returned (Netlogon validation info)
      const [json, status] = whoami.stdout.split("\n")
      assert.strictEqual(status, "200", whoami.stderr)
      const who = JSON.parse(json!)
      assert.deepInclude(who, { principal: `${dc.domain}\\alice`, package: "NTLM", scheme: "NTLM", sid: dc.alice.sid, upn: "alice@corp.test" })
      assert.include(who.groups.map((g: { sid: string }) => g.sid), dc.groups.webUsers)
      const wrong = yield* curl(url, `${dc.domain}\\alice:not-her-password`)
      assert.match(wrong.stdout, /\n401$/)
      const carol = yield* curl(url, `${dc.domain}\\carol:${dc.carol.password}`)
      assert.match(carol.stdout, /\n401$/)
    })), 180_000)

  it.live("--dc needs --machine-keytab; a keytab without a machine account's RC4 key names its principals", () =>
    Effect.scoped(Effect.gen(function*() {
      const alone = yield* sspi(["serve", "--dc", "127.0.0.1"])
      assert.strictEqual(alone.code, 2)
      assert.strictEqual(alone.stderr, "sspi: --dc HOST and --machine-keytab FILE go together\n")
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "sspi-cli-dc-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const garbage = join(dir, "garbage.keytab")
      writeFileSync(garbage, randomBytes(40))
      const bad = yield* sspi(["serve", "--dc", "127.0.0.1", "--machine-keytab", garbage])
      assert.strictEqual(bad.code, 1)
      assert.include(bad.stderr, garbage)
      const service = yield* sspi(["serve", "--dc", "127.0.0.1", "--machine-keytab", join(import.meta.dirname, "fixtures", "krb5-http.keytab")])
      assert.strictEqual(service.code, 1)
      assert.match(service.stderr, /^sspi: --machine-keytab .*krb5-http\.keytab: no RC4-HMAC \(23\) key of a machine account \(NAME\$\): HTTP\/\S+@\S+ \(enctype \d+\)/)
      assert.strictEqual(service.stderr.trim().split("\n").length, 1)
    })), 60_000)
})
