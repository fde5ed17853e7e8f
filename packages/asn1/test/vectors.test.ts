import { describe, expect, it } from "@effect/vitest"
import { decode, Der, Oid, TagClass } from "../src/index.ts"
import { hex, ok, reason, toHex } from "./helpers.ts"

const KRB5 = Oid.unsafeFromString("1.2.840.113554.1.2.2")
const SPNEGO = Oid.unsafeFromString("1.3.6.1.5.5.2")

describe("X.690 vectors", () => {
  it.each([
    ["1.2.840.113554.1.2.2", "06092a864886f712010202"],
    ["1.3.6.1.5.5.2", "06062b0601050502"],
    ["1.2.840.48018.1.2.2", "06092a864882f712010202"],
    ["1.3.6.1.4.1.311.2.2.10", "060a2b06010401823702020a"],
    ["2.999.3", "0603883703"], // X.690 8.19.5 example
    ["1.3.6.1.4.1.311.2.2.30", "060a2b06010401823702021e"]
  ])("OID %s", (dotted, der) => {
    const oid = ok(Oid.fromString(dotted))
    expect(toHex(Der.encode(Der.oid(oid)))).toBe(der)
    const back = ok(decode(hex(der), (r) => r.oid()))
    expect(back.toString()).toBe(dotted)
    expect(back.equals(oid)).toBe(true)
  })

  it.each([
    [-138, "0202ff76"],
    [128, "02020080"],
    [127, "02017f"],
    [0, "020100"],
    [-1, "0201ff"],
    [-128, "020180"],
    [-129, "0202ff7f"],
    [256, "02020100"],
    [2147483647, "02047fffffff"],
    [-2147483648, "020480000000"],
    [4294967295, "020500ffffffff"]
  ])("INTEGER %d", (n, der) => {
    expect(toHex(Der.encode(Der.integer(n)))).toBe(der)
    expect(toHex(Der.encode(Der.integer(BigInt(n))))).toBe(der)
    expect(ok(decode(hex(der), (r) => r.integer()))).toBe(BigInt(n))
    if (n >= -0x80000000 && n <= 0x7fffffff) expect(ok(decode(hex(der), (r) => r.int32()))).toBe(n)
    if (n >= 0) expect(ok(decode(hex(der), (r) => r.uint32()))).toBe(n)
  })

  it("INTEGER ranges", () => {
    expect(reason(decode(hex("020500ffffffff"), (r) => r.int32()))).toBe("IntegerOutOfRange")
    expect(reason(decode(hex("0201ff"), (r) => r.uint32()))).toBe("IntegerOutOfRange")
    expect(reason(decode(hex("02020001"), (r) => r.integer()))).toBe("InvalidInteger")
    expect(reason(decode(hex("0202ff80"), (r) => r.integer()))).toBe("InvalidInteger")
    expect(reason(decode(hex("0200"), (r) => r.integer()))).toBe("InvalidInteger")
  })

  it("BOOLEAN, OCTET STRING, NULL-free sequences", () => {
    expect(toHex(Der.encode(Der.boolean(true)))).toBe("0101ff")
    expect(reason(decode(hex("010101"), (r) => r.boolean()))).toBe("InvalidBoolean")
    expect(toHex(Der.encode(Der.sequence([Der.octetString(hex("0102")), undefined, Der.boolean(false)])))).toBe(
      "3007040201020101" + "00"
    )
  })

  it("KerberosFlags and named bits", () => {
    // forwardable(1), renewable(8), canonicalize(15): 0x40810000
    expect(toHex(Der.encode(Der.kerberosFlags(0x40810000)))).toBe("03050040810000")
    expect(ok(decode(hex("03050040810000"), (r) => r.kerberosFlags()))).toBe(0x40810000)
    // ContextFlags { mutualFlag(1), integFlag(6) }: bits 1 and 6 → 0100 0010, one unused bit
    expect(toHex(Der.encode(Der.namedBits(0b1000010)))).toBe("03020142")
    expect(ok(decode(hex("03020142"), (r) => r.namedBits()))).toBe(0b1000010)
    expect(toHex(Der.encode(Der.namedBits(0)))).toBe("030100")
    expect(reason(decode(hex("03020143"), (r) => r.bitString()))).toBe("InvalidBitString")
  })

  it("KerberosTime", () => {
    const ms = Date.UTC(2007, 0, 15, 12, 34, 56)
    expect(toHex(Der.encode(Der.generalizedTime(ms + 999)))).toBe("180f" + Buffer.from("20070115123456Z").toString("hex"))
    expect(ok(decode(hex("180f" + Buffer.from("20070115123456Z").toString("hex")), (r) => r.generalizedTime()))).toBe(ms)
    expect(reason(decode(hex("180f" + Buffer.from("20070230123456Z").toString("hex")), (r) => r.generalizedTime())))
      .toBe("InvalidTime")
    expect(reason(decode(hex("1811" + Buffer.from("20070115123456.5Z").toString("hex")), (r) => r.generalizedTime())))
      .toBe("InvalidTime")
  })

  it("GSS InitialContextToken and APPLICATION tags", () => {
    const token = Der.encode(Der.gssInitialContextToken(SPNEGO, hex("a003020101")))
    expect(toHex(token)).toBe("600d06062b0601050502a003020101")
    const g = ok(decode(token, (r) => r.gssInitialContextToken()))
    expect(g.mech.equals(SPNEGO)).toBe(true)
    expect(g.mech.equals(KRB5)).toBe(false)
    expect(toHex(g.inner.rest())).toBe("a003020101")
    // [APPLICATION 30] (KRB-ERROR) explicit around a SEQUENCE { [0] 5 }
    const krbError = Der.encode(Der.application(30, Der.sequence([Der.explicit(0, Der.integer(5))])))
    expect(toHex(krbError)).toBe("7e073005a003020105")
    const pvno = ok(decode(krbError, (r) =>
      r.applicationWith(30, (a) => a.sequenceWith((s) => s.field(0, (f) => f.int32())))))
    expect(pvno).toBe(5)
    expect(reason(decode(krbError, (r) => r.application(10)))).toBe("UnexpectedTag")
  })

  it("high tag numbers and long lengths", () => {
    const big = new Uint8Array(300).fill(7)
    const enc = Der.encode(Der.primitive(TagClass.Context, 200, big))
    expect(toHex(enc.subarray(0, 6))).toBe("9f814882012c")
    const tlv = ok(decode(enc, (r) => r.next()))
    expect([tlv.tagClass, tlv.tagNumber, tlv.constructed, tlv.value.length]).toEqual([TagClass.Context, 200, false, 300])
  })

  it("a 2.25 UUID OID (arcs beyond 2^53)", () => {
    const dotted = "2.25.329800735698586629295641978511506172918"
    const enc = Der.encode(Der.oid(Oid.unsafeFromString(dotted)))
    expect(ok(decode(enc, (r) => r.oid())).toString()).toBe(dotted)
  })
})
