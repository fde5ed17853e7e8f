import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { Flags, SecurityStatus, Sspi, SspiRuntime } from "@effect-sspi/core"
import { acquire, clientAuth, withToy } from "./support/harness.ts"

const PENDING = SecurityStatus.codes.SEC_I_ASYNC_CALL_PENDING
const slow = { ...clientAuth, delayMs: 1000 }

/** Queues a slow first leg and returns its async context. */
const slowLeg = Effect.gen(function*() {
  const credential = yield* acquire(Flags.CredentialUse.OUTBOUND, slow)
  const ctx = yield* Sspi.createAsyncContext
  yield* Sspi.initializeSecurityContextAsync(ctx, { credential, targetName: "toy/server" })
  return { ctx, credential }
})

describe("async contexts", () => {
  it.effect("polling: SEC_I_ASYNC_CALL_PENDING while the call runs, then its status", () =>
    withToy(() =>
      Effect.gen(function*() {
        const { ctx } = yield* slowLeg
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(ctx), PENDING)
        yield* TestClock.adjust(999)
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(ctx), PENDING)
        yield* TestClock.adjust(1)
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(ctx), SecurityStatus.codes.SEC_I_CONTINUE_NEEDED)
        const result = yield* Sspi.awaitAsyncCall(ctx)
        assert.strictEqual(result._tag, "ContextStep")
      })
    ))

  it.effect("callback: runs exactly once per completed call, with its data, on the call's fiber", () =>
    withToy(() =>
      Effect.gen(function*() {
        const seen = yield* Ref.make<Array<[number, unknown]>>([])
        const rt = yield* SspiRuntime.SspiRuntime
        const credential = yield* acquire(Flags.CredentialUse.OUTBOUND, slow)
        const ctx = yield* Sspi.createAsyncContext
        yield* Sspi.setAsyncNotifyCallback(ctx, (c, data) =>
          Effect.flatMap(Sspi.getAsyncCallStatus(c).pipe(Effect.provideService(SspiRuntime.SspiRuntime, rt)), (s) =>
            Ref.update(seen, (xs): Array<[number, unknown]> => [...xs, [s, data]])), "cookie")
        assert.isTrue(yield* Sspi.asyncContextRequiresNotify(ctx))
        yield* Sspi.initializeSecurityContextAsync(ctx, { credential })
        assert.deepStrictEqual(yield* Ref.get(seen), [], "not on the caller's stack")
        yield* TestClock.adjust(1000)
        yield* Effect.yieldNow
        assert.deepStrictEqual(yield* Ref.get(seen), [[SecurityStatus.codes.SEC_I_CONTINUE_NEEDED, "cookie"]])
        // reinit and a second call: notified once more
        const first = yield* Sspi.awaitAsyncCall(ctx)
        yield* Sspi.reinitAsyncContext(ctx)
        yield* Sspi.deleteSecurityContextAsync(ctx, (first as { context: Sspi.CtxtHandle }).context)
        yield* Sspi.awaitAsyncCall(ctx)
        yield* Effect.yieldNow
        assert.strictEqual((yield* Ref.get(seen)).length, 2)
        yield* Sspi.freeAsyncContext(ctx)
      })
    ))

  it.effect("a callback removed with null does not run; one set after completion runs once", () =>
    withToy(() =>
      Effect.gen(function*() {
        let calls = 0
        const { ctx } = yield* slowLeg
        yield* Sspi.setAsyncNotifyCallback(ctx, () => void calls++)
        yield* Sspi.setAsyncNotifyCallback(ctx, null)
        assert.isFalse(yield* Sspi.asyncContextRequiresNotify(ctx))
        yield* TestClock.adjust(1000)
        yield* Sspi.awaitAsyncCall(ctx)
        assert.strictEqual(calls, 0)
        yield* Sspi.setAsyncNotifyCallback(ctx, () => void calls++)
        yield* Effect.yieldNow
        yield* Effect.yieldNow
        assert.strictEqual(calls, 1)
        yield* Sspi.setAsyncNotifyCallback(ctx, () => void calls++)
        yield* Effect.yieldNow
        assert.strictEqual(calls, 1, "never twice for one call")
      })
    ))

  it.effect("await gives the out values or the typed error", () =>
    withToy(() =>
      Effect.gen(function*() {
        const credential = yield* acquire(Flags.CredentialUse.OUTBOUND, clientAuth)
        const ctx = yield* Sspi.createAsyncContext
        yield* Sspi.acceptSecurityContextAsync(ctx, { credential, input: [] })
        const exit = yield* Effect.exit(Sspi.awaitAsyncCall(ctx))
        assert.isTrue(Exit.isFailure(exit))
        assert.strictEqual(SecurityStatus.fromExit(exit), SecurityStatus.codes.SEC_E_NO_CREDENTIALS)
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(ctx), SecurityStatus.codes.SEC_E_NO_CREDENTIALS)
      })
    ))

  it.effect("a second call on a busy or completed context is refused at queueing; reinit makes it reusable", () =>
    withToy(() =>
      Effect.gen(function*() {
        const { ctx, credential } = yield* slowLeg
        const busy = yield* Effect.flip(Sspi.initializeSecurityContextAsync(ctx, { credential }))
        assert.strictEqual(busy._tag, "InvalidParameter")
        const reinitBusy = yield* Effect.flip(Sspi.reinitAsyncContext(ctx))
        assert.strictEqual(reinitBusy._tag, "InvalidParameter")
        yield* TestClock.adjust(1000)
        const result = yield* Sspi.awaitAsyncCall(ctx)
        const done = yield* Effect.flip(Sspi.initializeSecurityContextAsync(ctx, { credential }))
        assert.strictEqual(done._tag, "InvalidParameter")
        yield* Sspi.reinitAsyncContext(ctx)
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(ctx), SecurityStatus.codes.SEC_E_OK)
        yield* Sspi.deleteSecurityContextAsync(ctx, (result as { context: Sspi.CtxtHandle }).context)
        yield* Sspi.awaitAsyncCall(ctx)
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(ctx), SecurityStatus.codes.SEC_E_OK)
      })
    ))

  it.effect("free while pending: the call completes, releases what it made, notifies nobody; nothing stays alive", () =>
    Effect.gen(function*() {
      let notified = 0
      const { value, toy } = yield* withToy(() =>
        Effect.gen(function*() {
          const { ctx, credential } = yield* slowLeg
          yield* Sspi.setAsyncNotifyCallback(ctx, () => void notified++)
          yield* Sspi.freeAsyncContext(ctx)
          const useAfterFree = yield* Effect.flip(Sspi.getAsyncCallStatus(ctx))
          assert.strictEqual(useAfterFree._tag, "InvalidHandle")
          assert.strictEqual((yield* SspiRuntime.stats).calls, 1, "the call still runs")
          yield* TestClock.adjust(1000)
          yield* Effect.yieldNow
          const freeCtx = yield* Sspi.createAsyncContext
          yield* Sspi.freeCredentialsHandleAsync(freeCtx, credential)
          yield* Sspi.awaitAsyncCall(freeCtx)
          yield* Sspi.freeAsyncContext(freeCtx)
          return yield* SspiRuntime.stats
        })
      )
      assert.deepStrictEqual(value, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
      assert.strictEqual(notified, 0)
      assert.strictEqual(toy.live.size, 0)
      assert.strictEqual(toy.creds.size, 0)
      assert.isTrue(toy.keys.every((key) => key.every((b) => b === 0)))
    }))

  it.effect("free twice and every use of a freed async context are SEC_E_INVALID_HANDLE", () =>
    withToy(() =>
      Effect.gen(function*() {
        const ctx = yield* Sspi.createAsyncContext
        yield* Sspi.freeAsyncContext(ctx)
        const errors = yield* Effect.all([
          Effect.flip(Sspi.freeAsyncContext(ctx)),
          Effect.flip(Sspi.reinitAsyncContext(ctx)),
          Effect.flip(Sspi.asyncContextRequiresNotify(ctx)),
          Effect.flip(Sspi.setAsyncNotifyCallback(ctx, null)),
          Effect.flip(Sspi.awaitAsyncCall(ctx)),
          Effect.flip(Sspi.acquireCredentialsHandleAsync(ctx, { packageName: "Toy", credentialUse: 2 }))
        ])
        for (const error of errors) assert.strictEqual(error.code, SecurityStatus.codes.SEC_E_INVALID_HANDLE)
        const forged = Effect.flip(Sspi.getAsyncCallStatus({ lower: 0, upper: 1 } as never))
        assert.strictEqual((yield* forged)._tag, "InvalidHandle")
      })
    ))

  it.effect("runtime shutdown: pending calls complete with SEC_E_SHUTDOWN_IN_PROGRESS and state is released", () =>
    Effect.gen(function*() {
      const { value: fiber, toy } = yield* withToy(() =>
        Effect.gen(function*() {
          const { ctx } = yield* slowLeg
          const fiber = yield* Effect.forkDetach(Sspi.awaitAsyncCall(ctx))
          yield* Effect.yieldNow
          return fiber
        })
      )
      const exit = yield* Fiber.await(fiber)
      assert.strictEqual(SecurityStatus.fromExit(exit), SecurityStatus.codes.SEC_E_SHUTDOWN_IN_PROGRESS)
      assert.strictEqual(toy.live.size, 0)
      assert.strictEqual(toy.creds.size, 0)
    }))

  it.effect("a defect in a package is SEC_E_INTERNAL_ERROR, as a typed error", () =>
    withToy(() =>
      Effect.gen(function*() {
        const credential = yield* acquire(Flags.CredentialUse.OUTBOUND, { ...clientAuth, dieOnLeg: 1 })
        const ctx = yield* Sspi.createAsyncContext
        yield* Sspi.initializeSecurityContextAsync(ctx, { credential })
        const error = yield* Effect.flip(Sspi.awaitAsyncCall(ctx))
        assert.strictEqual(error._tag, "InternalError")
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(ctx), SecurityStatus.codes.SEC_E_INTERNAL_ERROR)
      })
    ))

  it.effect("an unknown package is SEC_E_SECPKG_NOT_FOUND; a bad credential use SEC_E_INVALID_PARAMETER", () =>
    withToy(() =>
      Effect.gen(function*() {
        const ctx = yield* Sspi.createAsyncContext
        yield* Sspi.acquireCredentialsHandleAsync(ctx, { packageName: "Nope", credentialUse: 2 })
        assert.strictEqual((yield* Effect.flip(Sspi.awaitAsyncCall(ctx)))._tag, "SecpkgNotFound")
        yield* Sspi.reinitAsyncContext(ctx)
        yield* Sspi.acquireCredentialsHandleAsync(ctx, { packageName: "toy", credentialUse: 7 as never })
        assert.strictEqual((yield* Effect.flip(Sspi.awaitAsyncCall(ctx)))._tag, "InvalidParameter")
      })
    ))
})
