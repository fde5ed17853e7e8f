/**
 * The SSPI runtime service: the handle tables, the async call fibers and
 * their scope. Closing the layer's scope shuts the runtime down: pending
 * calls complete with SEC_E_SHUTDOWN_IN_PROGRESS, every context left is
 * deleted (keys zeroed) and every credential freed.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { makeRuntime, type Runtime, type RuntimeStats } from "./internal/runtime.ts"
import { SecurityPackages } from "./SecurityPackage.ts"

export type {
  /**
   * @since 0.1.0
   */
  RuntimeStats
} from "./internal/runtime.ts"

/**
 * The runtime behind the Windows-shaped functions.
 *
 * @since 0.1.0
 */
export class SspiRuntime extends Context.Service<SspiRuntime, Runtime>()("@effect-sspi/core/SspiRuntime") {
  /** The runtime, over the installed {@link SecurityPackages}. */
  static readonly layer: Layer.Layer<SspiRuntime, never, SecurityPackages> = Layer.effect(
    SspiRuntime,
    SecurityPackages.use(makeRuntime)
  )
}

/**
 * How many credentials, contexts, async contexts and call fibers are alive.
 * Every number returns to zero when nothing leaks.
 *
 * @since 0.1.0
 */
export const stats: Effect.Effect<RuntimeStats, never, SspiRuntime> = SspiRuntime.use((runtime) => runtime.stats())

/**
 * Waits until no call fiber is running. A call's fiber hands its result to
 * its awaiters just before it ends, so `stats.calls` can still count it for
 * a moment after `awaitAsyncCall` returns; this waits that moment out.
 *
 * @since 0.1.0
 */
export const awaitIdle: Effect.Effect<void, never, SspiRuntime> = SspiRuntime.use((runtime) => runtime.calls.idle())
