/**
 * `sspi serve --workers N` as a child process for the multi-process tests:
 * started on a free port, its output collected, its workers found through
 * /proc, and stopped with a signal.
 */
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { Effect, Schedule } from "effect"
import { nodeArgs } from "./support.ts"

/** The pids of a process's children (Linux /proc). */
export const children = (pid: number): ReadonlyArray<number> =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter((s) => s !== "").map(Number)

/** `true` while `pid` runs (a zombie counts as gone). */
export const running = (pid: number): boolean => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z")

/** One handshake leg printed by a worker under `-v`. */
export interface Leg {
  readonly pid: number
  readonly packageName: string
  readonly status: string
}

/** The legs the workers printed (`[worker PID] server PACKAGE STATUS …`), in order. */
export const legsOf = (stdout: string): ReadonlyArray<Leg> =>
  [...stdout.matchAll(/^\[worker (\d+)\] server (\S+)\s+(\S+)/gm)].map((m) => ({ pid: Number(m[1]), packageName: m[2]!, status: m[3]! }))

/** A running `sspi serve --workers N`. */
export interface ClusterServer {
  readonly url: string
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** Forgets the stderr seen so far. */
  readonly clearStderr: () => void
  /** Waits until the workers have printed at least `count` legs in all; the legs. */
  readonly legs: (count: number) => Effect.Effect<ReadonlyArray<Leg>, Error>
  /** Sends `signal` to the primary and waits for its exit code. */
  readonly stop: (signal: NodeJS.Signals) => Effect.Effect<number | null, unknown>
}

/** Starts `sspi serve --port 0 --workers N args…` and waits for its listening line; killed with the scope. */
export const startCluster = (workers: number, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const child = spawn(process.execPath, [...nodeArgs, "serve", "--port", "0", "--workers", String(workers), ...args], {
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGKILL")))
    let out = ""
    let err = ""
    child.stderr.on("data", (c) => (err += c))
    child.stdout.on("data", (c) => (out += c))
    const url = yield* Effect.suspend(() => {
      const m = new RegExp(`listening on (http://\\S+) .*${workers} workers`).exec(out)
      if (m !== null) return Effect.succeed(m[1]!)
      return Effect.fail(new Error(child.exitCode !== null ? `serve exited: ${err}` : "not listening yet"))
    }).pipe(
      Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 900, while: (e) => e.message === "not listening yet" })
    )
    const server: ClusterServer = {
      url,
      pid: child.pid!,
      stdout: () => out,
      stderr: () => err,
      clearStderr: () => void (err = ""),
      legs: (count) =>
        Effect.suspend(() => {
          const legs = legsOf(out)
          return legs.length >= count ? Effect.succeed(legs) : Effect.fail(new Error(`${legs.length} legs printed, waiting for ${count}`))
        }).pipe(Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 })),
      stop: (signal) =>
        Effect.callback<number | null>((resume) => {
          if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
          child.once("exit", (code) => resume(Effect.succeed(code)))
          child.kill(signal)
        }).pipe(Effect.timeout("20 seconds"))
    }
    return server
  })
