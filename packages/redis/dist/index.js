/**
 * @effect-sspi/redis: Redis Layers for effect-sspi's shared state, through
 * effect's own `effect/persistence/Redis` service (the app passes its Redis
 * layer, e.g. `NodeRedis.layer({ url })` from `@effect/platform-node`).
 *
 * - {@link RedisReplayCache}: core's `ReplayCache` (`SET key 1 NX PX ttl`).
 * - {@link RedisHandshakeStore}: core's `HandshakeStore` (`SET … PX`, `GETDEL`),
 *   entries encrypted at rest with AES-256-GCM.
 *
 * @since 0.2.0
 */
/** @since 0.2.0 */
export * as RedisReplayCache from "./RedisReplayCache.js";
/** @since 0.2.0 */
export * as RedisHandshakeStore from "./RedisHandshakeStore.js";
//# sourceMappingURL=index.js.map