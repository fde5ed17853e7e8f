/**
 * `sspi serve --workers 2` without Redis (issue 12 item 4): the primary
 * process holds the replay cache and the handshake store of both workers and
 * answers them over the cluster IPC channel. Real processes, real peers: an
 * MIT realm's tickets (our Negotiate initiator), our NTLM initiator and
 * python3-ntlm-auth. With `-v` each worker prints its legs with its pid, which
 * shows which worker took which connection.
 *
 * Proves: (a) one AP-REQ presented on two connections that reach different
 * workers is accepted once and refused as a replay at the other worker (a
 * cache per worker accepted it twice); (b) NTLM handshakes whose NEGOTIATE
 * and AUTHENTICATE reach different workers finish (a store per worker could
 * not), alone and under concurrency; a worker killed and replaced: the new
 * one refuses the replay of an AP-REQ the dead one accepted (the state lives
 * in the primary); SIGTERM to the primary, with a handshake still pending,
 * stops both workers and the primary cleanly; a replacement that cannot
 * start is retried after a doubling delay (100 ms, 200 ms, …), not re-forked
 * as fast as it fails. Behind nginx (which shares its
 * upstream keep-alive connections between clients), NTLM handshakes of our
 * initiator, python3-ntlm-auth and curl all finish.
 */
import { rmSync } from "node:fs"
import { Agent } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { Drivers, Nginx, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { children, type Leg, running, startCluster } from "./clusterServer.ts"
import { apReq, ntlmNegotiate, present } from "./tokens.ts"
import * as Clients from "./proxyClients.ts"

const available = requirePeersSync("krb5", "ntlm")
const proxied = requirePeersSync("curl", "ntlm") && Nginx.requireSync()

const usersFile = Clients.usersFile("workers")

/** A new connection for every request: the primary hands each to the next free worker. */
const fresh = () => new Agent({ keepAlive: false })

describe("sspi serve --workers 2 without Redis: shared state in the primary process", () => {
  it.live.skipIf(!available)("a Kerberos AP-REQ replayed to the other worker is refused; NTLM legs on different workers finish; SIGTERM stops everything", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Realm.kinit(realm)
      const { file } = yield* usersFile
      const server = yield* startCluster(2, ["--users", file, "--keytab", realm.keytab, "-v"], realm.env)
      assert.match(server.stdout(), /^listening on http:\/\/127\.0\.0\.1:\d+ \(Negotiate \(Kerberos, NTLM\), NTLM, shared state in the primary process; 2 workers\); Ctrl-C stops$/m)
      const workers = children(server.pid)
      assert.strictEqual(workers.length, 2, "two worker processes")
      let printed = 0
      /** The legs printed by the next `count` legs' requests. */
      const nextLegs = (count: number) =>
        Effect.map(server.legs(printed + count), (legs): ReadonlyArray<Leg> => {
          const mine = legs.slice(printed, printed + count)
          printed += count
          return mine
        })

      // (a) the same AP-REQ on two connections, until the two reach different workers
      // (the primary hands connections out in turn: the first pair normally does)
      let crossed = 0
      for (let attempt = 0; attempt < 6 && crossed === 0; attempt++) {
        const token = yield* apReq(realm)
        const statuses = [yield* present(server.url, token), yield* present(server.url, token)]
        const [accepted, replayed] = yield* nextLegs(2)
        assert.deepStrictEqual(statuses, [200, 401], "accepted once, then refused as a replay")
        assert.strictEqual(accepted!.status, "SEC_E_OK")
        assert.notStrictEqual(replayed!.status, "SEC_E_OK")
        assert.include(workers, accepted!.pid)
        if (accepted!.pid !== replayed!.pid) crossed++
      }
      assert.strictEqual(crossed, 1, "an AP-REQ reached the other worker and was refused there")

      // (b) NTLM, every leg on a new connection: NEGOTIATE and AUTHENTICATE on different workers
      const runtime = yield* Clients.clientRuntime
      const ours = yield* Effect.forEach(Array.from({ length: 10 }), () => Clients.ours(runtime, `${server.url}/`, fresh()))
      assert.deepStrictEqual(ours, Array.from({ length: 10 }, () => ({ status: 200, body: Clients.hello })))
      const python = yield* Effect.forEach(Array.from({ length: 4 }), () => Clients.python(`${server.url}/`, fresh()))
      assert.deepStrictEqual(python, Array.from({ length: 4 }, () => ({ status: 200, body: Clients.hello })))
      const legs = yield* nextLegs(28)
      const split = Array.from({ length: 14 }, (_, i) => [legs[2 * i]!, legs[2 * i + 1]!] as const)
      assert.deepStrictEqual(
        split.map(([challenge, done]) => [challenge.packageName, challenge.status, done.status]),
        split.map(() => ["NTLM", "SEC_I_CONTINUE_NEEDED", "SEC_E_OK"])
      )
      const across = split.filter(([challenge, done]) => challenge.pid !== done.pid).length
      console.log(`sspi serve --workers 2 (shared state in the primary): ${across} of 14 NTLM handshakes had their two legs on different workers`)
      assert.isAbove(across, 0, "some handshakes were finished by the worker that did not start them")

      // concurrently: 8 clients × 5 handshakes, every leg on a new connection
      const concurrent = yield* Effect.all(
        Array.from({ length: 8 }, () => Effect.forEach(Array.from({ length: 5 }), () => Clients.ours(runtime, `${server.url}/`, fresh()))),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(concurrent.flat().map((o) => o.status), Array.from({ length: 40 }, () => 200))
      yield* nextLegs(80)

      // a worker that dies is replaced; the new one reaches the same state: an AP-REQ the dead one accepted is a replay there
      const token = yield* apReq(realm)
      assert.strictEqual(yield* present(server.url, token), 200)
      const [acceptedBy] = yield* nextLegs(1)
      process.kill(acceptedBy!.pid, "SIGKILL")
      const replaced = yield* Effect.suspend(() => {
        const now = children(server.pid)
        return now.length === 2 && !now.includes(acceptedBy!.pid) ? Effect.succeed(now) : Effect.fail(new Error(`workers: ${now}`))
      }).pipe(Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 150 }))
      const newcomer = replaced.find((pid) => !workers.includes(pid))!
      // until the new worker listens the primary hands connections to the other one: present until it reaches the new one
      let reachedNew = false
      for (let attempt = 0; attempt < 40 && !reachedNew; attempt++) {
        assert.strictEqual(yield* present(server.url, token), 401, "a replay, whichever worker it reaches")
        const [leg] = yield* nextLegs(1)
        reachedNew = leg!.pid === newcomer
        if (!reachedNew) yield* Effect.sleep("100 millis")
      }
      assert.isTrue(reachedNew, "the replacement worker refused the replay too")
      assert.match(server.stderr(), new RegExp(`^sspi: worker ${acceptedBy!.pid} stopped \\(SIGKILL\\); starting another\n$`))
      server.clearStderr()

      // SIGTERM with a handshake pending in the primary's store (a NEGOTIATE answered, no AUTHENTICATE)
      const pending = yield* Clients.get(`${server.url}/`, fresh(), { authorization: `NTLM ${Drivers.toBase64(yield* ntlmNegotiate(runtime))}` })
      assert.strictEqual(pending.status, 401)
      assert.match(pending.authenticate ?? "", /^NTLM \S+/, "a CHALLENGE: the handshake is pending")
      const code = yield* server.stop("SIGTERM")
      assert.strictEqual(code, 130, "interrupted, as runMain reports a signal")
      for (const pid of [...workers, ...replaced]) assert.isFalse(running(pid), `worker ${pid} exited`)
      assert.strictEqual(server.stderr(), "", "no error, no stack trace")
    })), 180_000)

  it.live.skipIf(!available)("a replacement that cannot start (its users file gone) is retried after a doubling delay, not in a fork loop; SIGTERM stops it all", () =>
    Effect.scoped(Effect.gen(function*() {
      const { file } = yield* usersFile
      const server = yield* startCluster(2, ["--users", file])
      const workers = children(server.pid)
      assert.strictEqual(workers.length, 2)
      rmSync(file)
      process.kill(workers[0]!, "SIGKILL")
      yield* Effect.sleep("4 seconds")
      const lines = server.stderr().split("\n").filter((l) => l.startsWith("sspi: worker "))
      assert.match(lines[0]!, new RegExp(`^sspi: worker ${workers[0]} stopped \\(SIGKILL\\); starting another$`))
      // each replacement fails at start-up (no users file): 100, 200, 400, 800, 1600 ms … apart
      const delays = lines.slice(1).map((l) => /another in (\d+) ms$/.exec(l)?.[1])
      assert.isAtLeast(delays.length, 1, server.stderr())
      assert.isAtMost(delays.length, 6, `a fork loop: ${lines.length} restarts in 4 s`)
      assert.deepStrictEqual(delays, [100, 200, 400, 800, 1600, 3200].slice(0, delays.length).map(String))
      assert.isTrue(running(workers[1]!), "the other worker still serves")
      const others = children(server.pid)
      assert.strictEqual(yield* server.stop("SIGTERM"), 130)
      for (const pid of [...workers, ...others]) assert.isFalse(running(pid), `worker ${pid} exited`)
    })), 120_000)

  it.live.skipIf(!proxied)("behind nginx (upstream keep-alive connections shared between clients): NTLM handshakes of real clients all finish; SIGINT stops everything", () =>
    Effect.scoped(Effect.gen(function*() {
      const { file } = yield* usersFile
      // behind a proxy that pools upstream connections, connections are not kept authenticated (see the flag)
      const server = yield* startCluster(2, ["--users", file, "--authenticated-connections", "none"])
      const proxy = yield* Nginx.start({ upstreams: [server.url.replace(/^http:\/\//, "")] })
      const url = `${proxy.url}/`
      const runtime = yield* Clients.clientRuntime
      // 6 sessions of our initiator (10 handshakes each), 2 of python3-ntlm-auth and 2 of curl (5 each), concurrently
      const sessions = [
        ...Array.from({ length: 6 }, () => {
          const agent = Clients.session()
          return Effect.forEach(Array.from({ length: 10 }), () => Clients.ours(runtime, url, agent))
        }),
        ...Array.from({ length: 2 }, () => {
          const agent = Clients.session()
          return Effect.forEach(Array.from({ length: 5 }), () => Clients.python(url, agent))
        }),
        ...Array.from({ length: 2 }, () => Effect.forEach(Array.from({ length: 5 }), () => Clients.curl(url)))
      ]
      const outcomes = (yield* Effect.all(sessions, { concurrency: "unbounded" })).flat()
      const failed = outcomes.filter((o) => o.status !== 200 || o.body !== Clients.hello)
      console.log(`nginx + sspi serve --workers 2 (shared state in the primary): ${outcomes.length - failed.length} of ${outcomes.length} NTLM handshakes succeeded`)
      assert.strictEqual(outcomes.length, 80)
      assert.deepStrictEqual(failed.slice(0, 3), [], `${failed.length} of 80 failed`)
      // SIGINT (Ctrl-C) to the primary alone stops it and both workers
      const workers = children(server.pid)
      assert.strictEqual(yield* server.stop("SIGINT"), 130)
      for (const pid of workers) assert.isFalse(running(pid), `worker ${pid} exited`)
      assert.strictEqual(server.stderr(), "")
    })), 120_000)
})
