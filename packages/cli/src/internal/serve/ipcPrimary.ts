/**
 * In the primary process of `sspi serve --workers N` without Redis: the one
 * replay cache and the one handshake store of the whole server (core's memory
 * Layers, held here), answering the workers' calls (`ipcWorker.ts`) that
 * arrive over the cluster IPC channel.
 *
 * Every request is decoded with the protocol's Schema; one that does not
 * decode is answered with SEC_E_INTERNAL_ERROR when its id can be read and
 * ignored otherwise, never acted on, never a crash. Requests are handled one
 * at a time by a single fiber, in arrival order: a replay-cache `record` is a
 * check-and-set in one step of this single-threaded process, so two workers
 * presenting the same authenticator never both get `"Fresh"` (RFC 4120
 * section 3.2.3: the replay cache must see every authenticator once, whichever
 * worker it reaches), and a handshake entry is taken at most once.
 *
 * What it holds: replay-cache digests and NTLM handshake entries, the same
 * bytes core's memory store holds in a single process (the NEGOTIATE and
 * CHALLENGE messages, the channel-bindings hash; no password hash, no session
 * key). The memory store zeroes every entry still pending when the caller's
 * scope closes (server shutdown).
 */
import cluster, { type Worker } from "node:cluster"
import { Duration, Effect, Option, Queue, Result } from "effect"
import { HandshakeStore, ReplayCache, SecurityError } from "@effect-sspi/core"
import * as Protocol from "./ipcProtocol.ts"

/**
 * The primary's end of the IPC channels: `listen` gives every message from
 * any worker with a function that answers that worker; it returns a function
 * that stops listening.
 */
export interface PrimaryChannel {
  readonly listen: (onMessage: (message: unknown, reply: (response: unknown) => void) => void) => () => void
}

/** The cluster's channels to its workers (`cluster.on("message")`, `worker.send`). */
export const clusterChannel: PrimaryChannel = {
  listen: (onMessage) => {
    const listener = (worker: Worker, message: unknown) =>
      onMessage(message, (response) => {
        // a worker that is gone gets no answer (its calls failed with the channel)
        if (worker.isConnected()) worker.send(response as never, undefined, () => {})
      })
    cluster.on("message", listener)
    return () => void cluster.off("message", listener)
  }
}

/** Options of {@link serve}. */
export interface Options {
  /** Requests waiting to be handled; more are answered at once with SEC_E_INTERNAL_ERROR (fail closed). Default 10,000. */
  readonly backlog?: number | undefined
}

interface Incoming {
  readonly message: unknown
  readonly reply: (response: unknown) => void
}

type StoreError = SecurityError.InsufficientMemory | SecurityError.InternalError

/** Runs one decoded operation on the primary's services. */
const run = (
  op: Protocol.Operation,
  replayCache: ReplayCache.ReplayCacheService,
  store: HandshakeStore.HandshakeStoreService
): Effect.Effect<Protocol.Result, StoreError> => {
  switch (op._tag) {
    case "Record":
      return Effect.map(replayCache.record(op.key, Duration.millis(op.ttlMs)), (verdict) => ({ _tag: "Verdict", verdict }))
    case "Put":
      return op.ifAbsent
        ? Effect.map(store.putIfAbsent(op.handshake, op.bytes, Duration.millis(op.ttlMs)), (stored) => ({ _tag: "Stored", stored }))
        : Effect.as(store.put(op.handshake, op.bytes, Duration.millis(op.ttlMs)), { _tag: "Stored", stored: true } as const)
    case "Take":
      return Effect.map(store.take(op.handshake), (bytes) => ({ _tag: "Taken", bytes: Option.getOrNull(bytes) }))
  }
}

const encode = (from: string | undefined, id: number, result: Protocol.Result): Option.Option<unknown> =>
  Result.getSuccess(Protocol.encodeResponse({ channel: Protocol.channel, ...(from === undefined ? {} : { from }), id, result }))

/** The answer to a message that finds the backlog full (none when it is not ours). */
const busy = (message: unknown): Option.Option<unknown> =>
  Option.flatMap(Protocol.decodeEnvelope(message), ({ from, id }) =>
    encode(from, id, { _tag: "Failed", error: new SecurityError.InternalError({ detail: "the primary process (IPC): too many calls waiting" }) }))

/**
 * The answer to one message from a worker (encoded, ready to send), or none
 * for a message that is not ours or too garbled to answer. Never fails.
 */
export const respond = (
  message: unknown,
  replayCache: ReplayCache.ReplayCacheService,
  store: HandshakeStore.HandshakeStoreService
): Effect.Effect<Option.Option<unknown>> => {
  const request = Protocol.decodeRequest(message)
  if (Option.isNone(request)) {
    return Effect.succeed(Option.flatMap(Protocol.decodeEnvelope(message), ({ from, id }) =>
      encode(from, id, { _tag: "Failed", error: new SecurityError.InternalError({ detail: "the primary process (IPC): malformed request" }) })))
  }
  const { from, id, op } = request.value
  return run(op, replayCache, store).pipe(
    Effect.catch((error) => Effect.succeed<Protocol.Result>({ _tag: "Failed", error })),
    Effect.map((result) => encode(from, id, result))
  )
}

/**
 * Serves the workers' calls on `channel` with the `ReplayCache` and
 * `HandshakeStore` of the context, until the caller's scope closes (then the
 * listener is removed and the handling fiber interrupted).
 */
export const serve = Effect.fnUntraced(function*(channel: PrimaryChannel = clusterChannel, options: Options = {}) {
  const replayCache = yield* ReplayCache.ReplayCache
  const store = yield* HandshakeStore.HandshakeStore
  const queue = yield* Queue.dropping<Incoming>(Math.max(1, options.backlog ?? 10_000))
  yield* Effect.acquireRelease(
    Effect.sync(() =>
      channel.listen((message, reply) => {
        if (Queue.offerUnsafe(queue, { message, reply })) return
        // full: answered at once with SEC_E_INTERNAL_ERROR (fail closed, as a time-out would,
        // without keeping the worker's request waiting for it); a reply that throws (a worker
        // gone) must not throw into node:cluster's emit, which would crash the primary
        try {
          Option.map(busy(message), reply)
        } catch {
          // the worker's call fails with its channel or its time-out
        }
      })
    ),
    (unlisten) => Effect.sync(unlisten)
  )
  // one fiber, one request at a time: each operation is atomic
  yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(queue), ({ message, reply }) =>
    Effect.flatMap(
      respond(message, replayCache, store),
      Option.match({ onNone: () => Effect.void, onSome: (response) => Effect.sync(() => reply(response)) })
    ).pipe(
      // a defect while answering one message (a reply that throws) must not end this
      // fiber: every worker's later calls would time out (fail closed, but a server down)
      Effect.catchDefect((defect) => Effect.logWarning("sspi serve: could not answer a worker's shared-state call", defect))
    )
  )))
})
