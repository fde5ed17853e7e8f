/**
 * Attacks on the DER codec (issue 9), kept as the regression suite.
 *
 * D1: `Oid.toString` was worse than quadratic in an arc's length (a 245 KB
 * OID took 304 s), reachable from a server certificate read by the HTTP
 * client and from `sspi decode`. Arcs are now bounded (MAX_OID_ARC_OCTETS,
 * the CVE-2023-2650 lesson) and the dotted form is linear in the OID.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { decode, Der, MAX_OID_ARC_OCTETS, Oid } from "../src/index.ts"
import { ok, reason } from "./helpers.ts"

const KIB_256 = 256 * 1024

/** DER of an OID whose content is `content` (long-form length). */
const derOf = (content: Uint8Array): Uint8Array => {
  const n = content.length
  return Uint8Array.from([0x06, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff, ...content])
}

/** Base-128 octets of `v` (X.690 8.19.2). */
const septets = (v: bigint): Array<number> => {
  const out: Array<number> = []
  do {
    out.unshift(Number(v & 0x7fn) | (out.length > 0 ? 0x80 : 0))
    v >>= 7n
  } while (v > 0n)
  return out
}

describe("D1: huge OBJECT IDENTIFIERs", () => {
  it("a 256 KiB single-arc OID is refused as InvalidOid at the first octet past the bound", () => {
    const content = new Uint8Array(KIB_256).fill(0xff)
    content[content.length - 1] = 0x7f
    const r = decode(derOf(content), (rd) => rd.oid())
    expect(reason(r)).toBe("InvalidOid")
    expect(Result.isFailure(r) && r.failure.offset).toBe(5 + MAX_OID_ARC_OCTETS)
  }, 10_000)

  it("a 256 KiB OID of maximal arcs decodes and prints the right dotted form", () => {
    const max = (1n << BigInt(7 * MAX_OID_ARC_OCTETS)) - 1n
    const arcs: Array<bigint> = []
    const bytes: Array<number> = [0x2a] // 1.2
    for (let i = 0n; bytes.length + MAX_OID_ARC_OCTETS <= KIB_256; i++) {
      const arc = max - i
      arcs.push(arc)
      bytes.push(...septets(arc))
    }
    const oid = ok(decode(derOf(Uint8Array.from(bytes)), (rd) => rd.oid()))
    const dotted = ["1", "2", ...arcs.map(String)].join(".")
    expect(oid.toString()).toBe(dotted)
    expect(ok(Oid.fromString(dotted)).equals(oid)).toBe(true)
  }, 20_000)

  it("a 2.25 UUID arc (128 bits) is accepted; one octet more than the bound is not", () => {
    const uuid = "2.25.329800735698586629295641978511506172918"
    expect(ok(Oid.fromString(uuid)).toString()).toBe(uuid)
    const tooLong = [0x2a, 0x81, ...new Array(MAX_OID_ARC_OCTETS - 1).fill(0x80), 0x01]
    expect(reason(Oid.fromContent(Uint8Array.from(tooLong)))).toBe("InvalidOid")
    expect(reason(Oid.fromString(`1.2.${"9".repeat(300_000)}`))).toBe("InvalidOid")
    expect(reason(Oid.fromString(`1.2.${1n << BigInt(7 * MAX_OID_ARC_OCTETS)}`))).toBe("InvalidOid")
  })

  it("property: any content is either refused or round-trips through the dotted form (X.690 8.19)", () => {
    const arc = fc.oneof(
      fc.uint8Array({ maxLength: 4 }),
      fc.uint8Array({ minLength: MAX_OID_ARC_OCTETS - 2, maxLength: MAX_OID_ARC_OCTETS + 3 })
    ).map((b) => [...b.subarray(0, -1)].map((x) => x | 0x80).concat(b.length === 0 ? [] : [b[b.length - 1]! & 0x7f]))
    fc.assert(fc.property(fc.array(arc, { minLength: 1, maxLength: 6 }), (arcs) => {
      const content = Uint8Array.from(arcs.flat())
      const r = Oid.fromContent(content)
      const longest = Math.max(...arcs.map((a) => a.length))
      const leading80 = arcs.some((a) => a[0] === 0x80)
      if (content.length === 0 || longest > MAX_OID_ARC_OCTETS || leading80) {
        expect(reason(r)).toBe("InvalidOid")
        return
      }
      const oid = ok(r)
      expect(Buffer.from(ok(Oid.fromString(oid.toString())).content)).toEqual(Buffer.from(content))
      expect(Buffer.from(Der.encode(Der.oid(oid)).subarray(-content.length))).toEqual(Buffer.from(content))
    }), { numRuns: 2000 })
  })
})
