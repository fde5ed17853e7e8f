/**
 * fast-check: the SEC_CHANNEL_BINDINGS decoder (the one decoder in core that
 * reads caller-supplied bytes) never throws; what it accepts lies within
 * the buffer; SecBuffer.channelBindings round-trips.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { ChannelBindings, SecBuffer } from "@effect-sspi/core"

describe("ChannelBindings.decode properties", () => {
  it("arbitrary bytes and mutated structures: a value within bounds or SEC_E_BAD_BINDINGS, never a throw", () => {
    const structure = fc.uint8Array({ maxLength: 64 }).map((app) => SecBuffer.channelBindings(app).data)
    const mutated = fc.tuple(structure, fc.nat(), fc.nat(0xffffffff)).map(([b, at, v]) => {
      const copy = Uint8Array.from(b)
      if (copy.length >= 4) new DataView(copy.buffer).setUint32(at % (copy.length - 3), v, true)
      return copy
    })
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated), (bytes) => {
      const r = ChannelBindings.decode(bytes)
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure._tag, "BadBindings")
        return
      }
      for (const part of [r.success.initiatorAddress, r.success.acceptorAddress, r.success.applicationData]) {
        assert.isAtMost(part.length, bytes.length - 32)
      }
      assert.strictEqual(ChannelBindings.hash(r.success).length, 16)
    }), { numRuns: 3000 })
  })

  it("SecBuffer.channelBindings → decode is the identity on the application data", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (app) => {
      const r = ChannelBindings.decode(SecBuffer.channelBindings(app).data)
      assert.isTrue(Result.isSuccess(r))
      if (Result.isSuccess(r)) assert.deepStrictEqual(Buffer.from(r.success.applicationData), Buffer.from(app))
    }))
  })
})
