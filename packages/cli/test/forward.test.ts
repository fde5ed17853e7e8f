/**
 * `sspi serve --forward-to URL` (issue 13 item 4), the delegated-TGT route,
 * against a throwaway MIT realm with the REAL curl and kinit:
 * `kinit -f` + `curl --negotiate --delegation always` → `sspi serve
 * --forward-to` → a second `sspi serve` (the back-end, same keytab) whose
 * `/whoami` shows alice. Without delegation (curl forwards nothing, or the
 * TGT is not forwardable) the front end answers 403 with the reason and the
 * back-end gets no request at all (its `-v` log prints no handshake leg).
 * With `--s4u`, the delegated TGT still wins; without one the S4U route
 * (S4U2Self, then S4U2Proxy, which MIT's DB2 realm grants no one) answers
 * 502 SEC_E_DELEGATION_POLICY: both routes go through the one SspiClient call.
 * Missing peers: loud skip, or a failure under CI=true.
 */
import { spawn } from "node:child_process"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { nodeArgs, sspi } from "./support.ts"

const available = requirePeersSync("krb5", "curl")

/** `sspi serve --port 0 ARGS` with its whole stdout kept (the `-v` legs); killed with the scope. */
const serve = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly stdout: () => string; readonly kill: () => void }, Error>((resume) => {
      const child = spawn(process.execPath, [...nodeArgs, "serve", "--port", "0", ...args], {
        env: { ...process.env, ...env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      let err = ""
      let started = false
      child.stderr.on("data", (c) => (err += c))
      child.stdout.on("data", (c) => {
        out += c
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
        if (m !== null && !started) {
          started = true
          resume(Effect.succeed({ url: `http://localhost:${m[1]}`, stdout: () => out, kill: () => child.kill("SIGTERM") }))
        }
      })
      child.on("close", () => {
        if (!started) resume(Effect.fail(new Error(`serve exited: ${err}`)))
      })
    }),
    (server) => Effect.sync(() => server.kill())
  )

/** curl's own ccache: the servers' environment has no TGT of alice, so the back-end can only see her through delegation. */
const curlEnv = (realm: Realm.Realm) => ({ ...realm.env, KRB5CCNAME: `${realm.dir}/curl.ccache` })

const kinit = (realm: Realm.Realm, flag: "-f" | "-F") =>
  Command.run("/usr/bin/kinit", [flag, realm.principal], { env: curlEnv(realm), input: `${realm.password}\n`, timeout: "15 seconds" })

const curl = (realm: Realm.Realm, url: string, delegation: boolean) =>
  Command.run(
    "/usr/bin/curl",
    ["-sS", "--negotiate", "-u", ":", ...(delegation ? ["--delegation", "always"] : []), "-w", "\n%{http_code}", "--max-time", "30", url],
    { env: curlEnv(realm), timeout: "40 seconds" }
  ).pipe(Effect.map((r) => {
    const lines = r.stdout.trimEnd().split("\n")
    return { code: r.code, stderr: r.stderr, status: Number(lines.at(-1)), body: lines.slice(0, -1).join("\n") }
  }))

/** The back-end's handshake legs so far. */
const legs = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("server ")).length

describe("sspi serve --forward-to (MIT realm)", () => {
  it.live.skipIf(!available)(
    "curl --delegation always → serve --forward-to → back-end /whoami shows alice; no delegation or a non-forwardable TGT → 403 with the reason, back-end never called",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const realm = yield* Realm.start()
        const back = yield* serve(["--keytab", realm.keytab, "-v"], realm.env)
        const front = yield* serve(["--keytab", realm.keytab, "--forward-to", `${back.url}/whoami`], realm.env)
        assert.include(front.stdout(), `/forward calls ${back.url}/whoami as the user (delegated TGT)`)
        const url = `${front.url}/forward`

        const forwardable = yield* kinit(realm, "-f")
        assert.strictEqual(forwardable.code, 0, forwardable.stderr)
        const hop = yield* curl(realm, url, true)
        assert.strictEqual(hop.code, 0, hop.stderr)
        assert.strictEqual(hop.status, 200, hop.body)
        const seen = JSON.parse(hop.body) as { principal: string; scheme: string }
        assert.strictEqual(seen.principal, realm.principal)
        assert.strictEqual(seen.scheme, "Negotiate")
        const afterHop = legs(back.stdout())
        assert.isAbove(afterHop, 0, "the back-end authenticated the forwarded call")

        // curl delegates nothing: 403 naming why, and the back-end gets no request
        const none = yield* curl(realm, url, false)
        assert.strictEqual(none.status, 403)
        assert.include(none.body, `cannot act for ${realm.principal}: NotDelegated`)
        assert.include(none.body, "never calls the back-end as itself")
        // a TGT that is not forwardable: nothing to delegate either
        const notForwardable = yield* kinit(realm, "-F")
        assert.strictEqual(notForwardable.code, 0, notForwardable.stderr)
        const refused = yield* curl(realm, url, true)
        assert.strictEqual(refused.status, 403)
        assert.include(refused.body, "NotDelegated")
        // other paths are still the whoami pages
        const plain = yield* curl(realm, `${front.url}/`, false)
        assert.strictEqual(plain.body.trim(), `hello ${realm.principal} (Negotiate)`)
        yield* Effect.sleep("300 millis")
        assert.strictEqual(legs(back.stdout()), afterHop, "the back-end was called only on the delegated request")
      })),
    120_000
  )

  it.live.skipIf(!available)(
    "--s4u: a delegated TGT still wins (200 alice); without one, S4U2Self then S4U2Proxy, which MIT's DB2 realm allows no one → 502 SEC_E_DELEGATION_POLICY naming HTTP/localhost, back-end never called",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const realm = yield* Realm.start()
        const back = yield* serve(["--keytab", realm.keytab, "-v"], realm.env)
        const front = yield* serve(["--keytab", realm.keytab, "--forward-to", `${back.url}/whoami`, "--s4u"], realm.env)
        const url = `${front.url}/forward`
        const forwardable = yield* kinit(realm, "-f")
        assert.strictEqual(forwardable.code, 0, forwardable.stderr)

        const delegated = yield* curl(realm, url, true)
        assert.strictEqual(delegated.status, 200, delegated.body)
        assert.strictEqual((JSON.parse(delegated.body) as { principal: string }).principal, realm.principal)
        const afterHop = legs(back.stdout())

        // nothing delegated: the S4U route, through the same SspiClient call; the KDC refuses S4U2Proxy
        const s4u = yield* curl(realm, url, false)
        assert.strictEqual(s4u.status, 502, s4u.body)
        assert.include(s4u.body, "SEC_E_DELEGATION_POLICY")
        assert.include(s4u.body, `to delegate to HTTP/localhost@${realm.realm}`)
        yield* Effect.sleep("300 millis")
        assert.strictEqual(legs(back.stdout()), afterHop, "the refused S4U request never reached the back-end")
      })),
    120_000
  )

  it.live("usage: --s4u needs --forward-to and --keytab; --forward-to needs a URL", () =>
    Effect.gen(function*() {
      const noForward = yield* sspi(["serve", "--users", "/dev/null", "--s4u"])
      assert.strictEqual(noForward.code, 2)
      assert.strictEqual(noForward.stderr, "sspi: --s4u needs --forward-to URL and --keytab FILE (the service's keys)\n")
      const notUrl = yield* sspi(["serve", "--users", "/dev/null", "--forward-to", "backend"])
      assert.strictEqual(notUrl.code, 2)
      assert.strictEqual(notUrl.stderr, "sspi: --forward-to backend: not a URL\n")
    }), 60_000)
})
