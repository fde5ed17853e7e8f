/**
 * `npm run fuzz [-- COUNT [TARGET-SUBSTRING …]]`: the fuzz campaign. Every
 * decoder and acceptor entry point (NTLM, SPNEGO/Negotiate, Kerberos, the
 * DER codec, HTTP Authorization parsing; targets.ts, kerberosTargets.ts),
 * the PAC, DCE/RPC and Netlogon parsers (adTargets.ts, ticketTargets.ts),
 * KRB-CRED (credTargets.ts, delegationTarget.ts) and the state that comes
 * back from outside the process (session cookies, handshake-store entries,
 * `sspi serve` IPC messages; storeTargets.ts) gets COUNT mutated real tokens
 * (default 1,000,000; FUZZ_COUNT also sets it, FUZZ_SEED the PRNG seed).
 * Prints one line per target (inputs, accepted, typed failures, defects,
 * hangs > 1 s, slowest input, heap growth) and exits non-zero when a target
 * had a defect or a hang. Run with --expose-gc for the heap figures.
 */
import { Effect } from "effect"
import { adTargets } from "./adTargets.ts"
import { kerberosTargets } from "./kerberosTargets.ts"
import { type Report, runTarget } from "./runner.ts"
import { storeTargets } from "./storeTargets.ts"
import { makeTargets } from "./targets.ts"

const args = process.argv.slice(2)
const count = Number(args[0] ?? process.env["FUZZ_COUNT"] ?? 1_000_000)
const filters = args.slice(1).map((f) => f.toLowerCase())
const seed = Number(process.env["FUZZ_SEED"] ?? 0x5eed)

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(2)} MiB`
const line = (r: Report) =>
  `${r.target.padEnd(64)} inputs ${r.inputs}  accepted ${r.accepted}  typed ${r.typedFailures}  defects ${r.defects}  ` +
  `hangs ${r.hangs}  slowest ${r.slowestMs.toFixed(1)} ms  heap ${mib(r.heapGrowthBytes)}  ${r.seconds.toFixed(0)} s`

const program = Effect.scoped(Effect.gen(function*() {
  if (typeof (globalThis as { gc?: unknown }).gc !== "function") console.log("(no --expose-gc: heap growth is without a full GC)")
  const kerberos = yield* kerberosTargets
  if (typeof kerberos === "string") console.log(kerberos)
  const targets = [
    ...makeTargets(typeof kerberos === "string" ? [] : kerberos.seeds),
    ...(typeof kerberos === "string" ? [] : kerberos.targets),
    ...adTargets(),
    ...storeTargets()
  ]
    .filter((t) => filters.length === 0 || filters.some((f) => t.name.toLowerCase().includes(f)))
  console.log(`fuzz: ${targets.length} targets × ${count} inputs, seed ${seed}`)
  const reports: Array<Report> = []
  for (const [i, target] of targets.entries()) {
    const report = runTarget(target, count, seed + i, (done, defects, hangs) => {
      const text = `  ${target.name}: ${done}/${count}, defects ${defects}, hangs ${hangs}`
      if (process.stdout.isTTY) process.stdout.write(`\r${text}`)
      else if (done % (1 << 17) === 0) console.log(text)
    })
    if (process.stdout.isTTY) process.stdout.write("\r")
    console.log(line(report))
    if (report.firstDefect !== undefined) console.log(`  first defect: ${report.firstDefect}`)
    const slowDir = process.env["FUZZ_SLOW_DIR"]
    if (slowDir !== undefined && report.slowestInput !== undefined) {
      const { writeFileSync } = yield* Effect.promise(() => import("node:fs"))
      writeFileSync(`${slowDir}/${i}.bin`, report.slowestInput)
    }
    reports.push(report)
  }
  const bad = reports.filter((r) => r.defects > 0 || r.hangs > 0)
  console.log(bad.length === 0 ? "fuzz: 0 defects, 0 hangs" : `fuzz: ${bad.length} target(s) with defects or hangs`)
  if (process.env["FUZZ_JSON"] !== undefined) {
    const { writeFileSync } = yield* Effect.promise(() => import("node:fs"))
    writeFileSync(process.env["FUZZ_JSON"], JSON.stringify(reports.map(({ slowestInput: _, ...r }) => r), null, 2))
  }
  return bad.length
}))

const failed = await Effect.runPromise(program)
process.exitCode = failed === 0 ? 0 : 1
