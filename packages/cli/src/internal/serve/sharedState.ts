/**
 * `sspi serve --redis URL`: the Kerberos replay cache and the NTLM handshake
 * store in Redis (`@effect-sspi/redis` over `@effect/platform-node`'s
 * NodeRedis), so that every process behind a load balancer sees one set of
 * authenticators and can finish any NTLM handshake. The handshake entries are
 * encrypted under `SSPI_HANDSHAKE_KEY` (32 bytes, hex or base64, from
 * effect's Config, Redacted); without it the server does not start.
 */
import { NodeRedis } from "@effect/platform-node"
import { Config, type Context, Effect, Layer, Predicate, References, type Scope } from "effect"
import type { HandshakeStore, ReplayCache } from "@effect-sspi/core"
import { RedisHandshakeStore, RedisReplayCache } from "@effect-sspi/redis"
import { CliFailure, explain } from "../failure.ts"

/** The Config key of the handshake store's AES-256-GCM key. */
export const handshakeKeyName = "SSPI_HANDSHAKE_KEY"

/** A missing key: one line, exit 2 (a flag combination that cannot work). */
const missingKey = new CliFailure({
  message: `--redis needs ${handshakeKeyName}: 32 bytes as 64 hex digits or base64, the same on every node (e.g. \`openssl rand -hex 32\`)`,
  exitCode: 2
})

/** Reads the key now, so that its absence stops the command before anything starts. */
export const handshakeKey = Effect.mapError(Config.Redacted(handshakeKeyName), () => missingKey)

/** Where the Redis server is, for messages: the URL without credentials. */
export const redisLabel = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return "the --redis URL"
  }
}

/**
 * The replay cache and handshake store over one node-redis client, built in
 * the caller's scope (closing it closes the client). `disableOfflineQueue`:
 * while Redis is away a command fails at once (the packages fail closed with
 * SEC_E_INTERNAL_ERROR) instead of being sent after the reconnect; the client
 * reconnects by itself. Redis unreachable at start-up is a one-line failure.
 */
export const build = (
  url: string
): Effect.Effect<Context.Context<ReplayCache.ReplayCache | HandshakeStore.HandshakeStore>, CliFailure, Scope.Scope> =>
  Effect.flatMap(handshakeKey, (key) =>
    Layer.build(
      Layer.mergeAll(RedisReplayCache.layer(), RedisHandshakeStore.layer({ key })).pipe(
        Layer.provide(NodeRedis.layer({ url, disableOfflineQueue: true }))
      )
    ).pipe(
      Effect.mapError((e) => new CliFailure({ message: `--redis ${redisLabel(url)}: ${explain(Predicate.hasProperty(e, "cause") && e.cause !== undefined ? e.cause : e)}` })),
      // node-redis reports every failed (re)connection as a warning with a stack; the
      // start-up failure is the one line above, and while Redis is away each request
      // fails closed (SEC_E_INTERNAL_ERROR) without flooding stderr
      Effect.provideService(References.MinimumLogLevel, "Error")
    ))
