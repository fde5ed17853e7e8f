/**
 * Run a short-lived command to completion with a hard time-out.
 *
 * @since 0.1.0
 */
import * as ChildProcess from "node:child_process"
import { Data, Duration, Effect } from "effect"

/** The outcome of {@link run}: exit code (null when killed) and output. */
export interface CommandResult {
  readonly code: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
}

/** The command could not be started or did not finish in time. */
export class CommandError extends Data.TaggedError("CommandError")<{
  readonly command: string
  readonly message: string
  readonly stderr: string
}> {}

/**
 * Merge `env` over `process.env`; a key whose value is `undefined` is removed.
 */
export const mergeEnv = (
  env: Readonly<Record<string, string | undefined>> | undefined
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v
  if (env) {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete out[k]
      else out[k] = v
    }
  }
  return out
}

/**
 * Run `command args` to completion (stdin closed). Fails with
 * {@link CommandError} if it cannot start or exceeds `timeout` (the process is
 * then killed with SIGKILL); a non-zero exit is NOT an error: inspect `code`.
 */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: {
    readonly env?: Readonly<Record<string, string | undefined>> | undefined
    readonly timeout?: Duration.Input | undefined
    readonly input?: string | undefined
  } = {}
): Effect.Effect<CommandResult, CommandError> =>
  Effect.callback<CommandResult, CommandError>((resume) => {
    const timeoutMs = Duration.toMillis(options.timeout ?? Duration.seconds(30))
    const child = ChildProcess.execFile(
      command,
      [...args],
      {
        env: mergeEnv(options.env),
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
        encoding: "utf8"
      },
      (error, stdout, stderr) => {
        // A non-zero exit also comes as `error` (with a numeric code): not a failure here.
        if (error && (error.killed === true || typeof error.code === "string")) {
          resume(Effect.fail(
            new CommandError({
              command: [command, ...args].join(" "),
              message: error.killed === true ? `timed out after ${timeoutMs} ms` : error.message,
              stderr
            })
          ))
          return
        }
        const code = child.exitCode
        resume(Effect.succeed({ code, signal: child.signalCode, stdout, stderr }))
      }
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
    else child.stdin?.end()
    return Effect.sync(() => {
      child.kill("SIGKILL")
    })
  })
