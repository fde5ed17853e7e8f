/**
 * Core: the full async lifecycle (create async context, acquire, one
 * initialize/accept round, delete, status) against a bare Deferred round
 * trip, and the heap per live security context. The package is a no-op one
 * (bench code only), so the figures are the runtime's own cost.
 */
import { Deferred, Effect, Exit, Fiber, Layer, ManagedRuntime, Scope } from "effect"
import { Credentials, Flags, SecBuffer, SecurityContext, SecurityPackage, Sspi, SspiRuntime } from "@effect-sspi/core"
import { effectOps, print } from "./measure.ts"

const token = SecBuffer.token(new Uint8Array(16))
const nullPackage: SecurityPackage.SecurityPackage<null, { n: number }> = {
  info: { name: "Null", comment: "bench", capabilities: 0, version: 1, rpcId: 0, maxToken: 16 },
  acquireCredentials: () => Effect.succeed({ credential: null, expiry: Infinity }),
  freeCredentials: () => Effect.void,
  initialize: (_c, _s) => Effect.succeed({ status: "SEC_E_OK", state: { n: 0 }, output: [token], attributes: 0, expiry: Infinity }),
  accept: (_c, _s) => Effect.succeed({ status: "SEC_E_OK", state: { n: 0 }, output: [], attributes: 0, expiry: Infinity }),
  deleteContext: () => Effect.void,
  queryAttribute: (_s, attribute) =>
    attribute === "Names" ? Effect.succeed({ userName: "bench" }) as never : Effect.die("unused"),
  makeSignature: () => Effect.die("unused"),
  verifySignature: () => Effect.die("unused"),
  encryptMessage: () => Effect.die("unused"),
  decryptMessage: () => Effect.die("unused")
}

const layer = SspiRuntime.SspiRuntime.layer.pipe(Layer.provide(SecurityPackage.SecurityPackages.layer(nullPackage)))

/** One call on a fresh async context, awaited, status read, context freed. */
const call = (queue: (ctx: Sspi.SspiAsyncContext) => Effect.Effect<void, unknown, SspiRuntime.SspiRuntime>) =>
  Effect.gen(function*() {
    const ctx = yield* Sspi.createAsyncContext
    yield* queue(ctx)
    const result = yield* Sspi.awaitAsyncCall(ctx)
    yield* Sspi.getAsyncCallStatus(ctx)
    yield* Sspi.freeAsyncContext(ctx)
    return result
  })

const lifecycle = Effect.gen(function*() {
  const acquired = yield* call((ctx) => Sspi.acquireCredentialsHandleAsync(ctx, { packageName: "Null", credentialUse: Flags.CredentialUse.BOTH }))
  if (acquired._tag !== "CredentialsAcquired") throw new Error()
  const client = yield* call((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: acquired.credential }))
  const server = yield* call((ctx) => Sspi.acceptSecurityContextAsync(ctx, { credential: acquired.credential, input: [token] }))
  if (client._tag !== "ContextStep" || server._tag !== "ContextStep") throw new Error()
  yield* call((ctx) => Sspi.deleteSecurityContextAsync(ctx, client.context))
  yield* call((ctx) => Sspi.deleteSecurityContextAsync(ctx, server.context))
  yield* call((ctx) => Sspi.freeCredentialsHandleAsync(ctx, acquired.credential))
})

/**
 * What SspiServer does per one-leg request through the scoped API: a scope,
 * an acceptor context, one step, three queries, the scope closed (the
 * context deleted).
 */
const scopedAccept = (credentials: Credentials.Credentials) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* SecurityContext.acceptor(credentials).pipe(Scope.provide(scope))
    yield* context.step(token.data)
    yield* context.query("Names")
    yield* context.query("Flags")
    yield* context.query("Lifespan")
    yield* Scope.close(scope, Exit.void)
  })

const deferredRoundTrip = Effect.gen(function*() {
  const deferred = yield* Deferred.make<number>()
  const fiber = yield* Effect.forkChild(Deferred.succeed(deferred, 1))
  yield* Deferred.await(deferred)
  yield* Fiber.await(fiber)
})

export const runCore = async (): Promise<void> => {
  console.log("core: async lifecycle (7 async calls: acquire, initialize, accept, 2 deletes, free; each created, awaited, polled, freed)")
  const runtime = ManagedRuntime.make(layer)
  const ctx = await runtime.context()
  const life = await effectOps("full async lifecycle", Effect.provideContext(lifecycle, ctx))
  const base = await effectOps("bare Deferred round trip (fork + complete + await)", deferredRoundTrip)
  const credentialScope = await Effect.runPromise(Scope.make())
  const credentials = await runtime.runPromise(
    Credentials.acquire({ packageName: "Null", credentialUse: Flags.CredentialUse.INBOUND }).pipe(Scope.provide(credentialScope))
  )
  const scoped = await effectOps("scoped acceptor: step, 3 queries, delete (SspiServer's path)", Effect.provideContext(scopedAccept(credentials), ctx))
  print(life)
  print(base)
  console.log(`  → one lifecycle costs ${(base.opsPerSec / life.opsPerSec).toFixed(1)} Deferred round trips (7 calls: ${(base.opsPerSec / life.opsPerSec / 7).toFixed(2)} per call)`)
  print(scoped)
  console.log(`  → ${(1e6 / scoped.opsPerSec).toFixed(1)} us per scoped accept`)
  // heap per live security context
  const n = 20_000
  const acquire = await Effect.runPromise(Effect.provideContext(call((c) => Sspi.acquireCredentialsHandleAsync(c, { packageName: "Null", credentialUse: 3 })), ctx))
  if (acquire._tag !== "CredentialsAcquired") throw new Error()
  globalThis.gc?.()
  const before = process.memoryUsage().heapUsed
  const handles = await Effect.runPromise(Effect.provideContext(
    Effect.forEach(Array.from({ length: n }), () => call((c) => Sspi.initializeSecurityContextAsync(c, { credential: acquire.credential }))),
    ctx
  ))
  globalThis.gc?.()
  const after = process.memoryUsage().heapUsed
  console.log(`  heap per live security context: ${((after - before) / n).toFixed(0)} bytes (${n} contexts${globalThis.gc ? "" : "; run with --expose-gc for a steadier figure"})`)
  void handles
  await runtime.runPromise(Scope.close(credentialScope, Exit.void))
  await runtime.dispose()
}
