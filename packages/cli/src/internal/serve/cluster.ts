/**
 * `sspi serve --workers N` on node:cluster: the primary forks N workers that
 * share the listening port (the primary accepts and hands connections out),
 * prints the address once they all listen, forks a new worker when one dies
 * after start-up (a replacement that dies before listening is retried after
 * a doubling delay, up to 30 s), and on SIGINT/SIGTERM (its scope closing) sends SIGTERM to
 * every worker and waits for them: each worker closes its server, its
 * security contexts and its Redis connection, then exits.
 *
 * Without Redis (`shareState`), the primary holds the one replay cache and
 * the one handshake store of all workers (core's memory Layers; the cache
 * sized by `SSPI_KRB5_REPLAY_CACHE_SIZE` when set) and answers
 * their calls over the cluster IPC channel (`ipcPrimary.ts`); they are built
 * before the first worker forks and closed after the last one exited (every
 * pending handshake entry zeroed).
 */
import cluster, { type Worker } from "node:cluster"
import { Config, Console, Effect, Layer, Option, Queue } from "effect"
import { HandshakeStore, ReplayCache } from "@effect-sspi/core"
import { CliFailure } from "../failure.ts"
import * as IpcPrimary from "./ipcPrimary.ts"

/** The Config key of the memory replay cache's capacity (as the Kerberos package reads it). */
const replayCacheSizeName = "SSPI_KRB5_REPLAY_CACHE_SIZE"

/** `true` in a process forked by {@link primary}. */
export const isWorker = (): boolean => cluster.isWorker

const exited = (worker: Worker): Effect.Effect<void> =>
  Effect.callback((resume) => {
    if (worker.process.exitCode !== null || worker.process.signalCode !== null) return resume(Effect.void)
    worker.once("exit", () => resume(Effect.void))
  })

/** SIGTERM, then SIGKILL after `graceMs`. */
const stop = (worker: Worker, graceMs: number) =>
  Effect.suspend(() => {
    worker.process.kill("SIGTERM")
    return exited(worker).pipe(
      Effect.timeoutOrElse({ duration: graceMs, orElse: () => Effect.sync(() => void worker.process.kill("SIGKILL")) })
    )
  })

/**
 * Runs the primary: forks `count` workers (the same command line), succeeds
 * with the shared port once every worker listens, then keeps them running
 * until interrupted. A worker that exits before listening (its error line is
 * already on stderr) stops the whole server with exit 1. `shareState`: this
 * process serves the workers' replay cache and handshake store (no Redis).
 */
export const primary = (count: number, listening: (port: number) => Effect.Effect<void>, options: { readonly shareState: boolean }) =>
  Effect.scoped(Effect.gen(function*() {
    if (options.shareState) {
      // the capacity Kerberos gives its own memory cache when asked (a bad value
      // stops the workers' Kerberos at start-up, with its message)
      const capacity = Option.getOrUndefined(
        yield* Effect.orElseSucceed(Config.option(Config.Int(replayCacheSizeName)), () => Option.none())
      )
      // built first, so closed last: after every worker has stopped
      yield* Layer.build(Layer.mergeAll(ReplayCache.layerMemory({ capacity }), HandshakeStore.layerMemory())).pipe(
        Effect.flatMap((state) => Effect.provide(IpcPrimary.serve(), state))
      )
    }
    let stopping = false
    const workers = new Set<Worker>()
    const fork = () => {
      const worker = cluster.fork()
      workers.add(worker)
      worker.once("exit", () => workers.delete(worker))
      return worker
    }
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        stopping = true
        return Effect.forEach([...workers], (w) => stop(w, 10_000), { concurrency: "unbounded", discard: true })
      })
    )
    const port = yield* Effect.callback<number, CliFailure>((resume) => {
      let ready = 0
      let done = false
      const onListening = (_: Worker, address: { port: number }) => {
        if (done || ++ready < count) return
        done = true
        resume(Effect.succeed(address.port))
      }
      const onExit = (_: Worker, code: number | null, signal: string | null) => {
        if (done) return
        done = true
        resume(Effect.fail(new CliFailure({ message: `a worker stopped while starting (${code !== null ? `exit code ${code}` : signal})` })))
      }
      cluster.on("listening", onListening)
      cluster.on("exit", onExit)
      for (let i = 0; i < count; i++) fork()
      return Effect.sync(() => {
        cluster.off("listening", onListening)
        cluster.off("exit", onExit)
      })
    })
    // a worker that dies later is replaced (its connections are gone; clients retry); a
    // replacement that dies before it listens (a start-up failure that persists: a users
    // file gone, a keytab unreadable) is retried after a doubling delay (up to 30 s), not
    // at once in a loop that forks processes as fast as they fail
    // every worker forked so far has listened (else start-up failed above)
    const listened = new WeakSet<Worker>(workers)
    let delayMs = 0
    const exits = yield* Queue.unbounded<{ readonly worker: Worker; readonly how: string }>()
    const onListening = (worker: Worker) => {
      listened.add(worker)
      delayMs = 0
    }
    const onExit = (worker: Worker, code: number | null, signal: string | null) => {
      if (!stopping) Queue.offerUnsafe(exits, { worker, how: code !== null ? `exit code ${code}` : signal ?? "unknown" })
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        cluster.on("listening", onListening)
        cluster.on("exit", onExit)
      }),
      () => Effect.sync(() => {
        cluster.off("listening", onListening)
        cluster.off("exit", onExit)
      })
    )
    yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      const { how, worker } = yield* Queue.take(exits)
      delayMs = listened.has(worker) ? 0 : Math.min(Math.max(2 * delayMs, 100), 30_000)
      process.stderr.write(
        `sspi: worker ${worker.process.pid} stopped (${how}); ${delayMs === 0 ? "starting another" : `it did not start: another in ${delayMs} ms`}\n`
      )
      yield* Effect.sleep(delayMs)
      if (!stopping) fork()
    })))
    yield* listening(port)
    return yield* Effect.never
  }))

/** Logs in a worker go to the shared stdout with the worker's pid. */
export const workerLog = (line: string) => Console.log(`[worker ${process.pid}] ${line}`)
