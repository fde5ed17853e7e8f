/**
 * One Redis round trip as the shared-state Layers need it: bounded by a
 * time-out (Effect's Clock), and every failure (no answer, a refused
 * connection, an error reply) turned into SEC_E_INTERNAL_ERROR whose detail
 * names the Redis server and what happened, never a value or a credential.
 */
import { Duration, Effect, Option } from "effect"
import { NodeRedis } from "@effect/platform-node/NodeRedis"
import type { RedisError } from "effect/persistence/Redis"
import { SecurityError } from "@effect-sspi/core"

/** Options shared by the Redis Layers. */
export interface CallOptions {
  /** Longest wait for one Redis answer (default 500 ms). */
  readonly timeout?: Duration.Input | undefined
  /**
   * How errors name the server (default: `host:port` of the NodeRedis client
   * when there is one, without credentials; else `redis`).
   */
  readonly label?: string | undefined
}

/** A bounded, error-mapped round trip. */
export type Call = <A>(
  what: string,
  effect: Effect.Effect<A, RedisError>
) => Effect.Effect<A, SecurityError.InternalError>

const MAX_DETAIL = 200

/** `host:port` (or the URL's) of a node-redis client, without user or password. */
const clientLabel = (client: NodeRedis["Service"]["client"]): string | undefined => {
  const options = client.options
  if (options?.url !== undefined) {
    try {
      const url = new URL(options.url)
      return `${url.hostname}:${url.port === "" ? "6379" : url.port}`
    } catch {
      return undefined
    }
  }
  const socket = options?.socket as { readonly host?: string; readonly port?: number; readonly path?: string } | undefined
  if (socket?.path !== undefined) return socket.path
  return `${socket?.host ?? "localhost"}:${socket?.port ?? 6379}`
}

/** What went wrong, from a RedisError's cause: its class and first line, bounded. */
export const describeCause = (cause: unknown): string => {
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
  const line = text.split("\n")[0] ?? ""
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL)}…` : line
}

/** Builds the {@link Call} of a Layer; reads the NodeRedis client if the app has one. */
export const makeCall = Effect.fnUntraced(function*(options: CallOptions) {
  const timeout = Duration.fromInputUnsafe(options.timeout ?? Duration.millis(500))
  const client = yield* Effect.serviceOption(NodeRedis)
  const label = options.label ??
    Option.match(client, { onNone: () => undefined, onSome: (c) => clientLabel(c.client) }) ??
    "redis"
  if (Option.isSome(client) && client.value.client.options?.disableOfflineQueue !== true) {
    // node-redis queues commands while disconnected: one that timed out here
    // is still sent after the reconnect, and closing the client while Redis
    // is down waits for the queue (the Layer's scope never closes).
    yield* Effect.logWarning(
      `Redis at ${label}: the NodeRedis client queues commands while offline; pass disableOfflineQueue: true`
    )
  }
  const ms = Duration.toMillis(timeout)
  const call: Call = (what, effect) =>
    effect.pipe(
      Effect.mapError((e) =>
        new SecurityError.InternalError({ detail: `Redis at ${label}: ${what} failed: ${describeCause(e.cause)}` })
      ),
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(new SecurityError.InternalError({ detail: `Redis at ${label}: no answer to ${what} within ${ms} ms` }))
      })
    )
  return { call, label }
})

/** A reply that is not what the command answers: SEC_E_INTERNAL_ERROR naming it (its type only). */
export const unexpected = (label: string, what: string, reply: unknown): SecurityError.InternalError =>
  new SecurityError.InternalError({
    detail: `Redis at ${label}: unexpected reply to ${what} (${reply === null ? "null" : typeof reply})`
  })
