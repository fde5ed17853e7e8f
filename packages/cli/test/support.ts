/** Runs the real `sspi` launcher as a child process, bounded. */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"

export const launcher = fileURLToPath(new URL("../bin/sspi.js", import.meta.url))

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs node with the workspace's TypeScript sources (the build's `@effect-sspi/source` condition). */
export const nodeArgs = ["--conditions=@effect-sspi/source", launcher]

/**
 * Runs `sspi args…`; `input`, when given, is piped to its stdin (else stdin
 * is /dev/null: not a terminal, empty).
 */
export const sspi = (args: ReadonlyArray<string>, env: Record<string, string> = {}, timeoutMs = 60_000, input?: string) =>
  Effect.callback<Run>((resume) => {
    const child = spawn(process.execPath, [...nodeArgs, ...args], {
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"]
    })
    if (input !== undefined) child.stdin?.end(input)
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (c) => (stdout += c))
    child.stderr!.on("data", (c) => (stderr += c))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout, stderr }))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

/** Starts `sspi serve` and waits for its address; killed with the scope. */
export const startServer = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly stderr: () => string; readonly kill: () => void }, Error>((resume) => {
      const child = spawn(process.execPath, [...nodeArgs, "serve", "--port", "0", ...args], {
        env: { ...process.env, ...env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      let err = ""
      const timer = setTimeout(() => {
        child.kill("SIGKILL")
        resume(Effect.fail(new Error(`serve did not start: ${err}`)))
      }, 30_000)
      child.stderr.on("data", (c) => (err += c))
      child.stdout.on("data", (c) => {
        out += c
        const m = /listening on (http:\/\/\S+)/.exec(out)
        if (m !== null) {
          clearTimeout(timer)
          resume(Effect.succeed({ url: m[1]!, stderr: () => err, kill: () => child.kill("SIGTERM") }))
        }
      })
      child.on("close", () => {
        clearTimeout(timer)
        resume(Effect.fail(new Error(`serve exited: ${err}`)))
      })
    }),
    (server) => Effect.sync(() => server.kill())
  )
