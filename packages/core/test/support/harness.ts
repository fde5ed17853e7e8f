/**
 * Test harness: a runtime over the Toy package, and shortcuts for the
 * Windows-shaped calls.
 */
import { Effect, Layer } from "effect"
import { Flags, SecBuffer, SecurityPackage, Sspi, SspiRuntime } from "@effect-sspi/core"
import { makeToyPackage, type ToyAuthData } from "./ToyPackage.ts"

export const runtimeLayer = (toy: ReturnType<typeof makeToyPackage>) =>
  SspiRuntime.SspiRuntime.layer.pipe(Layer.provide(SecurityPackage.SecurityPackages.layer(toy.pkg)))

/** Runs `body` against a fresh runtime; returns its value and the Toy bookkeeping. */
export const withToy = <A, E>(body: (toy: ReturnType<typeof makeToyPackage>) => Effect.Effect<A, E, SspiRuntime.SspiRuntime>) => {
  const toy = makeToyPackage()
  return Effect.map(Effect.provide(body(toy), runtimeLayer(toy)), (value) => ({ value, toy }))
}

/** Queues a call on a fresh async context and awaits it. */
export const callOnce = <A>(queue: (ctx: Sspi.SspiAsyncContext) => Effect.Effect<void, any, SspiRuntime.SspiRuntime>) =>
  Effect.gen(function*() {
    const ctx = yield* Sspi.createAsyncContext
    yield* queue(ctx)
    const result = yield* Effect.exit(Sspi.awaitAsyncCall(ctx))
    const status = yield* Sspi.getAsyncCallStatus(ctx)
    yield* Sspi.freeAsyncContext(ctx)
    return { result, status }
  })

export const acquire = (credentialUse: Flags.CredentialUse, authData: ToyAuthData) =>
  Effect.gen(function*() {
    const { result } = yield* callOnce((ctx) =>
      Sspi.acquireCredentialsHandleAsync(ctx, { packageName: "Toy", credentialUse, authData })
    )
    const value = yield* result
    if (value._tag !== "CredentialsAcquired") throw new Error("unexpected result")
    return value.credential
  })

export const clientAuth: ToyAuthData = { user: "alice", password: "secret" }
export const serverAuth: ToyAuthData = { users: { alice: "secret" } }

export const tokenOf = (buffers: ReadonlyArray<SecBuffer.SecBuffer>) =>
  buffers.filter((b) => b.baseType === SecBuffer.BufferType.TOKEN && b.data.length > 0)
