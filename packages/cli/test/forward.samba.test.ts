/**
 * `sspi serve --forward-to --s4u` (issue 13 item 4), the S4U route, against
 * the REAL Samba AD DC (Heimdal KDC, realm CORP.TEST): the service account
 * s4usvc (SPN HTTP/s4u.corp.test) is trusted for protocol transition
 * (`samba-tool delegation for-any-protocol`) and constrained delegation to
 * HTTP/web1.corp.test (`add-service`), the same fixtures as the kerberos
 * package's delegation.samba.test.ts, set idempotently. alice logs on to the
 * front end with `curl --negotiate` and delegates NOTHING; the front end
 * (s4usvc's keytab, exported by samba-tool) does S4U2Self for alice then
 * S4U2Proxy to HTTP/web1.corp.test, and the back-end (`sspi serve` with
 * WEB1$'s keys) answers `/whoami` as alice; the same for alice logging on
 * with NTLM (verified by the DC, `--dc --machine-account`). A back-end not
 * allowed → 502 with SEC_E_DELEGATION_POLICY. Without `--s4u`: 403, unless
 * alice delegates her TGT (`kinit -f`, `curl --delegation always`): then the
 * delegated-TGT route, and the back-end sees alice again.
 * Missing Samba: loud skip, or a failure under CI=true.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Command, isCI, Paths, SambaDc } from "@effect-sspi/interop-harness"
import { startServer } from "./support.ts"

const hasSamba = SambaDc.availableSync()
if (!hasSamba) {
  if (isCI()) throw new Error("forward.samba.test: Samba AD DC not available under CI=true")
  console.warn("forward.samba.test: Samba AD DC not available (install samba, run as root): SKIPPED")
}

const SVC = SambaDc.s4uService.name
const SVC_PASSWORD = SambaDc.s4uService.password

/** The s4usvc fixtures (the harness's), and its keytab (the account's keys under both names, the account first: S4U's client). */
const fixtures = (dc: SambaDc.SambaDc, dir: string) =>
  Effect.gen(function*() {
    yield* SambaDc.ensureS4uService(dc)
    const exported = join(dir, "exported.keytab")
    yield* SambaDc.sambaTool(dc, ["domain", "exportkeytab", exported, `--principal=${SVC}@${dc.realm}`])
    // an acceptor given no principal takes the keytab's first one: the SPN first, with the
    // account's keys (AES salted with the account's salt, which samba-tool does not export
    // under an SPN), then the account's own keys (S4U's client)
    const front = yield* keytabFor(dir, "front.keytab", `HTTP/s4u.corp.test@${dc.realm}`, exported, `${dc.realm}${SVC}`, SVC_PASSWORD)
    const back = yield* keytabFor(dir, "back.keytab", dc.web1.service, dc.web1.keytab, `${dc.realm}hostweb1.corp.test`, dc.web1.password)
    return { front, back }
  })

/** `name`'s AES256 and RC4 keys from the account's password and salt, then every entry of `rest` (kvno from it). */
const keytabFor = (dir: string, file: string, name: string, rest: string, salt: string, password: string) =>
  Effect.gen(function*() {
    const listed = yield* Command.run("/usr/bin/klist", ["-k", rest], { timeout: "10 seconds" })
    const kvno = /^\s*(\d+)\s+\S+@/m.exec(listed.stdout)?.[1]
    assert.isDefined(kvno, listed.stdout)
    const keytab = join(dir, file)
    const script = [
      `addent -password -p ${name} -k ${kvno} -e aes256-cts-hmac-sha1-96 -s ${salt}`,
      password,
      `addent -password -p ${name} -k ${kvno} -e arcfour-hmac`,
      password,
      `rkt ${rest}`,
      `wkt ${keytab}`,
      "quit"
    ]
    const ktutil = yield* Command.run("/usr/bin/ktutil", [], { input: `${script.join("\n")}\n`, timeout: "10 seconds" })
    assert.strictEqual(ktutil.code, 0, ktutil.stderr)
    return keytab
  })

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "sspi-cli-s4u-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** curl as alice (her own ccache, nothing delegated) to the front end named s4u.corp.test. */
const curl = (dc: SambaDc.SambaDc, ccache: string, url: string, extra: ReadonlyArray<string> = []) => {
  const port = new URL(url).port
  return Command.run(
    "/usr/bin/curl",
    ["-sS", "--negotiate", "-u", ":", ...extra, "--resolve", `s4u.corp.test:${port}:127.0.0.1`, "-w", "\n%{http_code}", "--max-time", "40", url.replace("127.0.0.1", "s4u.corp.test")],
    { env: { ...dc.env, KRB5CCNAME: `FILE:${ccache}` }, timeout: "50 seconds" }
  ).pipe(Effect.map((r) => {
    const lines = r.stdout.trimEnd().split("\n")
    return { code: r.code, stderr: r.stderr, status: Number(lines.at(-1)), body: lines.slice(0, -1).join("\n").trim() }
  }))
}

describe("sspi serve --forward-to --s4u (Samba AD DC)", () => {
  it.live.skipIf(!hasSamba)("alice delegates nothing (Kerberos, or NTLM verified by the DC) → S4U2Self + S4U2Proxy to HTTP/web1.corp.test → the back-end's /whoami is alice; a back-end not allowed → 502 SEC_E_DELEGATION_POLICY; without --s4u: 403, or with a delegated TGT 200 alice", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const dir = yield* tempDir
      const keytabs = yield* fixtures(dc, dir)
      const ccache = join(dir, "alice.ccache")
      yield* SambaDc.kinit(dc, ccache)
      const back = yield* startServer(["--keytab", keytabs.back], dc.env)
      const backend = `${back.url}/whoami`
      const forward = ["--keytab", keytabs.front, "--forward-to", backend, "--forward-spn", "HTTP/web1.corp.test"]

      const front = yield* startServer([...forward, "--s4u"], dc.env)
      const hop = yield* curl(dc, ccache, `${front.url}/forward`)
      assert.strictEqual(hop.code, 0, hop.stderr)
      assert.strictEqual(hop.status, 200, hop.body)
      const seen = JSON.parse(hop.body) as { principal: string; sid?: string }
      assert.strictEqual(seen.principal, dc.alice.principal)
      assert.strictEqual(seen.sid, dc.alice.sid, "the back-end's PAC is alice's")

      // a back-end the realm does not allow s4usvc to delegate to: the KDC's refusal, typed, as a 502
      const notAllowed = yield* startServer(["--keytab", keytabs.front, "--forward-to", backend, "--forward-spn", "host/dc1.corp.test", "--s4u"], dc.env)
      const policy = yield* curl(dc, ccache, `${notAllowed.url}/forward`)
      assert.strictEqual(policy.status, 502, policy.body)
      assert.include(policy.body, "SEC_E_DELEGATION_POLICY")
      assert.include(policy.body, "host/dc1.corp.test")

      // protocol transition for an NTLM logon (verified by the DC over Netlogon): CORP\\alice → S4U2Self for alice
      const ntlmFront = yield* startServer(
        [...forward, "--s4u", "--dc", "127.0.0.1", "--machine-account", `WEB1$@${dc.realm}`],
        { ...dc.env, SSPI_MACHINE_PASSWORD: dc.web1.password }
      )
      const ntlm = yield* Command.run(
        "/usr/bin/curl",
        ["-sS", "--ntlm", "-K", "-", "-w", "\n%{http_code}", "--max-time", "40", `${ntlmFront.url}/forward`],
        { env: { OPENSSL_CONF: Paths.opensslLegacyConf }, input: `user = "${dc.domain}\\\\alice:${dc.alice.password}"\n`, timeout: "50 seconds" }
      )
      const [ntlmBody, ntlmStatus] = ntlm.stdout.trimEnd().split("\n")
      assert.strictEqual(ntlmStatus, "200", ntlm.stdout + ntlm.stderr)
      assert.deepInclude(JSON.parse(ntlmBody!), { principal: dc.alice.principal, sid: dc.alice.sid })

      const noS4u = yield* startServer(forward, dc.env)
      const refused = yield* curl(dc, ccache, `${noS4u.url}/forward`)
      assert.strictEqual(refused.status, 403, refused.body)
      assert.include(refused.body, "NotDelegated")

      // the delegated-TGT route against the same DC: alice's forwardable TGT, delegated by curl
      // (--delegation always) to the front end without --s4u, which calls the back-end with it
      const forwardable = join(dir, "alice-forwardable.ccache")
      yield* SambaDc.kinit(dc, forwardable, { flags: ["-f"] })
      const tgtHop = yield* curl(dc, forwardable, `${noS4u.url}/forward`, ["--delegation", "always"])
      assert.strictEqual(tgtHop.status, 200, tgtHop.body)
      assert.deepInclude(JSON.parse(tgtHop.body), { principal: dc.alice.principal, sid: dc.alice.sid })
    })), 240_000)
})
