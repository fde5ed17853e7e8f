import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { Effect, Exit } from "effect"
import { TestClock } from "effect/testing"
import { Flags, SecBuffer, SecurityStatus, Sspi, SspiRuntime } from "@effect-sspi/core"
import { clientAuth, serverAuth, withToy } from "./support/harness.ts"

type Op =
  | { readonly kind: "create" }
  | { readonly kind: "free"; readonly a: number }
  | { readonly kind: "reinit"; readonly a: number }
  | { readonly kind: "callback"; readonly a: number; readonly remove: boolean }
  | { readonly kind: "status"; readonly a: number }
  | { readonly kind: "acquire"; readonly a: number; readonly inbound: boolean; readonly delay: number }
  | { readonly kind: "freeCred"; readonly a: number; readonly c: number }
  | { readonly kind: "initialize"; readonly a: number; readonly c: number; readonly x: number; readonly fresh: boolean }
  | { readonly kind: "accept"; readonly a: number; readonly c: number; readonly x: number; readonly fresh: boolean; readonly junk: Uint8Array }
  | { readonly kind: "delete"; readonly a: number; readonly x: number }
  | { readonly kind: "tick"; readonly ms: number }

const ix = fc.nat({ max: 7 })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: "create" as const }),
  fc.record({ kind: fc.constant("free" as const), a: ix }),
  fc.record({ kind: fc.constant("reinit" as const), a: ix }),
  fc.record({ kind: fc.constant("callback" as const), a: ix, remove: fc.boolean() }),
  fc.record({ kind: fc.constant("status" as const), a: ix }),
  fc.record({ kind: fc.constant("acquire" as const), a: ix, inbound: fc.boolean(), delay: fc.constantFrom(0, 0, 100) }),
  fc.record({ kind: fc.constant("freeCred" as const), a: ix, c: ix }),
  fc.record({ kind: fc.constant("initialize" as const), a: ix, c: ix, x: ix, fresh: fc.boolean() }),
  fc.record({ kind: fc.constant("accept" as const), a: ix, c: ix, x: ix, fresh: fc.boolean(), junk: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant("delete" as const), a: ix, x: ix }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.constantFrom(1, 50, 100, 1000) })
)

const documented = (code: number) => SecurityStatus.nameOf(code) !== undefined

/** Runs one random sequence; every status is documented, handles never alias, nothing stays alive. */
const runSequence = (ops: ReadonlyArray<Op>) =>
  withToy((toy) =>
    Effect.gen(function*() {
      const asyncs: Array<Sspi.SspiAsyncContext> = []
      const creds: Array<Sspi.CredHandle> = []
      const contexts: Array<Sspi.CtxtHandle> = []
      const pick = <A>(xs: ReadonlyArray<A>, i: number) => xs.length === 0 ? undefined : xs[i % xs.length]
      const check = (exit: Exit.Exit<unknown, { readonly code: number }>) => {
        assert.isTrue(documented(SecurityStatus.fromExit(exit)))
      }
      const harvest = (a: Sspi.SspiAsyncContext) =>
        Effect.gen(function*() {
          const status = yield* Effect.exit(Sspi.getAsyncCallStatus(a))
          check(status)
          if (Exit.isSuccess(status)) assert.isTrue(documented(status.value))
          if (Exit.isSuccess(status) && status.value !== SecurityStatus.codes.SEC_I_ASYNC_CALL_PENDING) {
            const result = yield* Effect.exit(Sspi.awaitAsyncCall(a))
            if (Exit.isSuccess(result) && result.value._tag === "CredentialsAcquired" && !creds.includes(result.value.credential)) {
              creds.push(result.value.credential)
            }
            if (Exit.isSuccess(result) && result.value._tag === "ContextStep" && !contexts.includes(result.value.context)) {
              contexts.push(result.value.context)
            }
          }
        })
      for (const o of ops) {
        const a = "a" in o ? pick(asyncs, o.a) : undefined
        switch (o.kind) {
          case "create":
            asyncs.push(yield* Sspi.createAsyncContext)
            break
          case "tick":
            yield* TestClock.adjust(o.ms)
            break
          case "free":
            if (a) check(yield* Effect.exit(Sspi.freeAsyncContext(a)))
            break
          case "reinit":
            if (a) {
              yield* harvest(a)
              check(yield* Effect.exit(Sspi.reinitAsyncContext(a)))
            }
            break
          case "callback":
            if (a) check(yield* Effect.exit(Sspi.setAsyncNotifyCallback(a, o.remove ? null : () => Effect.void)))
            break
          case "status":
            if (a) yield* harvest(a)
            break
          case "acquire":
            if (a) {
              const authData = o.inbound ? { ...serverAuth, delayMs: o.delay } : { ...clientAuth, delayMs: o.delay }
              const credentialUse = o.inbound ? Flags.CredentialUse.INBOUND : Flags.CredentialUse.OUTBOUND
              check(yield* Effect.exit(Sspi.acquireCredentialsHandleAsync(a, { packageName: "Toy", credentialUse, authData })))
            }
            break
          case "freeCred": {
            const c = pick(creds, o.c)
            if (a && c) check(yield* Effect.exit(Sspi.freeCredentialsHandleAsync(a, c)))
            break
          }
          case "initialize":
          case "accept": {
            const c = pick(creds, o.c)
            if (!a || !c) break
            const context = o.fresh ? undefined : pick(contexts, o.x)
            const input = o.kind === "accept" ? [SecBuffer.token(o.junk)] : []
            const call = o.kind === "initialize" ? Sspi.initializeSecurityContextAsync : Sspi.acceptSecurityContextAsync
            check(yield* Effect.exit(call(a, { credential: c, context, input })))
            break
          }
          case "delete": {
            const x = pick(contexts, o.x)
            if (a && x) check(yield* Effect.exit(Sspi.deleteSecurityContextAsync(a, x)))
            break
          }
        }
      }
      // let everything finish, then release everything
      yield* TestClock.adjust(10_000)
      for (const a of asyncs) yield* harvest(a)
      const cleanup = yield* Sspi.createAsyncContext
      for (const x of contexts) {
        yield* Effect.ignore(Sspi.reinitAsyncContext(cleanup))
        yield* Sspi.deleteSecurityContextAsync(cleanup, x)
        check(yield* Effect.exit(Sspi.awaitAsyncCall(cleanup)))
      }
      for (const c of creds) {
        yield* Effect.ignore(Sspi.reinitAsyncContext(cleanup))
        yield* Sspi.freeCredentialsHandleAsync(cleanup, c)
        check(yield* Effect.exit(Sspi.awaitAsyncCall(cleanup)))
      }
      for (const a of [...asyncs, cleanup]) yield* Effect.ignore(Sspi.freeAsyncContext(a))
      yield* Effect.yieldNow
      const stats = yield* SspiRuntime.stats
      assert.deepStrictEqual(stats, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
      assert.strictEqual(toy.live.size, 0)
      assert.strictEqual(toy.creds.size, 0)
      assert.isTrue(toy.keys.every((key) => key.every((b) => b === 0)))
    })
  )

describe("random sequences of the API", () => {
  it("keep statuses documented, handles distinct and nothing alive at the end", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), (ops) =>
        Effect.runPromise(runSequence(ops).pipe(Effect.provide(TestClock.layer())), undefined).then(() => true)
      ),
      { numRuns: 150 }
    )
  })
})
