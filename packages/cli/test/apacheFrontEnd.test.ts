/**
 * The double hop with Apache as the FRONT END (issue 13 item 5): the real
 * MIT curl (`kinit -f`, `--negotiate --delegation always`) → Apache httpd +
 * mod_auth_gssapi, which writes the forwarded TGT into
 * `GssapiDelegCcacheDir` and names it in the request's `KRB5CCNAME`
 * (`GssapiDelegCcacheEnvVar`'s default) → a CGI shell script (mod_cgi, run
 * by httpd as `nobody`) that runs OUR client, `sspi get -u :`, with that
 * ccache → a second Apache + mod_auth_gssapi, the back end, whose CGI
 * echoes `REMOTE_USER`. The body that comes back through the front end
 * names alice, not Apache's service, and the back end's access log shows
 * one request, by alice.
 *
 * Without delegation (curl without `--delegation`) mod_auth_gssapi sets no
 * `KRB5CCNAME`; the CGI's client finds no ticket in the service's default
 * ccache and fails with the typed SEC_E_NO_CREDENTIALS, which the CGI
 * reports; the back end receives only the anonymous first request (401)
 * and no authenticated one, so nobody else's identity is used.
 * Missing peers: loud skip, or a failure under CI=true.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Apache, Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { launcher } from "./support.ts"

const available = requirePeersSync("apache", "krb5", "curl")
const port = Apache.testPort(4) // and port + 1 (slot 5)

/** A CGI shell script: a text/plain header, then `body` (shell). */
const cgi = (body: ReadonlyArray<string>) => ["#!/bin/sh", "printf 'Content-Type: text/plain\\r\\n\\r\\n'", ...body, ""].join("\n")

/**
 * An Apache + mod_auth_gssapi (krb5 only) for the realm's HTTP/localhost on
 * `at`, with `/cgi/NAME` running `scripts[NAME]` (given the server directory)
 * and an access log of `%u "%r" %>s` lines; `deleg` stores delegated TGTs.
 */
const apache = (realm: Realm.Realm, at: number, scripts: Readonly<Record<string, (dir: string) => string>>, deleg: boolean) =>
  Apache.start({
    port: at,
    serverName: "localhost",
    modules: ["alias", "cgi"],
    gssapi: (dir) => [
      "GssapiAllowedMech krb5",
      `GssapiCredStore keytab:${dir}/http.keytab`,
      ...(deleg ? [`GssapiDelegCcacheDir ${dir}/deleg`] : [])
    ],
    directives: (dir) => [`ScriptAlias /cgi/ ${dir}/cgi/`, `CustomLog ${dir}/access.log "%u \\"%r\\" %>s"`],
    files: (dir) => {
      for (const sub of ["deleg", "cgi", "home"]) {
        mkdirSync(join(dir, sub))
        // httpd and its CGIs run as nobody
        chmodSync(join(dir, sub), sub === "cgi" ? 0o755 : 0o777)
      }
      copyFileSync(realm.keytab, join(dir, "http.keytab"))
      chmodSync(join(dir, "http.keytab"), 0o644)
      // the realm's krb5.conf, but the service's default ccache is its own (empty): without delegation
      // there is no ticket to use, and certainly not the realm directory's
      const conf = readFileSync(realm.env["KRB5_CONFIG"]!, "utf8").replace(
        /default_ccache_name = .*/,
        `default_ccache_name = FILE:${dir}/home/service.ccache`
      )
      writeFileSync(join(dir, "krb5.conf"), conf, { mode: 0o644 })
      for (const [name, script] of Object.entries(scripts)) {
        writeFileSync(join(dir, "cgi", name), script(dir), { mode: 0o755 })
      }
    },
    env: (dir) => ({ KRB5_CONFIG: join(dir, "krb5.conf"), KRB5_KTNAME: `FILE:${dir}/http.keytab`, KRB5RCACHETYPE: "none" })
  })

/**
 * The CGI runs as `nobody`: it needs to reach the Node binary and the
 * repository's sources. A checkout under a private directory (a CI clone in
 * a `mktemp -d` folder, mode 0700) is not reachable, so every directory
 * above them that lacks it gets o+x (search, not read) for the test, and
 * its mode back afterwards.
 */
const reachableByNobody = (paths: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const changed = new Map<string, number>()
      for (const path of paths) {
        for (let dir = dirname(path); ; dir = dirname(dir)) {
          const mode = statSync(dir).mode & 0o7777
          if ((mode & 0o001) === 0 && !changed.has(dir)) {
            changed.set(dir, mode)
            chmodSync(dir, mode | 0o001)
          }
          if (dir === dirname(dir)) break
        }
      }
      return changed
    }),
    (changed) => Effect.sync(() => changed.forEach((mode, dir) => chmodSync(dir, mode)))
  )

/** curl's own ccache (root's): neither Apache can read it, so the back end can only see alice through delegation. */
const curlEnv = (realm: Realm.Realm) => ({ ...realm.env, KRB5CCNAME: `FILE:${realm.dir}/curl.ccache` })

const curl = (realm: Realm.Realm, url: string, delegation: boolean) =>
  Command.run(
    "/usr/bin/curl",
    ["-sS", "--negotiate", "-u", ":", ...(delegation ? ["--delegation", "always"] : []), "-w", "%{http_code}", "--max-time", "60", url],
    { env: curlEnv(realm), timeout: "70 seconds" }
  ).pipe(Effect.map((r) => ({ code: r.code, stderr: r.stderr, status: Number(r.stdout.slice(-3)), body: r.stdout.slice(0, -3) })))

/** The back end's access log lines so far. */
const accessLog = (dir: string) => readFileSync(join(dir, "access.log"), "utf8").split("\n").filter((l) => l !== "")

describe("Apache mod_auth_gssapi as the front end of a double hop, our client in its CGI", () => {
  it.live.skipIf(!available)(
    "curl --delegation always → Apache (GssapiDelegCcacheDir, KRB5CCNAME) → CGI runs sspi get -u : → back-end Apache sees alice; without delegation: SEC_E_NO_CREDENTIALS, no authenticated call to the back end",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const realm = yield* Realm.start()
        yield* reachableByNobody([process.execPath, realpathSync(process.execPath), realpathSync(launcher)])
        const back = yield* apache(realm, port + 1, {
          whoami: () => cgi([`echo "back end sees REMOTE_USER=$REMOTE_USER AUTH_TYPE=$AUTH_TYPE"`])
        }, false)
        const backUrl = `http://localhost:${port + 1}/cgi/whoami`
        const front = yield* apache(realm, port, {
          hop: (dir) =>
            cgi([
              `echo "front end: REMOTE_USER=$REMOTE_USER KRB5CCNAME=\${KRB5CCNAME:-unset}"`,
              // our client, on the Node that runs this test (the registry's Node 24), from the sources;
              // KRB5CCNAME is whatever mod_auth_gssapi set for this request (or nothing)
              `HOME=${dir}/home TMPDIR=${dir}/home KRB5_CONFIG=${dir}/krb5.conf NO_COLOR=1 \\`,
              `  ${process.execPath} --conditions=@effect-sspi/source ${launcher} get --fail -u : ${backUrl} 2>&1`,
              `echo "sspi get exit $?"`
            ])
        }, true)
        const url = `http://localhost:${port}/cgi/hop`

        const kinit = yield* Command.run("/usr/bin/kinit", ["-f", realm.principal], {
          env: curlEnv(realm),
          input: `${realm.password}\n`,
          timeout: "15 seconds"
        })
        assert.strictEqual(kinit.code, 0, kinit.stderr)

        const hop = yield* curl(realm, url, true)
        assert.strictEqual(hop.code, 0, hop.stderr)
        assert.strictEqual(hop.status, 200, hop.body)
        const deleg = join(front.dir, "deleg", realm.principal)
        assert.strictEqual(
          hop.body,
          [
            `front end: REMOTE_USER=${realm.principal} KRB5CCNAME=FILE:${deleg}`,
            `back end sees REMOTE_USER=${realm.principal} AUTH_TYPE=Negotiate`,
            "sspi get exit 0",
            ""
          ].join("\n")
        )
        assert.deepStrictEqual(readdirSync(join(front.dir, "deleg")), [realm.principal], "mod_auth_gssapi stored the forwarded TGT")
        // the back end was called once, by alice (her service ticket, got with the delegated TGT), never as HTTP/localhost
        const calls = accessLog(back.dir).filter((l) => !l.startsWith("- "))
        assert.deepStrictEqual(calls, [`${realm.principal} "GET /cgi/whoami HTTP/1.1" 200`])
        const before = accessLog(back.dir).length

        // no delegation: no KRB5CCNAME, the client has no ticket: the typed error, reported by the CGI
        const none = yield* curl(realm, url, false)
        assert.strictEqual(none.code, 0, none.stderr)
        assert.strictEqual(none.status, 200, none.body)
        assert.strictEqual(
          none.body,
          [
            `front end: REMOTE_USER=${realm.principal} KRB5CCNAME=unset`,
            "sspi: no usable Kerberos tickets in KRB5CCNAME (run kinit, or give -u USER@REALM): no usable credentials: " +
            "SEC_E_NO_CREDENTIALS (0x8009030E) — cannot read the credential cache " +
            `${front.dir}/home/service.ccache: ENOENT (no such file or directory)`,
            "sspi get exit 67",
            ""
          ].join("\n")
        )
        // our client asks without credentials first (as curl: the 401 names the schemes), then has none to
        // offer: the back end saw one anonymous request and no authenticated one
        assert.deepStrictEqual(accessLog(back.dir).slice(before), [`- "GET /cgi/whoami HTTP/1.1" 401`])
      })),
    180_000
  )
})
