/**
 * In a worker of `sspi serve --workers N` without Redis: core's
 * `ReplayCache` and `HandshakeStore` whose every operation is a call to the
 * primary process over the cluster IPC channel (see `ipcPrimary.ts`), so that
 * all workers share one replay cache and one handshake store, never one per
 * worker (issue 12 item 4: a per-worker cache would accept an AP-REQ replayed
 * to another worker).
 *
 * Fail closed, as the Redis Layers (`@effect-sspi/redis`) do when Redis is
 * unreachable: a call the primary does not answer within the time-out
 * (Effect's Clock), a channel that is closed, or an answer that is not what
 * was asked fails with SEC_E_INTERNAL_ERROR (the HTTP server answers 503 +
 * Retry-After), never `"Fresh"` and never an entry. The primary's own typed
 * errors (SEC_E_INSUFFICIENT_MEMORY from a full store) come back as they are.
 *
 * Secrets: the entries sent are the same bytes core's memory store holds (the
 * NEGOTIATE and CHALLENGE messages, the channel-bindings hash; no password
 * hash, no session key) and the keys are digests; the channel is a pipe
 * between processes of the same user on one machine.
 */
import { Context, Duration, Effect, Layer, Option, Result } from "effect"
import { HandshakeStore, RandomBytes, ReplayCache, SecurityError } from "@effect-sspi/core"
import * as Protocol from "./ipcProtocol.ts"

/**
 * The worker's end of the IPC channel. `send` calls `done` with an error when
 * the message could not be sent; `listen` returns a function that stops
 * listening; `onClose` runs when the channel to the primary is gone.
 */
export interface WorkerChannel {
  readonly send: (message: unknown, done: (error: Error | null) => void) => void
  readonly listen: (onMessage: (message: unknown) => void, onClose: () => void) => () => void
}

/** This process's channel to the cluster primary (`process.send`, `process.on("message")`). */
export const processChannel: WorkerChannel = {
  send: (message, done) => {
    if (process.send === undefined || !process.connected) return done(new Error("no IPC channel"))
    process.send(message, undefined, undefined, (error) => done(error ?? null))
  },
  listen: (onMessage, onClose) => {
    process.on("message", onMessage)
    process.on("disconnect", onClose)
    return () => {
      process.off("message", onMessage)
      process.off("disconnect", onClose)
    }
  }
}

/** Options of {@link layer}. */
export interface Options {
  /** Longest wait for one answer from the primary (default 500 ms, as the Redis Layers). */
  readonly timeout?: Duration.Input | undefined
}

type Resume = (result: Protocol.Result) => void

const unavailable = (detail: string) => new SecurityError.InternalError({ detail: `the primary process (IPC): ${detail}` })

/** One round trip to the primary, bounded by the time-out. */
const makeCall = Effect.fnUntraced(function*(channel: WorkerChannel, options: Options) {
  const timeout = Duration.fromInputUnsafe(options.timeout ?? Duration.millis(500))
  const ms = Duration.toMillis(timeout)
  const pending = new Map<number, Resume>()
  // this instance's tag: answers to another instance in this process (same ids) are not ours
  const from = Buffer.from(RandomBytes.randomBytes(16)).toString("hex")
  let next = 0
  let closed = false
  yield* Effect.acquireRelease(
    Effect.sync(() =>
      channel.listen(
        (message) => {
          // anything that is not a well-formed answer to a call in flight is ignored
          // (the call then times out: fail closed)
          const response = Protocol.decodeResponse(message)
          if (Option.isNone(response) || response.value.from !== from) return
          const resume = pending.get(response.value.id)
          if (resume === undefined) return
          pending.delete(response.value.id)
          resume(response.value.result)
        },
        () => {
          closed = true
          const waiting = [...pending.values()]
          pending.clear()
          for (const resume of waiting) resume({ _tag: "Failed", error: unavailable("the channel is closed") })
        }
      )
    ),
    (unlisten) => Effect.sync(unlisten)
  )
  return (what: string, op: Protocol.Operation): Effect.Effect<Protocol.Result, SecurityError.InternalError> =>
    Effect.callback<Protocol.Result, SecurityError.InternalError>((resume) => {
      if (closed) return resume(Effect.fail(unavailable("the channel is closed")))
      const id = next
      next = next === Number.MAX_SAFE_INTEGER ? 0 : next + 1
      const encoded = Protocol.encodeRequest({ channel: Protocol.channel, from, id, op })
      if (Result.isFailure(encoded)) return resume(Effect.fail(unavailable(`${what}: the request cannot be encoded`)))
      pending.set(id, (result) => resume(Effect.succeed(result)))
      const notSent = (error: unknown) => {
        if (!pending.delete(id)) return
        resume(Effect.fail(unavailable(`${what} could not be sent (${error instanceof Error ? error.message : String(error)})`)))
      }
      try {
        channel.send(encoded.success, (error) => error === null ? undefined : notSent(error))
      } catch (error) {
        // a channel that throws instead of calling back (process.send on a channel torn down
        // mid-call): the typed failure, never a defect
        notSent(error)
      }
      return Effect.sync(() => void pending.delete(id))
    }).pipe(
      Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(unavailable(`no answer to ${what} within ${ms} ms`)) })
    )
})

const wrongAnswer = (what: string, result: Protocol.Result) => unavailable(`unexpected answer to ${what} (${result._tag})`)

/** The primary's typed error as it is; any other unexpected answer is SEC_E_INTERNAL_ERROR. */
const failed = (what: string, result: Protocol.Result) => Effect.fail(result._tag === "Failed" ? result.error : wrongAnswer(what, result))

/**
 * `ReplayCache` and `HandshakeStore` over `channel` (default: this worker's
 * channel to the cluster primary). The listener is removed when the Layer's
 * scope closes.
 */
export const make = Effect.fnUntraced(function*(channel: WorkerChannel = processChannel, options: Options = {}) {
  const call = yield* makeCall(channel, options)
  const counts = { stored: 0, taken: 0, missing: 0, evicted: 0, expired: 0 }

  const ttlMs = (what: string, ttl: Duration.Duration): Effect.Effect<number, SecurityError.InternalError> => {
    const ms = Duration.toMillis(ttl)
    return Number.isFinite(ms) ? Effect.succeed(Math.max(0, Math.ceil(ms))) : Effect.fail(unavailable(`${what}: the TTL must be finite`))
  }

  const record = (key: Uint8Array, ttl: Duration.Duration) =>
    ttlMs("record", ttl).pipe(
      Effect.flatMap((ms) => call("record", { _tag: "Record", key, ttlMs: ms })),
      Effect.flatMap((result): Effect.Effect<ReplayCache.Verdict, SecurityError.InsufficientMemory | SecurityError.InternalError> =>
        result._tag === "Verdict" ? Effect.succeed(result.verdict) : failed("record", result)
      )
    )

  const store = (what: string, handshake: string, bytes: Uint8Array, ttl: Duration.Duration, ifAbsent: boolean) =>
    Effect.suspend((): Effect.Effect<number, SecurityError.InsufficientMemory | SecurityError.InternalError> =>
      // refused here as core's memory store refuses it, without a round trip
      bytes.length > Protocol.maxEntryBytes
        ? Effect.fail(new SecurityError.InsufficientMemory({ detail: `handshake state of ${bytes.length} bytes exceeds ${Protocol.maxEntryBytes}` }))
        : ttlMs(what, ttl)
    ).pipe(
      Effect.flatMap((ms) => call(what, { _tag: "Put", handshake, bytes, ttlMs: ms, ifAbsent })),
      Effect.flatMap((result): Effect.Effect<boolean, SecurityError.InsufficientMemory | SecurityError.InternalError> => {
        if (result._tag !== "Stored") return failed(what, result)
        if (result.stored) counts.stored++
        return Effect.succeed(result.stored)
      })
    )

  const take = (handshake: string) =>
    call("take", { _tag: "Take", handshake }).pipe(
      Effect.flatMap((result): Effect.Effect<Option.Option<Uint8Array>, SecurityError.InternalError> => {
        if (result._tag === "Failed" && result.error._tag === "InternalError") return Effect.fail(result.error)
        if (result._tag !== "Taken") return Effect.fail(wrongAnswer("take", result))
        if (result.bytes === null) counts.missing++
        else counts.taken++
        return Effect.succeed(Option.fromNullishOr(result.bytes))
      })
    )

  const replayCache = ReplayCache.ReplayCache.of({ record })
  const handshakeStore = HandshakeStore.HandshakeStore.of({
    put: (id, bytes, ttl) => Effect.asVoid(store("put", id, bytes, ttl, false)),
    putIfAbsent: (id, bytes, ttl) => store("putIfAbsent", id, bytes, ttl, true),
    take,
    stats: Effect.sync(() => ({ ...counts }))
  })
  return { replayCache, handshakeStore }
})

/** Both services over one channel, as a Layer. */
export const layer = (
  channel: WorkerChannel = processChannel,
  options: Options = {}
): Layer.Layer<ReplayCache.ReplayCache | HandshakeStore.HandshakeStore> =>
  Layer.effectContext(Effect.map(make(channel, options), ({ handshakeStore, replayCache }) =>
    Context.make(ReplayCache.ReplayCache, replayCache).pipe(Context.add(HandshakeStore.HandshakeStore, handshakeStore))
  ))
