/**
 * HTTP: authenticated requests/s of our server (effect's HTTP server +
 * `SspiServer`, packages/bench/src/httpServer.ts) against Apache httpd 2.4
 * (event MPM) + mod_auth_gssapi (MIT Kerberos; gss-ntlmssp for NTLM), with
 * `GssapiConnectionBound On`, side by side in one run: every server pinned to
 * CPU 0, the driver (httpDriver.ts, the same for all) pinned to CPU 1; rounds
 * interleaved (ours, Apache, Apache, ours, …) after a warm-up; median and
 * range of the rounds. Then `sspi serve` with 2 workers against 1, with
 * `--redis` and without (shared state in the primary over IPC); workers
 * unpinned, driver on CPU 1.
 *
 * BENCH_HTTP_ROUNDS (default 5) and BENCH_HTTP_MS (default 1000) set the
 * rounds; the whole part runs in about 3 minutes. BENCH_HTTP_ONLY (a regular
 * expression) keeps the comparisons whose label matches, the printed one
 * ("Kerberos handshake (1 leg), 16 clients") or the internal one ("ours
 * kerberos Apache kerberos 16"); BENCH_HTTP_PROFILE=DIR
 * runs our server with `--cpu-prof` into DIR.
 */
import type { ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Scope } from "effect"
import { peersAvailableSync, Realm, RedisServer } from "@effect-sspi/interop-harness"
import type { Round, RoundResult } from "./httpDriver.ts"
import { apacheKerberos, apacheNtlm, cpuMsOf, freePort, spawnNode, waitForLine } from "./httpProcesses.ts"

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const sspiBin = fileURLToPath(new URL("../../cli/bin/sspi.js", import.meta.url))
const rounds = Number(process.env["BENCH_HTTP_ROUNDS"] ?? 5)
const roundMs = Number(process.env["BENCH_HTTP_MS"] ?? 1000)
const profileDir = process.env["BENCH_HTTP_PROFILE"]
const only = new RegExp(process.env["BENCH_HTTP_ONLY"] ?? "")

/** A server under test: where it listens and how to find its processes (for their CPU time). */
interface Target {
  readonly name: string
  readonly port: number
  readonly authPath: string
  readonly publicPath: string
  readonly cpuNeedle: string
}

/** Median, min and max of rounds; the server's and the driver's CPU. */
interface Measured {
  readonly median: number
  readonly min: number
  readonly max: number
  /** Server CPU per request, ms (all its processes). */
  readonly serverCpuMs: number
  /** Driver CPU / wall time (1 = its whole core). */
  readonly driverLoad: number
  readonly failures: number
  readonly firstFailure: string | undefined
}

const ask = (driver: ChildProcess, round: Round): Effect.Effect<RoundResult, Error> =>
  Effect.callback<RoundResult, Error>((resume) => {
    driver.once("message", (m: RoundResult | { error: string }) =>
      resume("error" in m ? Effect.fail(new Error(m.error)) : Effect.succeed(m)))
    driver.send(round)
  })

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/**
 * Interleaved rounds at one concurrency of each (target, mode) pair; one
 * Measured per pair. Pairs measured together see the same machine load, so
 * their ratios hold even when the absolute figures move.
 */
const compare = (
  driver: ChildProcess,
  runs: ReadonlyArray<readonly [Target, Round["mode"]]>,
  concurrency: number,
  label: string
): Effect.Effect<ReadonlyArray<Measured>, Error> =>
  Effect.gen(function*() {
    const internal = `${runs.map(([t, m]) => `${t.name} ${m}`).join(" ")} ${concurrency}`
    if (!only.test(internal) && !only.test(label)) return runs.map(() => skipped)
    const targets = runs.map(([t]) => t)
    const round = (i: number, ms: number): Round => {
      const [t, mode] = runs[i]!
      return { port: t.port, mode, authPath: t.authPath, publicPath: t.publicPath, concurrency, ms }
    }
    for (let i = 0; i < runs.length; i++) yield* ask(driver, round(i, Math.min(500, roundMs)))
    const perTarget = targets.map(() => ({ rates: [] as Array<number>, cpu: 0, requests: 0, driverCpu: 0, wall: 0, failures: 0, first: undefined as string | undefined }))
    for (let r = 0; r < rounds; r++) {
      const order = targets.map((_, i) => i)
      if (r % 2 === 1) order.reverse()
      for (const i of order) {
        const t = targets[i]!
        const acc = perTarget[i]!
        const cpuBefore = cpuMsOf(t.cpuNeedle)
        const result = yield* ask(driver, round(i, roundMs))
        acc.cpu += cpuMsOf(t.cpuNeedle) - cpuBefore
        acc.rates.push((result.requests * 1000) / result.elapsedMs)
        acc.requests += result.requests
        acc.driverCpu += result.cpuMs
        acc.wall += result.elapsedMs
        acc.failures += result.failures
        acc.first ??= result.firstFailure
      }
    }
    return perTarget.map((a) => ({
      median: median(a.rates),
      min: Math.min(...a.rates),
      max: Math.max(...a.rates),
      serverCpuMs: a.requests === 0 ? NaN : a.cpu / a.requests,
      driverLoad: a.driverCpu / a.wall,
      failures: a.failures,
      firstFailure: a.first
    }))
  })

/** A comparison BENCH_HTTP_ONLY left out. */
const skipped: Measured = { median: NaN, min: NaN, max: NaN, serverCpuMs: NaN, driverLoad: NaN, failures: 0, firstFailure: undefined }

const fmt = (m: Measured) =>
  `${m.median.toFixed(0)} (${m.min.toFixed(0)}–${m.max.toFixed(0)}) req/s, server ${m.serverCpuMs.toFixed(2)} ms CPU/req, driver ${
    (m.driverLoad * 100).toFixed(0)
  }% of its core${m.failures > 0 ? `, ${m.failures} FAILED (${m.firstFailure})` : ""}`

interface Row {
  readonly what: string
  readonly ours: Measured
  readonly theirs: Measured
  readonly target: number
  readonly targetText: string
}

const printRow = (label: string, ours: Measured, theirs: Measured, theirsName: string) => {
  if (Number.isNaN(ours.median)) return
  console.log(`  ${label}`)
  console.log(`    ours:   ${fmt(ours)}`)
  console.log(`    ${theirsName.padEnd(7)} ${fmt(theirs)}`)
}

export const runHttp = async (): Promise<void> => {
  console.log(`http (servers on CPU 0, driver on CPU 1; ${rounds} interleaved rounds of ${roundMs} ms, median (range)):`)
  const peers = peersAvailableSync()
  if (!peers.krb5 || !peers.apache || !peers.ntlm) {
    console.log(`  peers missing (${peers.problems.join("; ")}): HTTP figures skipped (install with scripts/peers/install.sh)`)
    return
  }
  const scope = await Effect.runPromise(Scope.make())
  const rows: Array<Row> = []
  try {
    await Effect.runPromise(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Realm.kinit(realm)
      const users = join(realm.dir, "bench-users")
      writeFileSync(users, "EXAMPLE:alice:Passw0rd!\n")
      const env = { ...realm.env, NTLM_USER_FILE: users }

      const [ourPort, krbPort, ntlmPort] = [yield* freePort, yield* freePort, yield* freePort]
      const krbApache = yield* apacheKerberos(krbPort, realm)
      const ntlmApache = yield* apacheNtlm(ntlmPort, "EXAMPLE:alice:Passw0rd!\n")
      const server = yield* spawnNode(here("./httpServer.ts"), [String(ourPort), realm.keytab, users], {
        cpus: "0",
        env,
        nodeOptions: profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]
      })
      yield* waitForLine(server, /listening/)
      const driver = yield* spawnNode(here("./httpDriver.ts"), [], { cpus: "1", env, ipc: true })
      yield* Effect.callback<void>((resume) => void driver.once("message", () => resume(Effect.void)))

      const ours: Target = { name: "ours", port: ourPort, authPath: "/auth", publicPath: "/public", cpuNeedle: "bench/src/httpServer.ts" }
      const apacheK: Target = { name: "Apache", port: krbPort, authPath: "/auth", publicPath: "/public", cpuNeedle: `${krbApache.dir}/httpd.conf` }
      const apacheN: Target = { name: "Apache", port: ntlmPort, authPath: "/auth", publicPath: "/public", cpuNeedle: `${ntlmApache.dir}/httpd.conf` }

      for (const [mech, mode, apache] of [["Kerberos", "kerberos", apacheK], ["NTLM", "ntlm", apacheN]] as const) {
        for (const c of [1, 16, 64]) {
          const what = `${mech} handshake${mode === "ntlm" ? " (2 legs)" : " (1 leg)"}, ${c} client${c > 1 ? "s" : ""}`
          const [o, a] = yield* compare(driver, [[ours, mode], [apache, mode]], c, what)
          printRow(what, o!, a!, "Apache:")
          rows.push({ what: `${what}: ours vs Apache`, ours: o!, theirs: a!, target: 1, targetText: "≥ 1× Apache" })
        }
      }
      // requests on an authenticated connection, interleaved with no-auth requests on the same server
      for (const [mech, mode, apache] of [["Kerberos", "authconn-kerberos", apacheK], ["NTLM", "authconn-ntlm", apacheN]] as const) {
        const [o, oNone, a, aNone] = yield* compare(
          driver,
          [[ours, mode], [ours, "none"], [apache, mode], [apache, "none"]],
          16,
          `${mech}-authenticated connection, plain requests, 16 clients`
        )
        printRow(`${mech}-authenticated connection, plain requests, 16 clients`, o!, a!, "Apache:")
        printRow(`no authentication (${mech} round), 16 clients`, oNone!, aNone!, "Apache:")
        if (mech === "Kerberos") {
          rows.push({ what: "no auth, 16 clients: ours vs Apache", ours: oNone!, theirs: aNone!, target: 0, targetText: "—" })
        }
        rows.push({ what: `${mech} authenticated connection, 16 clients: ours vs Apache`, ours: o!, theirs: a!, target: 0, targetText: "—" })
        rows.push({ what: `${mech} authenticated connection vs no auth, 16 clients: ours vs ours`, ours: o!, theirs: oNone!, target: 0.9, targetText: "≥ 90% of no-auth" })
        rows.push({ what: `${mech} authenticated connection vs no auth, 16 clients: Apache vs Apache`, ours: a!, theirs: aNone!, target: 0, targetText: "(Apache's own)" })
      }

      // sspi serve, 2 workers against 1 (unpinned: the kernel places the workers), with --redis and
      // without it (the primary process holds the replay cache and handshake store, workers ask over IPC)
      const workerLabels = ["redis", "ipc"].flatMap((how) =>
        ["kerberos", "ntlm"].flatMap((m) => [
          `sspi serve --workers 2 (${how}) ${m} sspi serve --workers 1 (${how}) ${m} 16`,
          `sspi serve ${how === "redis" ? "--redis" : "(IPC, no Redis)"}, ${m === "ntlm" ? "NTLM" : "Kerberos"}, 16 clients: 2 workers vs 1`
        ])
      )
      if (!workerLabels.some((l) => only.test(l))) return
      const redis = yield* RedisServer.start()
      const serveEnv = { ...env, SSPI_HANDSHAKE_KEY: randomBytes(32).toString("hex") }
      const serve = (workers: number, how: "redis" | "ipc") =>
        Effect.gen(function*() {
          const port = yield* freePort
          const child = yield* spawnNode(
            sspiBin,
            [
              "serve", "--port", String(port), "--keytab", realm.keytab, "--users", users, "--workers", String(workers),
              ...(how === "redis" ? ["--redis", redis.url] : [])
            ],
            { cpus: undefined, env: serveEnv, tsx: false }
          )
          yield* waitForLine(child, /listening on/)
          return { name: `sspi serve --workers ${workers} (${how})`, port, authPath: "/", publicPath: "/", cpuNeedle: `serve --port ${port}` } satisfies Target
        })
      for (const how of ["redis", "ipc"] as const) {
        const one = yield* serve(1, how)
        const two = yield* serve(2, how)
        for (const [mech, mode] of [["Kerberos", "kerberos"], ["NTLM", "ntlm"]] as const) {
          const label = `sspi serve ${how === "redis" ? "--redis" : "(IPC, no Redis)"}, ${mech}, 16 clients: 2 workers vs 1`
          const [w2, w1] = yield* compare(driver, [[two, mode], [one, mode]], 16, label)
          printRow(label, w2!, w1!, "1 worker:")
          rows.push({ what: `${label} (unpinned)`, ours: w2!, theirs: w1!, target: 1.6, targetText: "≥ 1.6× one worker" })
        }
      }
    }).pipe(Scope.provide(scope)))
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
  console.log(
    "\n| what | ours req/s | Apache (or baseline) req/s | ratio | target | met? | server CPU ms/req (ours / other) |\n|---|---|---|---|---|---|---|"
  )
  for (const row of rows.filter((r) => !Number.isNaN(r.ours.median) && !Number.isNaN(r.theirs.median))) {
    const ratio = row.ours.median / row.theirs.median
    const range = (m: Measured) => `${m.median.toFixed(0)} (${m.min.toFixed(0)}–${m.max.toFixed(0)})`
    const met = row.target === 0 ? "—" : ratio >= row.target ? "yes" : "**no**"
    const cpu = `${row.ours.serverCpuMs.toFixed(2)} / ${row.theirs.serverCpuMs.toFixed(2)}`
    console.log(`| ${row.what} | ${range(row.ours)} | ${range(row.theirs)} | ${ratio.toFixed(2)}× | ${row.targetText} | ${met} | ${cpu} |`)
  }
}
