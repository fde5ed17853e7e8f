import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { type Asn1Error, decode, Der, type DerNode, Oid, type Reader, TagClass } from "../src/index.ts"
import { ok, reason, toHex } from "./helpers.ts"

/** Reads any DER tree back into writer nodes (generic walk). */
const walk = (r: Reader): Result.Result<Array<DerNode>, Asn1Error> =>
  Result.gen(function*() {
    const out: Array<DerNode> = []
    while (!r.done) {
      const tlv = yield* r.next()
      out.push(
        tlv.constructed
          ? Der.constructed(tlv.tagClass, tlv.tagNumber, yield* walk(yield* r.enter(tlv)))
          : Der.primitive(tlv.tagClass, tlv.tagNumber, tlv.value)
      )
    }
    return out
  })

const typed: ReadonlyArray<(r: Reader) => Result.Result<unknown, unknown>> = [
  (r) => r.int32(),
  (r) => r.uint32(),
  (r) => r.integer(),
  (r) => r.enumerated(),
  (r) => r.boolean(),
  (r) => r.octetString(),
  (r) => r.bitString(),
  (r) => r.kerberosFlags(),
  (r) => r.namedBits(),
  (r) => r.oid().pipe(Result.map((o) => o.toString())),
  (r) => r.generalString(),
  (r) => r.kerberosString(),
  (r) => r.generalizedTime(),
  (r) => r.gssInitialContextToken().pipe(Result.flatMap((g) => walk(g.inner))),
  (r) => r.sequenceOf((s) => s.field(0, (f) => f.int32())),
  (r) => r.applicationWith(10, (a) => a.sequenceWith((s) => s.optionalField(1, (f) => f.kerberosString()))),
  walk
]

const tree: fc.Arbitrary<DerNode> = fc.letrec<{ node: DerNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(fc.constantFrom(0, 1, 2, 3), fc.nat(300), fc.uint8Array({ maxLength: 200 }))
      .map(([c, n, v]) => Der.primitive(c as TagClass, c === 0 && n === 0 ? 4 : n, v)),
    fc.tuple(fc.constantFrom(0, 1, 2, 3), fc.nat(40), fc.array(tie("node"), { maxLength: 4 }))
      .map(([c, n, kids]) => Der.constructed(c as TagClass, n, kids))
  )
})).node

const oidArb = fc.tuple(
  fc.constantFrom(0, 1, 2),
  fc.nat(39),
  fc.array(fc.oneof(fc.nat(200), fc.nat(), fc.bigInt(0n, 1n << 130n)), { maxLength: 8 })
).map(([a, b, rest]) => [a, a === 2 ? b * 1000 : b, ...rest].join("."))

const roundTrip = <A>(arb: fc.Arbitrary<A>, enc: (a: A) => DerNode, dec: (r: Reader) => Result.Result<unknown, unknown>, norm: (a: A) => unknown = (a) => a) =>
  fc.assert(fc.property(arb, (a) => {
    expect(ok(decode(Der.encode(enc(a)), dec))).toEqual(norm(a))
  }))

describe("properties", () => {
  it("decoders never throw on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      for (const f of typed) decode(bytes, f)
    }), { numRuns: 3000 })
  })

  it("decoders never throw on mutated valid trees", () => {
    fc.assert(fc.property(tree, fc.nat(), fc.nat(255), (node, at, x) => {
      const bytes = Der.encode(node)
      if (bytes.length > 0) bytes[at % bytes.length] = bytes[at % bytes.length]! ^ x
      for (const f of typed) decode(bytes, f)
      for (let cut = 0; cut < bytes.length; cut += 1 + (bytes.length >> 4)) decode(bytes.subarray(0, cut), walk)
    }))
  })

  it("generic trees round-trip byte for byte", () => {
    fc.assert(fc.property(tree, (node) => {
      const bytes = Der.encode(node)
      expect(bytes.length).toBe(node.size)
      const again = Der.encode(Der.sequence(ok(decode(Der.encode(Der.sequence([node])), (r) =>
        r.sequenceWith(walk)))))
      expect(toHex(again)).toBe(toHex(Der.encode(Der.sequence([node]))))
    }))
  })

  it("INTEGER identity (int32, uint32, bigint)", () => {
    roundTrip(fc.integer(), Der.integer, (r) => r.int32())
    roundTrip(fc.nat({ max: 0xffffffff }), Der.integer, (r) => r.uint32())
    roundTrip(fc.bigInt(-(1n << 300n), 1n << 300n), Der.integer, (r) => r.integer())
    roundTrip(fc.maxSafeInteger(), Der.integer, (r) => r.integer(), BigInt)
    roundTrip(fc.integer(), Der.enumerated, (r) => r.enumerated())
  })

  it("BOOLEAN, OCTET STRING, BIT STRING identity", () => {
    roundTrip(fc.boolean(), Der.boolean, (r) => r.boolean())
    roundTrip(fc.uint8Array({ maxLength: 300 }), Der.octetString, (r) => r.octetString())
    roundTrip(
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.nat(7)),
      ([b, u]) => Der.bitString(b, u),
      (r) => r.bitString().pipe(Result.map((x) => [x.bytes, x.unusedBits])),
      ([b, u]) => [Uint8Array.from(b, (v, i) => (i === b.length - 1 ? v & (0xff << u) : v)), u]
    )
    roundTrip(fc.nat({ max: 0xffffffff }), Der.kerberosFlags, (r) => r.kerberosFlags())
    roundTrip(fc.nat({ max: 0x7fffffff }), Der.namedBits, (r) => r.namedBits())
  })

  it("named bit lists are minimal", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 0x7fffffff }), (m) => {
      const bits = ok(decode(Der.encode(Der.namedBits(m)), (r) => r.bitString()))
      const last = bits.bytes[bits.bytes.length - 1]!
      expect((last >> bits.unusedBits) & 1).toBe(1)
    }))
  })

  it("OID identity (dotted and bytes)", () => {
    roundTrip(oidArb, (s) => Der.oid(Oid.unsafeFromString(s)), (r) => r.oid().pipe(Result.map(String)))
  })

  it("strings and times", () => {
    roundTrip(fc.string({ unit: "grapheme", maxLength: 80 }), Der.generalString, (r) => r.kerberosString())
    roundTrip(
      fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }),
      Der.generalizedTime,
      (r) => r.generalizedTime(),
      (ms) => Math.floor(ms / 1000) * 1000
    )
    roundTrip(
      fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }),
      (d) => Der.generalizedTime(d.getTime()),
      (r) => r.generalizedTime().pipe(Result.map((ms) => new Date(ms).toISOString().slice(0, 19))),
      (d) => d.toISOString().slice(0, 19)
    )
  })

  it("GSS InitialContextToken identity", () => {
    roundTrip(
      fc.tuple(oidArb, fc.uint8Array({ maxLength: 300 })),
      ([o, inner]) => Der.gssInitialContextToken(Oid.unsafeFromString(o), inner),
      (r) => r.gssInitialContextToken().pipe(Result.map((g) => [g.mech.toString(), g.inner.rest()])),
      ([o, inner]) => [o, inner]
    )
  })

  it("non-minimal encodings are rejected", () => {
    // Re-encode a valid element's length in a longer form.
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 3 }), (v, extra) => {
      const len = v.length
      const octets: Array<number> = []
      for (let x = len; x > 0; x = Math.floor(x / 256)) octets.unshift(x & 0xff)
      const padded = [...Array(extra).fill(0), ...octets]
      const bytes = Uint8Array.from([0x04, 0x80 | padded.length, ...padded, ...v])
      expect(["NonMinimalLength", "LengthTooLarge"]).toContain(reason(decode(bytes, (r) => r.octetString())))
    }))
    // Sign-extend a valid INTEGER by one redundant octet.
    fc.assert(fc.property(fc.bigInt(-(1n << 100n), 1n << 100n), (n) => {
      const c = Der.encode(Der.integer(n)).subarray(2)
      const bytes = Uint8Array.from([0x02, c.length + 1, c[0]! >= 0x80 ? 0xff : 0x00, ...c])
      expect(reason(decode(bytes, (r) => r.integer()))).toBe("InvalidInteger")
    }))
  })
})
