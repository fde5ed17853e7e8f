/**
 * Credentials as a scoped resource: acquired through
 * acquireCredentialsHandleAsync, freed through freeCredentialsHandleAsync
 * (awaited) when the scope closes.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { callAndAwait } from "./internal/call.ts"
import type { CredHandle } from "./internal/handleTable.ts"
import type { AcquireCredentialsParams } from "./internal/runtime.ts"
import type { SspiError } from "./SecurityError.ts"
import { acquireCredentialsHandleAsync, freeCredentialsHandleAsync } from "./Sspi.ts"
import type { SspiRuntime } from "./SspiRuntime.ts"

/**
 * An acquired credential.
 *
 * @since 0.1.0
 */
export interface Credentials {
  readonly handle: CredHandle
  readonly packageName: string
  /** Milliseconds since the epoch; `Infinity` for none. */
  readonly expiry: number
}

/**
 * Acquires a credential for the scope's lifetime.
 *
 * @since 0.1.0
 */
export const acquire = (
  params: AcquireCredentialsParams
): Effect.Effect<Credentials, SspiError, SspiRuntime | Scope.Scope> =>
  Effect.acquireRelease(
    Effect.map(
      callAndAwait("CredentialsAcquired", (ctx) => acquireCredentialsHandleAsync(ctx, params)),
      (result): Credentials => ({ handle: result.credential, packageName: params.packageName, expiry: result.expiry })
    ),
    (credentials) =>
      Effect.ignore(callAndAwait("Released", (ctx) => freeCredentialsHandleAsync(ctx, credentials.handle)))
  )
