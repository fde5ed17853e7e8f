/**
 * Test support: a real redis-server per test (interop-harness), a NodeRedis
 * layer per "process".
 */
import { NodeRedis } from "@effect/platform-node"
import { Context, Effect, Layer, Redacted } from "effect"
import type { Redis } from "effect/persistence/Redis"
import { RedisServer } from "@effect-sspi/interop-harness"

/** redis-server is installed (else skipped loudly; under CI=true the file fails). */
export const redisAvailable = RedisServer.requireSync()

/** A NodeRedis client of its own, as a separate process would have. */
export const clientLayer = (server: RedisServer.RedisServer, options: ClientOptions = {}) =>
  NodeRedis.layer({ url: server.url, ...options })

/** node-redis options a test varies. */
export interface ClientOptions {
  /** Fail commands at once while disconnected instead of queueing them until the reconnect. */
  readonly disableOfflineQueue?: boolean
}

/** Builds `layer` over its own Redis client in the current scope and returns its service. */
export const buildWith = <I, S, E>(
  server: RedisServer.RedisServer,
  tag: Context.Key<I, S>,
  layer: Layer.Layer<I, E, Redis>,
  options: ClientOptions = {}
) =>
  Layer.build(layer.pipe(Layer.provide(clientLayer(server, options)))).pipe(Effect.map((ctx) => Context.get(ctx, tag)))

/** A raw Redis client on the server, for looking at (and tampering with) what the Layers stored. */
export const raw = (server: RedisServer.RedisServer) =>
  Layer.build(clientLayer(server)).pipe(Effect.map((ctx) => Context.get(ctx, NodeRedis.NodeRedis).client))

/** A fixed 32-byte test key. */
export const testKey = Redacted.make(new Uint8Array(32).fill(7))
