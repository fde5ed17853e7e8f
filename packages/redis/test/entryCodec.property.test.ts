import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import { OVERHEAD, open, seal } from "../src/internal/entryCodec.ts"

const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const id = fc.string({ maxLength: 40 })
const plain = fc.uint8Array({ maxLength: 300 })
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

describe("handshake-store entry codec (AES-256-GCM, bound to the id)", () => {
  it("round-trips: what was sealed for an id opens for that id, byte for byte", () => {
    fc.assert(fc.property(key, id, plain, (k, i, p) => {
      const blob = seal(k, i, p)
      assert.strictEqual(blob.length, p.length + OVERHEAD)
      assert.strictEqual(hex(Option.getOrThrow(open(k, i, blob))), hex(p))
    }))
  })

  it("any garbled entry (one bit flipped, truncated, extended) is missing, never a throw", () => {
    fc.assert(fc.property(key, id, plain, fc.nat(), fc.integer({ min: 0, max: 7 }), (k, i, p, at, bit) => {
      const blob = seal(k, i, p)
      const flipped = blob.slice()
      flipped[at % blob.length]! ^= 1 << bit
      assert.isTrue(Option.isNone(open(k, i, flipped)))
      assert.isTrue(Option.isNone(open(k, i, blob.subarray(0, at % blob.length))))
      assert.isTrue(Option.isNone(open(k, i, Buffer.concat([blob, new Uint8Array([at & 0xff])]))))
    }))
  })

  it("random bytes are missing, never a throw", () => {
    fc.assert(fc.property(key, id, fc.uint8Array({ maxLength: 200 }), (k, i, junk) => {
      assert.isTrue(Option.isNone(open(k, i, junk)))
    }))
  })

  it("a foreign entry (another id, another key) is missing", () => {
    fc.assert(fc.property(key, key, id, id, plain, (k1, k2, i1, i2, p) => {
      fc.pre(hex(k1) !== hex(k2) && i1 !== i2)
      const blob = seal(k1, i1, p)
      assert.isTrue(Option.isNone(open(k1, i2, blob)))
      assert.isTrue(Option.isNone(open(k2, i1, blob)))
    }))
  })

  it("a fixed nonce gives a fixed entry (the layout is version || nonce || ciphertext || tag)", () => {
    const blob = seal(new Uint8Array(32), "id", new Uint8Array([1, 2, 3]), new Uint8Array(12))
    assert.strictEqual(blob[0], 1)
    assert.strictEqual(hex(blob.subarray(1, 13)), "00".repeat(12))
    assert.strictEqual(blob.length, 3 + OVERHEAD)
    assert.strictEqual(hex(Option.getOrThrow(open(new Uint8Array(32), "id", blob))), "010203")
  })
})
