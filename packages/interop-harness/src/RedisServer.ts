/**
 * Debian's redis-server on 127.0.0.1, on a free port, with no persistence
 * (`--save "" --appendonly no`, working directory a temporary one), as a
 * scoped resource. `kill` and `restart` let a test take Redis away mid-run
 * and bring it back, empty, on the same port.
 *
 * @since 0.2.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import { createServer, connect } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Data, Duration, Effect, Schedule, type Scope } from "effect"
import { isCI } from "./Availability.ts"

/** The server binary (Debian's `redis-server` package). */
export const binary = "/usr/bin/redis-server"

/** redis-server could not be started or did not answer PING in time. */
export class RedisServerError extends Data.TaggedError("RedisServerError")<{
  readonly message: string
}> {}

/** A running server. */
export interface RedisServer {
  readonly host: "127.0.0.1"
  readonly port: number
  /** `redis://127.0.0.1:PORT` */
  readonly url: string
  /** SIGKILL the server and wait until it is gone (idempotent). */
  readonly kill: Effect.Effect<void>
  /** Start it again on the same port (empty: nothing persisted) and wait for PING. */
  readonly restart: Effect.Effect<void, RedisServerError>
  /** SIGSTOP: the server keeps its connections but answers nothing until {@link RedisServer.thaw}. */
  readonly freeze: Effect.Effect<void>
  /** SIGCONT after {@link RedisServer.freeze}. */
  readonly thaw: Effect.Effect<void>
}

/**
 * `true` when redis-server is installed. When it is not: `false` after a loud
 * line on stderr, or a throw under `CI=true` (missing peers fail CI).
 */
export const requireSync = (): boolean => {
  try {
    Fs.accessSync(binary, Fs.constants.X_OK)
    return true
  } catch {
    const message = `redis-server is missing (${binary}); install Debian's redis-server (scripts/peers/install.sh)`
    if (isCI()) throw new RedisServerError({ message: `${message} with CI=true` })
    process.stderr.write(`\n!!! INTEROP PEER MISSING: ${message}; tests that need it are SKIPPED\n\n`)
    return false
  }
}

const freePort: Effect.Effect<number, RedisServerError> = Effect.callback((resume) => {
  const server = createServer()
  server.once("error", (e) => resume(Effect.fail(new RedisServerError({ message: `no free port: ${e.message}` }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** One PING over a raw socket; succeeds on `+PONG` (or `-NOAUTH`: a server with a password is up too). */
const ping = (port: number): Effect.Effect<void, RedisServerError> =>
  Effect.callback((resume) => {
    const socket = connect(port, "127.0.0.1")
    let reply = ""
    const fail = (message: string) => {
      socket.destroy()
      resume(Effect.fail(new RedisServerError({ message })))
    }
    socket.setTimeout(1000, () => fail("PING timed out"))
    socket.once("connect", () => socket.write("PING\r\n"))
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1")
      if (!reply.includes("\r\n")) return
      socket.destroy()
      resume(reply.startsWith("+PONG") || reply.startsWith("-NOAUTH") ? Effect.void : Effect.fail(new RedisServerError({ message: `PING answered ${reply.trim()}` })))
    })
    socket.once("error", (e) => fail(e.message))
    return Effect.sync(() => socket.destroy())
  })

const waitReady = (port: number) =>
  ping(port).pipe(
    Effect.retry({ schedule: Schedule.spaced(Duration.millis(50)), times: 100 }),
    Effect.mapError((e) => new RedisServerError({ message: `redis-server on port ${port} did not answer PING: ${e.message}` }))
  )

const exited = (child: ChildProcess): Effect.Effect<void> =>
  Effect.callback((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
  })

/** Options of {@link start}. */
export interface StartOptions {
  /** More redis-server arguments, e.g. `["--rename-command", "GETDEL", ""]` to play an old Redis. */
  readonly args?: ReadonlyArray<string> | undefined
}

/**
 * Starts redis-server on a free port of 127.0.0.1 and waits until it answers
 * PING; closing the scope kills it and deletes its directory.
 */
export const start = (options: StartOptions = {}): Effect.Effect<RedisServer, RedisServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const port = yield* freePort
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-sspi-redis-"))),
      (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
    let child: ChildProcess | undefined
    const spawnServer = Effect.sync(() => {
      child = spawn(binary, [
        "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", dir, "--daemonize", "no", "--logfile", "", ...(options.args ?? [])
      ], { stdio: "ignore" })
    })
    const kill = Effect.suspend(() => {
      const current = child
      if (current === undefined) return Effect.void
      child = undefined
      current.kill("SIGCONT")
      current.kill("SIGKILL")
      return exited(current)
    })
    yield* Effect.addFinalizer(() => kill)
    yield* spawnServer
    yield* waitReady(port)
    return {
      host: "127.0.0.1",
      port,
      url: `redis://127.0.0.1:${port}`,
      kill,
      restart: kill.pipe(Effect.andThen(spawnServer), Effect.andThen(waitReady(port))),
      freeze: Effect.sync(() => void child?.kill("SIGSTOP")),
      thaw: Effect.sync(() => void child?.kill("SIGCONT"))
    } satisfies RedisServer
  })
