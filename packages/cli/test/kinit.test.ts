/**
 * `sspi kinit` / `klist` / `kdestroy` against a throwaway MIT realm: MIT's
 * klist and kvno read what `sspi kinit` wrote, and `sspi klist` prints what
 * MIT's klist prints for MIT's own ccache and keytab. Missing peers: loud
 * skip, or a failure under CI=true.
 */
import { existsSync, statSync, writeFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { sspi } from "./support.ts"

const available = requirePeersSync("krb5")

const mit = (tool: string, args: ReadonlyArray<string>, env: Readonly<Record<string, string>>, input?: string) =>
  Command.run(`/usr/bin/${tool}`, args, { env, timeout: "15 seconds", ...(input === undefined ? {} : { input }) })

describe("sspi kinit / klist / kdestroy (MIT realm)", () => {
  it.live.skipIf(!available)("sspi kinit (password on stdin, -f, -l) writes a ccache MIT klist reads and MIT kvno uses", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const cc = `FILE:${realm.dir}/ours.cc`
      const got = yield* sspi(["kinit", "-f", "-l", "2h", "-c", cc, realm.user], realm.env, 30_000, `${realm.password}\n`)
      assert.strictEqual(got.code, 0, got.stderr)
      assert.strictEqual(got.stdout + got.stderr, "")
      assert.strictEqual(statSync(`${realm.dir}/ours.cc`).mode & 0o777, 0o600, "readable by its owner only, as MIT's")
      const listed = yield* mit("klist", ["-f", "-e", "-c", cc], realm.env)
      assert.strictEqual(listed.code, 0, listed.stderr)
      assert.include(listed.stdout, `Default principal: ${realm.principal}`)
      assert.include(listed.stdout, `krbtgt/${realm.realm}@${realm.realm}`)
      assert.match(listed.stdout, /Flags: F\w*I/, "forwardable and initial")
      assert.include(listed.stdout, "Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96")
      // lifetime: 2 hours between start and expiry, as MIT prints them
      const [start, end] = /\n(\S+ \S+)\s+(\S+ \S+)\s+krbtgt/.exec(listed.stdout)!.slice(1).map((t) => new Date(`20${t!.slice(6, 8)}-${t!.slice(0, 2)}-${t!.slice(3, 5)}T${t!.slice(9)}`).getTime())
      assert.strictEqual(end! - start!, 2 * 3600 * 1000)
      // MIT's kvno gets a service ticket with our TGT: the session key and ticket are intact
      const kvno = yield* mit("kvno", ["-c", cc, realm.servicePrincipal], realm.env)
      assert.strictEqual(kvno.code, 0, kvno.stderr)
      assert.include(kvno.stdout, `${realm.servicePrincipal}: kvno = 2`)
      // and our klist reads the cache MIT's kvno added to
      const ours = yield* sspi(["klist", "-c", cc], realm.env)
      assert.strictEqual(ours.code, 0, ours.stderr)
      assert.include(ours.stdout, realm.servicePrincipal)

      // keytab keys, as kinit -k -t
      const kt = yield* sspi(["kinit", "-k", "-t", realm.keytab, "-c", cc, realm.servicePrincipal], realm.env)
      assert.strictEqual(kt.code, 0, kt.stderr)
      const ktListed = yield* mit("klist", ["-c", cc], realm.env)
      assert.include(ktListed.stdout, `Default principal: ${realm.servicePrincipal}`)

      // SSPI_PASSWORD; a wrong one is SEC_E_LOGON_DENIED, never echoed
      const wrong = yield* sspi(["kinit", "-c", cc, realm.user], { ...realm.env, SSPI_PASSWORD: "s3cret-wrong" })
      assert.strictEqual(wrong.code, 1)
      assert.include(wrong.stderr, "SEC_E_LOGON_DENIED")
      assert.notInclude(wrong.stdout + wrong.stderr, "s3cret-wrong")
      const empty = yield* sspi(["kinit", "-c", cc, realm.user], realm.env)
      assert.strictEqual(empty.code, 1)
      assert.include(empty.stderr, "stdin is empty")

      // kdestroy: gone for MIT too; a second time names the file
      const destroyed = yield* sspi(["kdestroy", "-c", cc], realm.env)
      assert.strictEqual(destroyed.code, 0, destroyed.stderr)
      assert.isFalse(existsSync(`${realm.dir}/ours.cc`))
      const again = yield* sspi(["kdestroy", "-c", cc], realm.env)
      assert.strictEqual(again.code, 1)
      assert.include(again.stderr, `${realm.dir}/ours.cc: no such file`)
    })), 90_000)

  it.live.skipIf(!available)("sspi klist prints what MIT klist prints for MIT kinit's ccache and kadmin's keytab", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Realm.kinit(realm)
      for (const args of [["-e"], [], ["-f", "-e"]]) {
        const theirs = yield* mit("klist", args, realm.env)
        const ours = yield* sspi(["klist", ...args], realm.env)
        assert.strictEqual(ours.code, 0, ours.stderr)
        assert.strictEqual(ours.stdout, theirs.stdout, `klist ${args.join(" ")}`)
      }
      for (const args of [["-k", "-e"], ["-k", "-t", "-e"], ["-k"]]) {
        const theirs = yield* mit("klist", [...args, realm.keytab], realm.env)
        const ours = yield* sspi(["klist", ...args, realm.keytab], realm.env)
        assert.strictEqual(ours.code, 0, ours.stderr)
        assert.strictEqual(ours.stdout, theirs.stdout.replace(`FILE:${realm.keytab}`, `FILE:${realm.keytab}`), `klist ${args.join(" ")}`)
      }
      // a corrupt cache is an error naming the file; a flag clash is one line, exit 2
      writeFileSync(`${realm.dir}/garbage.cc`, "not a ccache")
      const corrupt = yield* sspi(["klist", "-c", `${realm.dir}/garbage.cc`], realm.env)
      assert.strictEqual(corrupt.code, 1)
      assert.include(corrupt.stderr, `${realm.dir}/garbage.cc: not a credential cache`)
      const clash = yield* sspi(["klist", "-k", "-c", "FILE:/tmp/x"], realm.env)
      assert.strictEqual(clash.code, 2)
      assert.strictEqual(clash.stderr.trim().split("\n").length, 1, clash.stderr)
      const badLife = yield* sspi(["kinit", "-l", "soon", realm.user], realm.env)
      assert.strictEqual(badLife.code, 2)
      assert.include(badLife.stderr, "-l soon: not a lifetime")
    })), 90_000)
})
