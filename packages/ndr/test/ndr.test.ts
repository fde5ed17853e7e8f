import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { Filetime, NdrReader, NdrWriter, Sid, TypeSerialization } from "../src/index.ts"

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"))

/** A model shaped like the PAC's structures: scalars, strings, an array of structs with embedded pointers. */
interface Model {
  readonly flag: number
  readonly name: string | undefined
  readonly when: bigint
  readonly members: ReadonlyArray<{ readonly rid: number; readonly sid: Sid.Sid | undefined }>
  readonly count: bigint
}

const writeModel = (w: NdrWriter.NdrWriter, m: Model) =>
  w.scope(() => {
    w.u8(m.flag).unicodeString(m.name).filetime(m.when).u32(m.members.length)
    w.pointer(m.members, (w, ms) =>
      w.conformantArray(ms, (w, x) => {
        w.u32(x.rid)
        w.pointer(x.sid, (w, s) => w.sid(s))
      }))
    w.u64(m.count)
  })

const readModel = (r: NdrReader.NdrReader): Model => {
  const raw = r.scope(() => {
    const flag = r.u8()
    const name = r.unicodeString()
    const when = r.filetime()
    const n = r.u32()
    const members = r.pointer((r) =>
      r.conformantArray((r) => {
        const rid = r.u32()
        return { rid, sid: r.pointer((r) => r.sid()) }
      }, 8, n)
    )
    return { flag, name, when, members, count: r.u64() }
  })
  return {
    flag: raw.flag,
    name: raw.name.value,
    when: raw.when,
    members: (raw.members.value ?? []).map((m) => ({ rid: m.rid, sid: m.sid.value })),
    count: raw.count
  }
}

const sidArb: fc.Arbitrary<Sid.Sid> = fc.record({
  revision: fc.constant(1),
  authority: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  subAuthorities: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 })
})

const modelArb: fc.Arbitrary<Model> = fc.record({
  flag: fc.integer({ min: 0, max: 255 }),
  name: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  when: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  members: fc.array(fc.record({ rid: fc.integer({ min: 0, max: 0xffffffff }), sid: fc.option(sidArb, { nil: undefined }) }), { maxLength: 6 }),
  count: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
})

const encodeModel = (m: Model) => TypeSerialization.encode((w) => w.pointer(m, writeModel))
const decodeModel = (b: Uint8Array) => TypeSerialization.decode(b, (r) => r.required(r.pointer(readModel), "model"))

describe("NDR layout", () => {
  it("writes scalars, then each referent followed by its own referents (MS-RPCE 2.2.5 deferral), aligned", () => {
    const m: Model = {
      flag: 7,
      name: "ab",
      when: 0x0102030405060708n,
      members: [{ rid: 0x201, sid: { revision: 1, authority: 5, subAuthorities: [21] } }, { rid: 0x202, sid: undefined }],
      count: 1n
    }
    const encoded = encodeModel(m)
    expect(hex(encoded)).toBe(
      "01100800cccccccc" + // common header
        "60000000" + "00000000" + // private header: 96 bytes of data
        "00000200" + // top-level pointer
        "07" + "00" + "0400" + "0400" + "0000" + "04000200" + // flag, pad, RPC_UNICODE_STRING Length, MaximumLength, pad, pointer
        "08070605" + "04030201" + "02000000" + "08000200" + // FILETIME, count, members pointer
        "0100000000000000" + // u64 (8-aligned: offset 32 of the body)
        "02000000" + "00000000" + "02000000" + "61006200" + // name referent: max, offset, actual, "ab"
        "02000000" + "01020000" + "0c000200" + "02020000" + "00000000" + // members: conformance, {rid, sid ptr}, {rid, null}
        "01000000" + "0101" + "000000000005" + "15000000" + // the SID referent after the whole array
        "00000000" // padding to a multiple of 8
    )
    expect(Result.getOrThrow(decodeModel(encoded))).toEqual(m)
  })

  it("reads full pointers once: a repeated referent id denotes the same referent", () => {
    const body = bytes("04000200 04000200 07000000")
    const out = NdrReader.decode(body, (r) =>
      r.scope(() => {
        const a = r.fullPointer((r) => r.u32())
        const b = r.fullPointer((r) => r.u32())
        return { a, b }
      }))
    const { a, b } = Result.getOrThrow(out)
    expect(a.value).toBe(7)
    expect(b).toBe(a)
  })

  it("formats and parses SIDs (MS-DTYP 2.4.2.1)", () => {
    const s = { revision: 1, authority: 5, subAuthorities: [21, 1, 2, 3, 1103] }
    expect(Sid.format(s)).toBe("S-1-5-21-1-2-3-1103")
    expect(Sid.parse("S-1-5-21-1-2-3-1103")).toEqual(s)
    expect(Sid.format({ revision: 1, authority: 2 ** 40, subAuthorities: [] })).toBe("S-1-0x010000000000")
    expect(Sid.parse("S-1-5-4294967296")).toBeUndefined()
    expect(Sid.format(Sid.withRid(Sid.parse("S-1-5-21-9")!, 513))).toBe("S-1-5-21-9-513")
  })

  it("converts FILETIME (MS-DTYP 2.3.3)", () => {
    expect(Filetime.toEpochMillis(116444736000000000n)).toBe(0)
    expect(Filetime.fromEpochMillis(1_000)).toBe(116444736010000000n)
  })
})

describe("NDR properties", () => {
  it("round-trips every model", () => {
    fc.assert(fc.property(modelArb, (m) => {
      const decoded = decodeModel(encodeModel(m))
      expect(Result.getOrThrow(decoded)).toEqual(m)
    }))
  })

  it("refuses every truncation with a typed error", () => {
    fc.assert(fc.property(modelArb, fc.nat(), (m, cut) => {
      const encoded = encodeModel(m)
      const short = encoded.subarray(0, cut % encoded.length)
      const result = decodeModel(short)
      expect(Result.isFailure(result)).toBe(true)
      if (Result.isFailure(result)) expect(result.failure._tag).toBe("NdrError")
    }))
  })

  it("never throws on garbled or random input", () => {
    const garbled = fc.tuple(modelArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }))
      .map(([m, edits]) => {
        const b = encodeModel(m).slice()
        for (const [at, v] of edits) b[at % b.length] = v
        return b
      })
    fc.assert(fc.property(fc.oneof(garbled, fc.uint8Array({ maxLength: 300 })), (b) => {
      const result = decodeModel(b)
      if (Result.isFailure(result)) expect(result.failure._tag).toBe("NdrError")
    }), { numRuns: 2000 })
  })

  it("refuses a hostile count before allocating anything", () => {
    const body = bytes("ffffff7f 01000000")
    const result = NdrReader.decode(body, (r) => r.conformantArray((r) => r.u32(), 4))
    expect(Result.isFailure(result) && result.failure.reason).toBe("array: count 2147483647 exceeds the buffer")
  })

  it("refuses inconsistent RPC_UNICODE_STRING and RPC_SID encodings", () => {
    const str = (h: string) => NdrReader.decode(bytes(h), (r) => r.scope(() => r.unicodeString()).value)
    expect(Result.getOrThrow(str("0200 0400 00000200 02000000 00000000 01000000 6100"))).toBe("a")
    expect(Result.isFailure(str("0400 0200 00000200"))).toBe(true) // Length > MaximumLength
    expect(Result.isFailure(str("0200 0400 00000200 02000000 00000000 02000000 61006200"))).toBe(true) // actual != Length/2
    expect(Result.isFailure(str("0200 0400 00000200 02000000 01000000 01000000 6100"))).toBe(true) // offset != 0
    const sid = (h: string) => NdrReader.decode(bytes(h), (r) => r.sid())
    expect(Result.isFailure(sid("02000000 0101 000000000005 15000000"))).toBe(true) // conformance != count
    expect(Result.isFailure(sid("10000000 0110 000000000005"))).toBe(true) // 16 sub-authorities
  })

  it("checks the type serialization headers (MS-RPCE 2.2.6)", () => {
    const good = TypeSerialization.encode((w) => w.u32(5))
    expect(hex(good)).toBe("01100800cccccccc08000000000000000500000000000000")
    const bad = (at: number, v: number) => {
      const b = good.slice()
      b[at] = v
      return TypeSerialization.decode(b, (r) => r.u32())
    }
    expect(Result.getOrThrow(TypeSerialization.decode(good, (r) => r.u32()))).toBe(5)
    expect(Result.isFailure(bad(0, 2))).toBe(true) // version
    expect(Result.isFailure(bad(1, 0x00))).toBe(true) // big-endian
    expect(Result.isFailure(bad(8, 0x10))).toBe(true) // ObjectBufferLength beyond the buffer
    expect(Result.isFailure(TypeSerialization.decode(good, (r) => r.u64()))).toBe(false)
    expect(Result.isFailure(TypeSerialization.decode(TypeSerialization.encode((w) => w.u64(1n).u64(2n)), (r) => r.u32())))
      .toBe(true) // data ends before ObjectBufferLength
  })
})
