import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { sspi, startServer } from "./support.ts"

const spnego = "YEgGBisGAQUFAqA+MDygDjAMBgorBgEEAYI3AgIKoioEKE5UTE1TU1AAAQAAADeCCOIAAAAAAAAAAAAAAAAAAAAABgIAAAAAAA8="

const usersFile = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "sspi-cli-"))
    writeFileSync(join(dir, "users"), "EXAMPLE:alice:Passw0rd!\n")
    return { dir, file: join(dir, "users") }
  }),
  ({ dir }) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

describe("sspi", () => {
  it.live("demo: every leg, the async delete's SEC_E_OK, no context left, exit 0", () =>
    Effect.gen(function*() {
      const r = yield* sspi(["demo"])
      assert.strictEqual(r.code, 0, r.stderr)
      assert.include(r.stdout, "SspiDeleteSecurityContextAsync")
      assert.match(r.stdout, /callback ran; getAsyncCallStatus → SEC_E_OK \(0x00000000\)/)
      assert.include(r.stdout, "hello EXAMPLE\\alice")
      assert.include(r.stdout, "live contexts: 0")
      assert.notInclude(r.stdout + r.stderr, "Passw0rd!")
    }))

  it.live("decode: NTLM in a header line, SPNEGO wrapping NTLM, and errors with exit 1", () =>
    Effect.gen(function*() {
      const ntlm = yield* sspi(["decode", "Authorization: NTLM TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAAKAAAAAAAADw=="])
      assert.strictEqual(ntlm.code, 0, ntlm.stderr)
      assert.include(ntlm.stdout, "NTLM NEGOTIATE_MESSAGE (40 bytes)")
      assert.include(ntlm.stdout, "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY")
      const wrapped = yield* sspi(["decode", "WWW-Authenticate:", "Negotiate", spnego])
      assert.strictEqual(wrapped.code, 0, wrapped.stderr)
      assert.include(wrapped.stdout, "OID 1.3.6.1.5.5.2 (SPNEGO)")
      assert.include(wrapped.stdout, "NTLM NEGOTIATE_MESSAGE")
      const bad = yield* sspi(["decode", "not a token!"])
      assert.strictEqual(bad.code, 1)
      assert.include(bad.stderr, "cannot decode")
      const truncated = yield* sspi(["decode", "4e544c4d5353500001000000"])
      assert.strictEqual(truncated.code, 1)
      assert.include(truncated.stderr, "malformed NTLM message")
    }))

  it.live("decode: two tokens are two outputs; stdin (-) and @FILE one token per line; --json one document per token", () =>
    Effect.scoped(Effect.gen(function*() {
      const negotiate = "TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAAKAAAAAAAADw=="
      const two = yield* sspi(["decode", negotiate, spnego])
      assert.strictEqual(two.code, 0, two.stderr)
      assert.strictEqual(two.stdout.split("NTLM NEGOTIATE_MESSAGE").length - 1, 2)
      assert.include(two.stdout, "SPNEGO NegTokenInit")
      const { dir } = yield* usersFile
      writeFileSync(join(dir, "tokens"), `# a comment\nAuthorization: NTLM ${negotiate}\n\n${spnego}\n`)
      const fromFile = yield* sspi(["decode", "--json", `@${join(dir, "tokens")}`])
      assert.strictEqual(fromFile.code, 0, fromFile.stderr)
      const docs = fromFile.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
      assert.deepStrictEqual(docs.map((d) => Object.keys(d)[0]), ["NTLM NEGOTIATE_MESSAGE (40 bytes)", "SPNEGO NegTokenInit (74 bytes)"])
      const fromStdin = yield* sspi(["decode", "-"], {}, 60_000, `${negotiate}\nnot a token!\n`)
      assert.strictEqual(fromStdin.code, 1)
      assert.include(fromStdin.stdout, "NTLM NEGOTIATE_MESSAGE")
      assert.include(fromStdin.stderr, "sspi: cannot decode token 2: the token is neither base64 nor hex")
      const secrets = yield* sspi(["decode", "--show-secrets", negotiate])
      assert.strictEqual(secrets.code, 2)
      assert.strictEqual(secrets.stderr.trim(), "sspi: --show-secrets needs --keytab or --password (without them nothing secret is decrypted)")
    })))

  it.live("help: every subcommand shows its defaults and examples; --version has no -v alias", () =>
    Effect.gen(function*() {
      for (const command of ["demo", "get", "serve", "decode", "kinit", "klist", "kdestroy", "doctor"]) {
        const help = yield* sspi([command, "--help"])
        assert.strictEqual(help.code, 0, `${command}: ${help.stderr}`)
        assert.include(help.stdout, "EXAMPLES", command)
        assert.include(help.stdout, `sspi ${command}`, command)
        if (command !== "demo") assert.include(help.stdout, "(default: ", command)
      }
      const version = yield* sspi(["--version"])
      assert.include(version.stdout, "0.1.0")
      const verbose = yield* sspi(["get", "-v"])
      assert.strictEqual(verbose.code, 2, "-v is --verbose: the URL is missing")
      assert.notInclude(verbose.stdout, "0.1.0")
    }))

  it.live("serve + get: alice gets in; a wrong password says so, with the status, and no secret", () =>
    Effect.scoped(Effect.gen(function*() {
      const { file } = yield* usersFile
      const server = yield* startServer(["--users", file])
      const ok = yield* sspi(["get", "--ntlm", "-u", "EXAMPLE\\alice", `${server.url}/`], { SSPI_PASSWORD: "Passw0rd!" })
      assert.strictEqual(ok.code, 0, ok.stderr)
      assert.strictEqual(ok.stdout.trim(), "hello EXAMPLE\\alice (NTLM)")
      const wrong = yield* sspi(["get", "--ntlm", "-u", "EXAMPLE\\alice", `${server.url}/`], { SSPI_PASSWORD: "s3cret-wrong" })
      assert.strictEqual(wrong.code, 67, "curl's CURLE_LOGIN_DENIED")
      assert.include(wrong.stderr, "wrong user name or password: SEC_E_LOGON_DENIED (0x8009030C)")
      assert.notInclude(wrong.stdout + wrong.stderr, "s3cret-wrong")
      const noUser = yield* sspi(["get", "--ntlm", `${server.url}/`])
      assert.strictEqual(noUser.code, 2, "a usage error")
      assert.include(noUser.stderr, "--ntlm needs -u DOMAIN\\user[:password]")
    })))
})
