/**
 * Timing, under TestClock: a silent KDC times out (SEC_E_NO_AUTHENTICATING_AUTHORITY),
 * an expired ticket (SEC_E_CONTEXT_EXPIRED), clock skew (SEC_E_TIME_SKEW), and a
 * context that outlives its ticket. Tickets come from the stand-in in support/standIn.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { SilentKdc } from "@effect-sspi/interop-harness"
import { Kerberos } from "../src/index.ts"
import { apReq, keytab } from "./support/standIn.ts"

const runtime = (options: Kerberos.KerberosOptions = {}) =>
  SspiRuntime.SspiRuntime.layer.pipe(Layer.provide(Kerberos.layer({ krb5Config: "/nonexistent", env: {}, ...options })))

const MINUTE = 60_000
const HOUR = 60 * MINUTE

const acceptor = Effect.gen(function*() {
  const cred = yield* Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab: keytab() } })
  return yield* SecurityContext.acceptor(cred)
})

describe("Kerberos timing (TestClock)", () => {
  it.effect("a KDC that never answers → SEC_E_NO_AUTHENTICATING_AUTHORITY after the time-out", () =>
    Effect.scoped(Effect.gen(function*() {
      const kdc = yield* SilentKdc.start
      const layer = runtime({ realm: "TEST.REALM", kdc: [kdc.address], udpPreferenceLimit: 1, kdcTimeout: "3 seconds" })
      const error = yield* Effect.gen(function*() {
        const cred = yield* Credentials.acquire({
          packageName: "Kerberos",
          credentialUse: Flags.CredentialUse.OUTBOUND,
          authData: { principal: "alice", password: Redacted.make("pw") }
        })
        const ctx = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost" })
        const fiber = yield* Effect.forkChild(Effect.flip(ctx.step()))
        for (let i = 0; i < 10; i++) {
          yield* Effect.yieldNow
          yield* TestClock.adjust("1 second")
        }
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(layer))
      assert.strictEqual(error.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
    })))

  it.effect("no KDC configured → SEC_E_NO_AUTHENTICATING_AUTHORITY", () =>
    Effect.scoped(Effect.gen(function*() {
      const cred = yield* Credentials.acquire({
        packageName: "Kerberos",
        credentialUse: Flags.CredentialUse.OUTBOUND,
        authData: { principal: "alice@NOWHERE", password: Redacted.make("pw") }
      })
      const ctx = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost" })
      const error = yield* Effect.flip(ctx.step())
      assert.strictEqual(error.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
    }).pipe(Effect.provide(runtime()))))

  it.effect("an expired ticket → SEC_E_CONTEXT_EXPIRED", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* TestClock.setTime(10 * HOUR)
      const ctx = yield* acceptor
      const error = yield* Effect.flip(ctx.step(apReq({ authtime: 0, endtime: 9 * HOUR, ctime: 10 * HOUR })))
      assert.strictEqual(error.status, "SEC_E_CONTEXT_EXPIRED")
    }).pipe(Effect.provide(runtime()))))

  it.effect("an authenticator outside the 5-minute skew → SEC_E_TIME_SKEW; inside → accepted", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* TestClock.setTime(HOUR)
      const late = yield* acceptor
      const error = yield* Effect.flip(late.step(apReq({ authtime: 0, endtime: 10 * HOUR, ctime: HOUR - 6 * MINUTE })))
      assert.strictEqual(error.status, "SEC_E_TIME_SKEW")
      const fine = yield* acceptor
      const step = yield* fine.step(apReq({ authtime: 0, endtime: 10 * HOUR, ctime: HOUR - 4 * MINUTE }))
      assert.strictEqual(step.status, "SEC_E_OK")
      assert.isDefined(step.token)
    }).pipe(Effect.provide(runtime()))))

  it.effect("a context stops working when its ticket ends → SEC_E_CONTEXT_EXPIRED", () =>
    Effect.scoped(Effect.gen(function*() {
      yield* TestClock.setTime(HOUR)
      const ctx = yield* acceptor
      yield* ctx.step(apReq({ authtime: 0, endtime: 2 * HOUR, ctime: HOUR }))
      yield* ctx.makeSignature(new Uint8Array([1, 2, 3]))
      yield* TestClock.adjust("61 minutes")
      const error = yield* Effect.flip(ctx.makeSignature(new Uint8Array([1, 2, 3])))
      assert.strictEqual(error.status, "SEC_E_CONTEXT_EXPIRED")
    }).pipe(Effect.provide(runtime()))))
})
