/**
 * `sspi serve` start-up and process options: `--workers N` over one port
 * with the state in Redis (an NTLM handshake whose legs reach different
 * workers finishes; SIGTERM stops every worker), the one-line refusals
 * (`--workers 0`, `--redis` without SSPI_HANDSHAKE_KEY, Redis unreachable,
 * the port in use, a bad keytab) and NTLM_USER_FILE instead of `--users`.
 * `--workers N` without Redis is serveWorkers.test.ts.
 */
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { Agent, createServer } from "node:http"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { RedisServer } from "@effect-sspi/interop-harness"
import { whoamiOf } from "../src/internal/serve/whoami.ts"
import { children, running, startCluster } from "./clusterServer.ts"
import * as Clients from "./proxyClients.ts"
import { sspi, startServer } from "./support.ts"

const available = RedisServer.requireSync()

const usersFile = Clients.usersFile("serve")

const key = randomBytes(32).toString("hex")

/** One line on stderr, no stack trace. */
const oneLine = (stderr: string) => {
  assert.strictEqual(stderr.trim().split("\n").length, 1, stderr)
  assert.notMatch(stderr, /\n\s+at /)
}

describe("sspi serve: workers, Redis, start-up failures", () => {
  it.live.skipIf(!available)("--workers 2 --redis: NTLM legs on different connections (workers) finish; a killed worker is replaced; SIGTERM stops every worker", () =>
    Effect.scoped(Effect.gen(function*() {
      const redis = yield* RedisServer.start()
      const { file } = yield* usersFile
      const server = yield* startCluster(2, ["--users", file, "--redis", redis.url], { SSPI_HANDSHAKE_KEY: key })
      const url = server.url
      assert.include(server.stdout(), "shared state in Redis at redis://")
      const workers = children(server.pid)
      assert.strictEqual(workers.length, 2, "two worker processes")
      const runtime = yield* Clients.clientRuntime
      // no keep-alive: every request is a new connection, which the primary hands to the workers in turn
      const outcomes = yield* Effect.forEach(Array.from({ length: 10 }), () => Clients.ours(runtime, `${url}/`, new Agent({ keepAlive: false })))
      assert.deepStrictEqual(outcomes, Array.from({ length: 10 }, () => ({ status: 200, body: Clients.hello })))

      // a worker that dies is replaced, and the server keeps answering
      process.kill(workers[0]!, "SIGKILL")
      const replaced = yield* Effect.suspend(() => {
        const now = children(server.pid)
        return now.length === 2 && !now.includes(workers[0]!) ? Effect.succeed(now) : Effect.fail(new Error(`workers: ${now}`))
      }).pipe(Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 150 }))
      assert.match(server.stderr(), new RegExp(`^sspi: worker ${workers[0]} stopped \\(SIGKILL\\); starting another\n$`))
      server.clearStderr()
      // the new worker listens once it has loaded: until then the primary hands connections to the other one
      const again = yield* Effect.forEach(Array.from({ length: 4 }), () => Clients.ours(runtime, `${url}/`, new Agent({ keepAlive: false })))
      assert.deepStrictEqual(again.map((o) => o.status), [200, 200, 200, 200])

      const code = yield* server.stop("SIGTERM")
      assert.strictEqual(code, 130, "interrupted, as runMain reports a signal")
      for (const pid of replaced) assert.isFalse(running(pid), `worker ${pid} exited`)
      assert.strictEqual(server.stderr(), "")
    })), 150_000)

  it.live("one-line refusals: --workers 0, --redis without SSPI_HANDSHAKE_KEY or unreachable, the port in use, a bad keytab", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dir, file } = yield* usersFile
      const env = { SSPI_HANDSHAKE_KEY: "" }

      const workers = yield* sspi(["serve", "--users", file, "--workers", "0"], env)
      assert.strictEqual(workers.code, 2)
      oneLine(workers.stderr)
      assert.match(workers.stderr, /^sspi: --workers must be at least 1/)

      const principalWithoutKeytab = yield* sspi(["serve", "--users", file, "--acceptor-principal", "any"], env)
      assert.strictEqual(principalWithoutKeytab.code, 2)
      oneLine(principalWithoutKeytab.stderr)
      assert.match(principalWithoutKeytab.stderr, /^sspi: --acceptor-principal needs --keytab FILE/)

      const noKey = yield* sspi(["serve", "--users", file, "--redis", "redis://127.0.0.1:1"], env)
      assert.strictEqual(noKey.code, 2)
      oneLine(noKey.stderr)
      assert.match(noKey.stderr, /^sspi: --redis needs SSPI_HANDSHAKE_KEY: 32 bytes/)

      const refused = yield* sspi(["serve", "--users", file, "--redis", "redis://127.0.0.1:1"], { SSPI_HANDSHAKE_KEY: key })
      assert.strictEqual(refused.code, 1)
      oneLine(refused.stderr)
      assert.strictEqual(refused.stderr, "sspi: --redis redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n")

      const busy = createServer()
      const port = yield* Effect.acquireRelease(
        Effect.callback<number>((resume) => {
          busy.listen(0, "127.0.0.1", () => resume(Effect.succeed((busy.address() as { port: number }).port)))
        }),
        () => Effect.sync(() => busy.close())
      )
      const inUse = yield* sspi(["serve", "--users", file, "--port", String(port)])
      assert.strictEqual(inUse.code, 1)
      assert.strictEqual(inUse.stderr, `sspi: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`)

      writeFileSync(join(dir, "bad.keytab"), randomBytes(64))
      const keytab = yield* sspi(["serve", "--keytab", join(dir, "bad.keytab")])
      assert.strictEqual(keytab.code, 1)
      oneLine(keytab.stderr)
      assert.include(keytab.stderr, `--keytab ${join(dir, "bad.keytab")}: SEC_E_UNKNOWN_CREDENTIALS`)
    })), 120_000)

  it.live("without --users: NTLM_USER_FILE (effect Config); GET /whoami JSON", () =>
    Effect.scoped(Effect.gen(function*() {
      const { file } = yield* usersFile
      const server = yield* startServer([], { NTLM_USER_FILE: file })
      const runtime = yield* Clients.clientRuntime
      const outcome = yield* Clients.ours(runtime, `${server.url}/`, Clients.session())
      assert.deepStrictEqual(outcome, { status: 200, body: Clients.hello })
      // GET /whoami: JSON; without a logon identity (a local user file) no SID, groups, UPN or domain
      const whoami = yield* Clients.ours(runtime, `${server.url}/whoami`, Clients.session())
      assert.strictEqual(whoami.status, 200)
      assert.deepStrictEqual(JSON.parse(whoami.body), { principal: "EXAMPLE\\alice", package: "NTLM", scheme: "NTLM" })
      const none = yield* sspi(["serve"], { NTLM_USER_FILE: "" })
      assert.strictEqual(none.code, 2)
      assert.match(none.stderr, /^sspi: --users FILE \(or NTLM_USER_FILE/)
    })), 60_000)

  it("/whoami from a logon identity: SID, group SIDs, UPN, DNS domain (else the NetBIOS one)", () => {
    const logon = {
      userSid: "S-1-5-21-1-2-3-1104",
      primaryGroupSid: "S-1-5-21-1-2-3-513",
      groupSids: [{ sid: "S-1-5-21-1-2-3-513", attributes: 7 }, { sid: "S-1-5-21-1-2-3-1105", attributes: 7 }],
      upn: "alice@corp.test",
      dnsDomain: "CORP.TEST",
      logonDomain: "CORP"
    }
    const base = { name: "CORP\\alice", scheme: "Negotiate", packageName: "Kerberos", attributes: 0 }
    assert.deepStrictEqual(whoamiOf({ ...base, logon }), {
      principal: "CORP\\alice",
      package: "Kerberos",
      scheme: "Negotiate",
      sid: "S-1-5-21-1-2-3-1104",
      groups: [{ sid: "S-1-5-21-1-2-3-513" }, { sid: "S-1-5-21-1-2-3-1105" }],
      upn: "alice@corp.test",
      domain: "CORP.TEST"
    })
    const { upn: _, dnsDomain: __, ...netbios } = logon
    assert.deepStrictEqual(whoamiOf({ ...base, logon: netbios }).domain, "CORP")
    assert.deepStrictEqual(Object.keys(whoamiOf(base)), ["principal", "package", "scheme"])
  })
})
