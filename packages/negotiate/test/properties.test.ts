import { Oid } from "@effect-sspi/asn1"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { decodeMechTypeList, decodeToken } from "../src/internal/decode.ts"
import { detectToken } from "../src/internal/detect.ts"
import { encodeMechTypeList, encodeToken } from "../src/internal/encode.ts"
import { KRB5, MS_KRB5, NEGOEX, NTLMSSP } from "../src/internal/oids.ts"
import type { NegotiationToken, NegState } from "../src/internal/tokens.ts"
import { fixture, hex, ok, plain, toHex } from "./support.ts"

const fixtures = ["spnego-ntlm", "spnego-krb5", "spnego-init2"].flatMap((n) => fixture(n).tokens.map((t) => hex(t.hex)))

const noThrow = (bytes: Uint8Array): void => {
  const r = decodeToken(bytes)
  if (r._tag === "Success") expect(toHex(encodeToken(r.success))).toBe(toHex(bytes))
  detectToken(bytes)
  decodeMechTypeList(bytes)
}

const oid = fc.oneof(
  fc.constantFrom(KRB5, MS_KRB5, NTLMSSP, NEGOEX),
  fc.tuple(fc.nat(2), fc.nat(39), fc.array(fc.nat(), { maxLength: 5 })).map(([a, b, r]) =>
    Oid.unsafeFromString([a, b, ...r].join("."))
  )
)
const bytes = fc.uint8Array({ maxLength: 200 })
const some = <A>(key: string, arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined }).map((v) => (v === undefined ? {} : { [key]: v }))
const mechs = fc.array(oid, { maxLength: 4 })
const flags = fc.nat({ max: 0x7fffffff })

const token: fc.Arbitrary<NegotiationToken> = fc.oneof(
  fc.tuple(mechs, some("reqFlags", flags), some("mechToken", bytes), some("mechListMIC", bytes))
    .map(([mechTypes, ...rest]) => Object.assign({ _tag: "NegTokenInit" as const, mechTypes }, ...rest)),
  fc.tuple(
    some("mechTypes", mechs),
    some("reqFlags", flags),
    some("mechToken", bytes),
    some("negHints", fc.tuple(some("hintName", fc.string({ unit: fc.nat(255).map((c) => String.fromCharCode(c)) })), some("hintAddress", bytes)).map(([a, b]) => ({ ...a, ...b }))),
    some("mechListMIC", bytes)
  ).map((parts) => Object.assign({ _tag: "NegTokenInit2" as const }, ...parts)),
  fc.tuple(
    some("negState", fc.constantFrom<NegState>(0, 1, 2, 3)),
    some("supportedMech", oid),
    some("responseToken", bytes),
    some("mechListMIC", bytes)
  ).map((parts) => Object.assign({ _tag: "NegTokenResp" as const }, ...parts))
)

/** An Init2 that carries mechTypes but neither negHints nor a MIC is indistinguishable from an Init. */
const expected = (t: NegotiationToken): NegotiationToken =>
  t._tag === "NegTokenInit2" && t.mechTypes !== undefined && t.negHints === undefined && t.mechListMIC === undefined
    ? { ...t, _tag: "NegTokenInit", mechTypes: t.mechTypes }
    : t

describe("SPNEGO properties", () => {
  it("never throws on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), noThrow), { numRuns: 2000 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => noThrow(Uint8Array.of(0x60, b.length, ...b))))
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => noThrow(Uint8Array.of(0xa1, b.length, ...b))))
  })

  it("never throws on truncations of the fixtures", () => {
    for (const f of fixtures) {
      for (let n = 0; n < f.length; n++) {
        const r = decodeToken(f.subarray(0, n))
        expect(r._tag).toBe("Failure")
        detectToken(f.subarray(0, n))
      }
    }
  })

  it("never throws on bit flips and byte edits of the fixtures", () => {
    fc.assert(fc.property(fc.constantFrom(...fixtures), fc.nat(), fc.nat(7), fc.nat(255), (f, at, bit, v) => {
      const flipped = f.slice()
      flipped[at % f.length] = flipped[at % f.length]! ^ (1 << bit)
      noThrow(flipped)
      const edited = f.slice()
      edited[at % f.length] = v
      noThrow(edited)
    }), { numRuns: 3000 })
  })

  it("encode → decode is the identity on generated tokens", () => {
    fc.assert(fc.property(token, (t) => {
      const wire = encodeToken(t)
      const back = ok(decodeToken(wire))
      expect(plain(back)).toEqual(plain(expected(t)))
      expect(toHex(encodeToken(back))).toBe(toHex(wire))
      expect(detectToken(wire)).toBe("Spnego")
    }))
  })

  it("MechTypeList encode → decode identity", () => {
    fc.assert(fc.property(mechs, (m) => {
      expect(ok(decodeMechTypeList(encodeMechTypeList(m))).map(String)).toEqual(m.map(String))
    }))
  })
})
