import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Schema } from "effect"
import { SecurityError, SecurityStatus } from "@effect-sspi/core"

describe("SecurityStatus", () => {
  it("has the winerror.h values", () => {
    const expected: Record<string, number> = {
      SEC_E_OK: 0x00000000,
      SEC_I_CONTINUE_NEEDED: 0x00090312,
      SEC_I_COMPLETE_NEEDED: 0x00090313,
      SEC_I_COMPLETE_AND_CONTINUE: 0x00090314,
      SEC_I_ASYNC_CALL_PENDING: 0x00090368,
      SEC_E_INVALID_HANDLE: 0x80090301,
      SEC_E_INVALID_TOKEN: 0x80090308,
      SEC_E_LOGON_DENIED: 0x8009030c,
      SEC_E_CONTEXT_EXPIRED: 0x80090317,
      SEC_E_MESSAGE_ALTERED: 0x8009030f,
      SEC_E_OUT_OF_SEQUENCE: 0x80090310,
      SEC_E_SECPKG_NOT_FOUND: 0x80090305,
      SEC_E_TIME_SKEW: 0x80090324,
      SEC_E_UNFINISHED_CONTEXT_DELETED: 0x80090333,
      SEC_E_DOWNGRADE_DETECTED: 0x80090350,
      SEC_E_INVALID_PARAMETER: 0x8009035d,
      SEC_E_MUTUAL_AUTH_FAILED: 0x80090363,
      SEC_E_BAD_BINDINGS: 0x80090346,
      SEC_E_NO_CONTEXT: 0x80090361
    }
    for (const [name, code] of Object.entries(expected)) {
      assert.strictEqual(SecurityStatus.codes[name as SecurityStatus.StatusName], code, name)
    }
  })

  it("values are unique and the schema maps code ↔ name", () => {
    const values = Object.values(SecurityStatus.codes)
    assert.strictEqual(new Set(values).size, values.length)
    assert.strictEqual(Schema.decodeUnknownSync(SecurityStatus.StatusFromCode)(0x8009030c), "SEC_E_LOGON_DENIED")
    assert.strictEqual(Schema.encodeSync(SecurityStatus.StatusFromCode)("SEC_I_CONTINUE_NEEDED"), 0x00090312)
    assert.throws(() => Schema.decodeUnknownSync(SecurityStatus.StatusFromCode)(0x12345678))
  })

  it("classifies success, informational and error", () => {
    assert.isTrue(SecurityStatus.isSuccess(0))
    assert.isFalse(SecurityStatus.isInformational(0))
    assert.isTrue(SecurityStatus.isInformational(0x00090312))
    assert.isTrue(SecurityStatus.isError(0x80090301))
    assert.isFalse(SecurityStatus.isSuccess(0x80090301))
    assert.strictEqual(SecurityStatus.format(0x8009030c), "SEC_E_LOGON_DENIED (0x8009030C)")
  })

  it("has one tagged error per error status, carrying its code", () => {
    for (const [name, code] of Object.entries(SecurityStatus.codes)) {
      const error = SecurityError.fromStatus(name as SecurityStatus.StatusName)
      if (SecurityStatus.isError(code)) {
        assert.isDefined(error, name)
        assert.strictEqual(error!.code, code)
        assert.strictEqual(error!.status, name)
      } else {
        assert.isUndefined(error, name)
      }
    }
  })

  it.effect("catchTag selects one status", () =>
    Effect.gen(function*() {
      const failing: Effect.Effect<number, SecurityError.SspiError> = Effect.fail(new SecurityError.InvalidHandle({}))
      const code = yield* failing.pipe(Effect.catchTag("InvalidHandle", (e) => Effect.succeed(e.code)))
      assert.strictEqual(code, 0x80090301)
    }))

  it("fromExit is total", () => {
    assert.strictEqual(SecurityStatus.fromExit(Exit.succeed(undefined)), 0)
    assert.strictEqual(SecurityStatus.fromExit(Exit.succeed({ status: 0x00090312 })), 0x00090312)
    assert.strictEqual(SecurityStatus.fromExit(Exit.fail(new SecurityError.LogonDenied({}))), 0x8009030c)
    assert.strictEqual(SecurityStatus.fromExit(Exit.die(new Error("boom"))), 0x80090304)
    assert.strictEqual(SecurityStatus.fromExit(Exit.failCause(Cause.interrupt())), 0x80090333)
  })

  it("the message is the status and the detail given", () => {
    const error = new SecurityError.LogonDenied({ detail: "user alice" })
    assert.strictEqual(error.message, "SEC_E_LOGON_DENIED (0x8009030C): user alice")
  })
})
