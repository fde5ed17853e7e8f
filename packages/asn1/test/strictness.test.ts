import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { type Asn1Error, decode, Der, type Reader, TagClass, UniversalTag } from "../src/index.ts"
import { hex, ok, reason } from "./helpers.ts"

describe("DER strictness", () => {
  it.each([
    ["indefinite length", "30800000", "IndefiniteLength"],
    ["long form for a short length", "04810100", "NonMinimalLength"],
    ["leading zero length octet", "0482000100", "NonMinimalLength"],
    ["five length octets", "04850000000001", "LengthTooLarge"],
    ["length past the end", "040500", "Truncated"],
    ["missing length", "04", "Truncated"],
    ["truncated long length", "0482", "Truncated"],
    ["high tag form for a low tag", "9f0100", "NonMinimalTag"],
    ["high tag with 0x80 padding", "9f800100", "NonMinimalTag"],
    ["unterminated high tag", "9f81", "Truncated"],
    ["oversized tag number", "9f8080808001", "NonMinimalTag"],
    ["huge tag number", "9fffffffff7f00", "TagTooLarge"]
  ])("rejects %s", (_, input, expected) => {
    expect(reason(decode(hex(input), (r) => r.next()))).toBe(expected)
  })

  it("rejects trailing data, with its offset", () => {
    const r = decode(hex("02010500"), (r) => r.int32())
    expect(reason(r)).toBe("TrailingData")
    expect(r._tag === "Failure" && r.failure.offset).toBe(3)
  })

  it("rejects a primitive encoding where constructed is required and vice versa", () => {
    expect(reason(decode(hex("1000"), (r) => r.sequence()))).toBe("UnexpectedTag")
    expect(reason(decode(hex("2400"), (r) => r.octetString()))).toBe("UnexpectedTag")
  })

  it("rejects bad OIDs", () => {
    expect(reason(decode(hex("0600"), (r) => r.oid()))).toBe("InvalidOid")
    expect(reason(decode(hex("0602802a"), (r) => r.oid()))).toBe("InvalidOid")
    expect(reason(decode(hex("06022a86"), (r) => r.oid()))).toBe("InvalidOid")
  })

  it("limits nesting depth", () => {
    let node = Der.octetString(new Uint8Array(0))
    for (let i = 0; i < 40; i++) node = Der.sequence([node])
    const bytes = Der.encode(node)
    const walk = (r: Reader): Result.Result<Uint8Array, Asn1Error> =>
      r.nextIs(TagClass.Universal, UniversalTag.Sequence) ? r.sequenceWith(walk) : r.octetString()
    expect(reason(decode(bytes, walk))).toBe("TooDeep")
    expect(ok(decode(bytes, walk, { maxDepth: 64 })).length).toBe(0)
  })

  it("limits input size", () => {
    const bytes = Der.encode(Der.octetString(new Uint8Array(100)))
    expect(reason(decode(bytes, (r) => r.octetString(), { maxLength: 50 }))).toBe("InputTooLarge")
  })
})
