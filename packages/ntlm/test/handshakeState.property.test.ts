/**
 * The shared handshake state's codec (fast-check): any state round-trips
 * under its own id and under no other; any bytes, and any mutation of a
 * valid encoding, decode to a typed failure or a state, never a throw.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { Result } from "effect"
import { avString, avTimestamp, fileTimeFromUnixMillis, findAvPair } from "../src/internal/avpairs.ts"
import { AvId, NegotiateFlags as F } from "../src/internal/constants.ts"
import {
  decodeServerState,
  encodeServerState,
  idOfTimestamp,
  issueTimestamp,
  RANDOM_BITS
} from "../src/internal/handshakeState.ts"
import { encodeChallenge, encodeNegotiate } from "./support/encode.ts"

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max })

/** A state as the acceptor stores it: a NEGOTIATE, a CHALLENGE with names and a timestamp, maybe a bindings hash. */
const state = fc.record({
  negotiateFlags: fc.integer({ min: 0, max: 0xffffffff }),
  flags: fc.integer({ min: 0, max: 0xffffffff }),
  serverChallenge: bytes(8, 8),
  computer: fc.string({ maxLength: 40 }),
  domain: fc.string({ maxLength: 40 }),
  timestamp: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  bindings: fc.option(bytes(16, 16), { nil: undefined })
}).map((s) => {
  const stamp = avTimestamp(s.timestamp)
  const flags = s.flags | F.TARGET_INFO
  return {
    id: idOfTimestamp(stamp),
    flags,
    serverChallenge: s.serverChallenge,
    bindings: s.bindings,
    negotiate: encodeNegotiate({ flags: s.negotiateFlags }),
    challenge: encodeChallenge({
      flags,
      serverChallenge: s.serverChallenge,
      targetInfo: [avString(AvId.MsvAvNbComputerName, s.computer), avString(AvId.MsvAvNbDomainName, s.domain), stamp]
    })
  }
})

const hex = (b: Uint8Array | undefined) => b === undefined ? undefined : Buffer.from(b).toString("hex")

describe("shared handshake state codec", () => {
  it("round-trips under its id, and is refused under any other", () => {
    fc.assert(
      fc.property(state, fc.string({ maxLength: 30 }), (s, otherId) => {
        const encoded = encodeServerState(s)
        const decoded = Result.getOrThrow(decodeServerState(encoded, s.id))
        assert.strictEqual(decoded.flags >>> 0, s.flags >>> 0)
        assert.strictEqual(hex(decoded.serverChallenge), hex(s.serverChallenge))
        assert.strictEqual(hex(decoded.negotiate), hex(s.negotiate))
        assert.strictEqual(hex(decoded.challenge), hex(s.challenge))
        assert.strictEqual(hex(decoded.bindings), hex(s.bindings))
        assert.strictEqual(hex(findAvPair(decoded.targetInfo, AvId.MsvAvTimestamp)?.value), s.id.slice(5))
        if (otherId !== s.id) assert.isTrue(Result.isFailure(decodeServerState(encoded, otherId)))
      }),
      { numRuns: 300 }
    )
  })

  it("any bytes: a typed failure or a state, never a throw", () => {
    fc.assert(fc.property(bytes(0, 400), fc.string({ maxLength: 30 }), (b, id) => {
      const r = decodeServerState(b, id)
      if (Result.isFailure(r)) assert.strictEqual(r.failure._tag, "NtlmMalformed")
    }), { numRuns: 1000 })
  })

  it("mutated and truncated encodings: a typed failure or a state, never a throw", () => {
    const mutated = fc.tuple(state, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
    fc.assert(fc.property(mutated, ([s, edits, cut]) => {
      const b = encodeServerState(s)
      for (const [at, v] of edits) b[at % b.length] = v
      const r = decodeServerState(b.subarray(0, b.length - (cut % 4 === 0 ? cut % b.length : 0)), s.id)
      if (Result.isFailure(r)) assert.strictEqual(r.failure._tag, "NtlmMalformed")
    }), { numRuns: 1000 })
  })

  it("the issued MsvAvTimestamp is within ±0.84 s (2^23 × 100 ns) of the clock and carries random low-order bits", () => {
    const now = 1_700_000_000_000
    const base = fileTimeFromUnixMillis(now)
    const values = new Set<bigint>()
    for (let i = 0; i < 200; i++) {
      const v = new DataView(issueTimestamp(now).value.buffer).getBigUint64(0, true)
      const offset = v - base
      assert.isTrue(offset >= -(1n << BigInt(RANDOM_BITS - 1)) && offset < 1n << BigInt(RANDOM_BITS - 1), `${offset}`)
      values.add(v)
    }
    assert.isAtLeast(values.size, 199)
  })
})
