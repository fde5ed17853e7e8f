/**
 * A child process that speaks JSON lines on stdin/stdout (the peer drivers in
 * `scripts/peers/drivers/`), as a scoped resource.
 *
 * @since 0.1.0
 */
import * as ChildProcess from "node:child_process"
import * as Readline from "node:readline"
import { Cause, Data, Duration, Effect, Queue } from "effect"
import type { Scope } from "effect"
import { mergeEnv } from "./Command.ts"

/** One JSON object read from or written to a peer. */
export type PeerMessage = { readonly [key: string]: unknown }

/**
 * Why talking to a peer failed.
 *
 * - `Spawn`: the process could not be started;
 * - `Exited`: it exited (or closed stdout) while a reply was expected;
 * - `Timeout`: no line arrived in time;
 * - `Protocol`: a line was not a JSON object, or a reply lacked a field;
 * - `Remote`: the peer answered `{"error": ...}` (see `reply`);
 * - `Write`: stdin could not be written.
 */
export class PeerError extends Data.TaggedError("PeerError")<{
  readonly reason: "Spawn" | "Exited" | "Timeout" | "Protocol" | "Remote" | "Write"
  readonly peer: string
  readonly message: string
  readonly reply?: PeerMessage | undefined
  readonly stderr?: string | undefined
}> {}

/** A running peer process; obtained from {@link spawn}. */
export interface Peer {
  /** Label used in errors (defaults to the script's base name). */
  readonly name: string
  readonly pid: number
  /** Write one JSON line to the peer's stdin. */
  readonly send: (message: PeerMessage) => Effect.Effect<void, PeerError>
  /**
   * Take the next JSON line from the peer's stdout, waiting at most `timeout`
   * (default: the `receiveTimeout` given to {@link spawn}, 15 s). Lines that
   * arrived before the process exited are still delivered; after that it
   * fails with reason `Exited`.
   */
  readonly receive: (timeout?: Duration.Input) => Effect.Effect<PeerMessage, PeerError>
  /**
   * `send` then `receive`; a reply carrying an `error` field fails with
   * reason `Remote` (the reply is in the error).
   */
  readonly request: (message: PeerMessage, timeout?: Duration.Input) => Effect.Effect<PeerMessage, PeerError>
  /** Everything the peer wrote to stderr so far (last 64 KiB). */
  readonly stderr: Effect.Effect<string>
  /** Exit code; `undefined` while running, `null` when killed by a signal. */
  readonly exitCode: Effect.Effect<number | null | undefined>
}

/** Options of {@link spawn}. */
export interface SpawnOptions {
  readonly name?: string | undefined
  readonly cwd?: string | undefined
  /** Default time-out of `receive` / `request` (15 s). */
  readonly receiveTimeout?: Duration.Input | undefined
  /** How long to wait after SIGTERM before SIGKILL on release (2 s). */
  readonly killGrace?: Duration.Input | undefined
}

const STDERR_LIMIT = 64 * 1024

/** Signal the child's whole process group (it is spawned detached); ignore ESRCH. */
const killGroup = (child: ChildProcess.ChildProcess, signal: NodeJS.Signals): void => {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // already gone
    }
  }
}

/**
 * Start `command args` with `env` merged over `process.env` (a key set to
 * `undefined` is removed) and return it as a scoped {@link Peer}. When the
 * scope closes, stdin is closed and the process group gets SIGTERM, then
 * SIGKILL after `killGrace`; release waits (bounded) for it to exit. The
 * child runs in its own process group (`detached`), so grandchildren are
 * killed too.
 */
export const spawn = (
  command: string,
  args: ReadonlyArray<string>,
  env?: Readonly<Record<string, string | undefined>>,
  options: SpawnOptions = {}
): Effect.Effect<Peer, PeerError, Scope.Scope> => {
  const name = options.name ?? (args.find((a) => a.endsWith(".py")) ?? command).split("/").pop() ?? command
  const receiveTimeout = options.receiveTimeout ?? Duration.seconds(15)
  const killGraceMs = Duration.toMillis(options.killGrace ?? Duration.seconds(2))

  const start = Effect.callback<ChildProcess.ChildProcessWithoutNullStreams, PeerError>((resume) => {
    let child: ChildProcess.ChildProcessWithoutNullStreams
    try {
      child = ChildProcess.spawn(command, [...args], {
        env: mergeEnv(env),
        cwd: options.cwd,
        stdio: ["pipe", "pipe", "pipe"],
        // own process group, so that release also reaches grandchildren
        detached: true
      })
    } catch (e) {
      resume(Effect.fail(new PeerError({ reason: "Spawn", peer: name, message: String(e) })))
      return
    }
    const onError = (err: Error) =>
      resume(Effect.fail(new PeerError({ reason: "Spawn", peer: name, message: err.message })))
    child.once("error", onError)
    child.once("spawn", () => {
      child.off("error", onError)
      resume(Effect.succeed(child))
    })
    return Effect.sync(() => killGroup(child, "SIGKILL"))
  })

  const stop = (child: ChildProcess.ChildProcessWithoutNullStreams) =>
    Effect.callback<void>((resume) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resume(Effect.void)
        return
      }
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), killGraceMs)
      child.once("exit", () => {
        clearTimeout(timer)
        resume(Effect.void)
      })
      child.stdin.end()
      killGroup(child, "SIGTERM")
    }).pipe(
      Effect.timeoutOrElse({ duration: killGraceMs + 3000, orElse: () => Effect.void }),
      // whatever is left of the group (grandchildren) goes too
      Effect.andThen(Effect.sync(() => killGroup(child, "SIGKILL")))
    )

  return Effect.gen(function*() {
    const child = yield* Effect.acquireRelease(start, stop)
    const queue = yield* Queue.unbounded<PeerMessage, PeerError>()
    let stderrText = ""

    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (chunk: string) => {
      stderrText = (stderrText + chunk).slice(-STDERR_LIMIT)
    })
    // EPIPE when the peer is gone: reported by `send`, must not crash the runner.
    child.stdin.on("error", () => {})

    const lines = Readline.createInterface({ input: child.stdout, crlfDelay: Infinity })
    lines.on("line", (line) => {
      if (line.trim() === "") return
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        parsed = undefined
      }
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        Queue.offerUnsafe(queue, parsed as PeerMessage)
      } else {
        Queue.offerUnsafe(queue, { error: `not a JSON object: ${line.slice(0, 500)}`, kind: "HarnessProtocol" })
      }
    })
    // "close" comes after all stdout data has been read.
    child.once("close", (code, signal) => {
      Queue.failCauseUnsafe(
        queue,
        Cause.fail(
          new PeerError({
            reason: "Exited",
            peer: name,
            message: `${name} exited (code ${code}${signal ? `, signal ${signal}` : ""})`,
            stderr: stderrText
          })
        )
      )
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => lines.close()))

    const send = (message: PeerMessage): Effect.Effect<void, PeerError> =>
      Effect.callback<void, PeerError>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null || child.stdin.destroyed) {
          resume(Effect.fail(
            new PeerError({ reason: "Write", peer: name, message: `${name} is not running`, stderr: stderrText })
          ))
          return
        }
        child.stdin.write(JSON.stringify(message) + "\n", (err) => {
          if (err) {
            resume(Effect.fail(new PeerError({ reason: "Write", peer: name, message: err.message, stderr: stderrText })))
          } else resume(Effect.void)
        })
      })

    const receive = (timeout?: Duration.Input): Effect.Effect<PeerMessage, PeerError> => {
      const duration = timeout ?? receiveTimeout
      return Queue.take(queue).pipe(
        Effect.timeoutOrElse({
          duration,
          orElse: () =>
            Effect.fail(
              new PeerError({
                reason: "Timeout",
                peer: name,
                message: `${name}: no reply within ${Duration.format(Duration.fromInputUnsafe(duration))}`,
                stderr: stderrText
              })
            )
        })
      )
    }

    const request = (message: PeerMessage, timeout?: Duration.Input): Effect.Effect<PeerMessage, PeerError> =>
      send(message).pipe(
        Effect.andThen(receive(timeout)),
        Effect.flatMap((reply) =>
          "error" in reply
            ? Effect.fail(
              new PeerError({
                reason: "Remote",
                peer: name,
                message: `${name}: ${String(reply["error"])}`,
                reply,
                stderr: stderrText
              })
            )
            : Effect.succeed(reply)
        )
      )

    const peer: Peer = {
      name,
      pid: child.pid ?? -1,
      send,
      receive,
      request,
      stderr: Effect.sync(() => stderrText),
      exitCode: Effect.sync(() => child.exitCode ?? (child.signalCode !== null ? null : undefined))
    }
    return peer
  })
}
