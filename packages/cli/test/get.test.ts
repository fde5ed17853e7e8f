/**
 * `sspi get` with curl's options against the real servers of the suite:
 * Apache httpd + mod_auth_gssapi over gss-ntlmssp (NTLM inside Negotiate)
 * and over MIT Kerberos (tickets from `sspi kinit`). Missing peers: loud
 * skip, or a failure under CI=true.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Apache, Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { sspi } from "./support.ts"

const ntlmAvailable = requirePeersSync("apache", "ntlm")
const krb5Available = requirePeersSync("apache", "krb5")
const port = Apache.testPort(2) // and port + 1 (slot 3)

/** No krb5.conf: Kerberos inside Negotiate has no realm, so NTLM answers. */
const noKerberos = { KRB5_CONFIG: "/nonexistent/krb5.conf", KRB5CCNAME: "FILE:/nonexistent/ccache" }

describe("sspi get against Apache mod_auth_gssapi", () => {
  it.live.skipIf(!ntlmAvailable)("gss-ntlmssp: -u DOM\\user with the password on stdin / in -u / SSPI_PASSWORD; -o, -i, -v, --fail, --ntlm, exit codes", () =>
    Effect.scoped(Effect.gen(function*() {
      const apache = yield* Apache.start({
        port,
        serverName: "127.0.0.1",
        gssapi: () => ["GssapiAllowedMech ntlmssp", "GssapiConnectionBound On"],
        files: (dir) => writeFileSync(join(dir, "users"), "EXAMPLE:alice:Passw0rd!\n"),
        env: (dir) => ({ NTLM_USER_FILE: join(dir, "users") })
      })
      const page = `http://127.0.0.1:${port}/index.html`
      const piped = yield* sspi(["get", "-u", "EXAMPLE\\alice", page], noKerberos, 60_000, "Passw0rd!\n")
      assert.strictEqual(piped.code, 0, piped.stderr)
      assert.strictEqual(piped.stdout, "hello from apache\n")

      const inline = yield* sspi(["get", "-v", "-i", "-o", join(apache.dir, "out"), "-u", "EXAMPLE\\alice:Passw0rd!", page], noKerberos)
      assert.strictEqual(inline.code, 0, inline.stderr)
      assert.strictEqual(inline.stdout, "")
      const saved = readFileSync(join(apache.dir, "out"), "utf8")
      assert.match(saved, /^HTTP\/1\.1 200\r\n/)
      assert.include(saved, "\r\n\r\nhello from apache\n")
      assert.include(inline.stderr, "> authorization: Negotiate <")
      assert.match(inline.stderr, /< www-authenticate: Negotiate <\d+ bytes: SPNEGO NegTokenResp accept-incomplete, server chose NTLMSSP/)
      assert.match(inline.stderr, /\* Negotiate uses NTLMSSP: Kerberos was not offered/)
      assert.match(inline.stderr, /\* client Negotiate SEC_E_OK/)
      assert.notInclude(inline.stdout + inline.stderr, "Passw0rd!")

      const env = yield* sspi(["get", "--negotiate", "-u", "EXAMPLE\\alice", page], { ...noKerberos, SSPI_PASSWORD: "Passw0rd!" })
      assert.strictEqual(env.code, 0, env.stderr)

      const wrong = yield* sspi(["get", "-u", "EXAMPLE\\alice:s3cret-wrong", page], noKerberos)
      assert.strictEqual(wrong.code, 67, wrong.stderr)
      assert.include(wrong.stderr, "SEC_E_LOGON_DENIED")
      assert.notInclude(wrong.stdout + wrong.stderr, "s3cret-wrong")

      // --ntlm restricts the answer to the NTLM scheme (mod_auth_gssapi offers it too)
      const ntlmOnly = yield* sspi(["get", "-v", "--ntlm", "-u", "EXAMPLE\\alice:Passw0rd!", page], noKerberos)
      assert.strictEqual(ntlmOnly.code, 0, ntlmOnly.stderr)
      assert.strictEqual(ntlmOnly.stdout, "hello from apache\n")
      assert.include(ntlmOnly.stderr, "> authorization: NTLM <40 bytes: NTLM NEGOTIATE>")
      assert.notInclude(ntlmOnly.stderr, "authorization: Negotiate")
      // HTTP errors: exit 0 with the body as curl, 22 and no body with --fail
      const missing = `http://127.0.0.1:${port}/missing.html`
      const notFound = yield* sspi(["get", "-u", "EXAMPLE\\alice:Passw0rd!", missing], noKerberos)
      assert.strictEqual(notFound.code, 0, notFound.stderr)
      assert.include(notFound.stdout, "Not Found")
      const failed = yield* sspi(["get", "--fail", "-u", "EXAMPLE\\alice:Passw0rd!", missing], noKerberos)
      assert.strictEqual(failed.code, 22)
      assert.strictEqual(failed.stdout, "")
      assert.strictEqual(failed.stderr.trim(), "sspi: (22) The requested URL returned error: 404")
    })), 120_000)

  it.live.skipIf(!krb5Available)("MIT Kerberos: sspi kinit -f, then -u : (tickets), --service-name, --delegation policy (Apache stores the forwarded TGT); usage and network exit codes", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      // the realm trusts HTTP/localhost for delegation: its tickets carry OK-AS-DELEGATE
      const trusted = yield* Command.run("/usr/sbin/kadmin.local", ["-q", "modprinc +ok_as_delegate HTTP/localhost"], { env: realm.env, timeout: "15 seconds" })
      assert.strictEqual(trusted.code, 0, trusted.stderr)
      const apache = yield* Apache.start({
        port: port + 1,
        serverName: "localhost",
        gssapi: (dir) => ["GssapiAllowedMech krb5", `GssapiCredStore keytab:${dir}/http.keytab`, `GssapiDelegCcacheDir ${dir}/deleg`],
        files: (dir) => {
          mkdirSync(join(dir, "deleg"))
          chmodSync(join(dir, "deleg"), 0o777)
          copyFileSync(realm.keytab, join(dir, "http.keytab"))
          copyFileSync(realm.env["KRB5_CONFIG"]!, join(dir, "krb5.conf"))
          chmodSync(join(dir, "http.keytab"), 0o644)
        },
        env: (dir) => ({ KRB5_CONFIG: join(dir, "krb5.conf"), KRB5_KTNAME: `FILE:${dir}/http.keytab`, KRB5RCACHETYPE: "none" })
      })
      const page = `http://localhost:${port + 1}/index.html`
      const kinit = yield* sspi(["kinit", "-f", realm.user], realm.env, 30_000, `${realm.password}\n`)
      assert.strictEqual(kinit.code, 0, kinit.stderr)

      const tickets = yield* sspi(["get", "-v", "-u", ":", page], realm.env)
      assert.strictEqual(tickets.code, 0, tickets.stderr)
      assert.strictEqual(tickets.stdout, "hello from apache\n")
      assert.include(tickets.stderr, "SPNEGO NegTokenInit offering Kerberos V5")
      assert.include(tickets.stderr, "* Negotiate uses Kerberos V5")

      assert.notInclude(tickets.stderr, "DELEGATE", "no delegation unless asked")
      assert.deepStrictEqual(readdirSync(join(apache.dir, "deleg")), [])
      const delegated = yield* sspi(["get", "-v", "--service-name", "HTTP", "--delegation", "policy", page], realm.env)
      assert.strictEqual(delegated.code, 0, delegated.stderr)
      assert.strictEqual(delegated.stdout, "hello from apache\n")
      assert.match(delegated.stderr, /\* client Negotiate SEC_E_OK .*flags DELEGATE\|/)
      // mod_auth_gssapi wrote the TGT it received: MIT's ccache, read by our klist
      assert.deepStrictEqual(readdirSync(join(apache.dir, "deleg")), [realm.principal])
      const forwarded = yield* sspi(["klist", "-f", "-c", join(apache.dir, "deleg", realm.principal)], realm.env)
      assert.strictEqual(forwarded.code, 0, forwarded.stderr)
      assert.include(forwarded.stdout, `Default principal: ${realm.principal}`)
      assert.match(forwarded.stdout, new RegExp(`krbtgt/${realm.realm}@${realm.realm}\\n\\tFlags: Ff`), "a forwarded TGT")
      const unknownSpn = yield* sspi(["get", "--service-name", "nosuch", "-u", ":", page], realm.env)
      assert.strictEqual(unknownSpn.code, 67, unknownSpn.stderr)
      assert.strictEqual(unknownSpn.stderr.trim().split("\n").length, 1)

      // the realm no longer trusts HTTP/localhost: policy forwards nothing, always forwards the TGT anyway
      const untrusted = yield* Command.run("/usr/sbin/kadmin.local", ["-q", "modprinc -ok_as_delegate HTTP/localhost"], { env: realm.env, timeout: "15 seconds" })
      assert.strictEqual(untrusted.code, 0, untrusted.stderr)
      rmSync(join(apache.dir, "deleg", realm.principal))
      const fresh = yield* sspi(["kinit", "-f", realm.user], realm.env, 30_000, `${realm.password}\n`)
      assert.strictEqual(fresh.code, 0, fresh.stderr)
      const policy = yield* sspi(["get", "-v", "--delegation", "policy", "-u", ":", page], realm.env)
      assert.strictEqual(policy.code, 0, policy.stderr)
      assert.strictEqual(policy.stdout, "hello from apache\n")
      assert.notMatch(policy.stderr, /\* client Negotiate SEC_E_OK .*flags DELEGATE\|/)
      assert.deepStrictEqual(readdirSync(join(apache.dir, "deleg")), [], "policy: not to a service without OK-AS-DELEGATE")
      const always = yield* sspi(["get", "-v", "--delegation", "always", "-u", ":", page], realm.env)
      assert.strictEqual(always.code, 0, always.stderr)
      assert.strictEqual(always.stdout, "hello from apache\n")
      assert.match(always.stderr, /\* client Negotiate SEC_E_OK .*flags DELEGATE\|/)
      assert.deepStrictEqual(readdirSync(join(apache.dir, "deleg")), [realm.principal], "always: the TGT is forwarded")
      const alwaysForwarded = yield* sspi(["klist", "-f", "-c", join(apache.dir, "deleg", realm.principal)], realm.env)
      assert.match(alwaysForwarded.stdout, new RegExp(`krbtgt/${realm.realm}@${realm.realm}\\n\\tFlags: Ff`), "a forwarded TGT")
      for (
        const [args, code] of [
          [["--ntlm", "-u", ":", page], 2],
          [["--ntlm", "--delegation", "policy", "-u", "a:b", page], 2],
          [["--delegation", "sometimes", page], 2],
          [["-X", "GE T", page], 2],
          [["-H", "no colon", page], 2],
          [["ftp://localhost/"], 3],
          [["http://127.0.0.1:1/"], 7],
          [["http://nonexistent.invalid/"], 6]
        ] as const
      ) {
        const r = yield* sspi(["get", ...args], realm.env)
        assert.strictEqual(r.code, code, `${args.join(" ")}: ${r.stderr}`)
      }
    })), 120_000)
})
