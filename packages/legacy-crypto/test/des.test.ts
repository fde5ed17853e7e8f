import { describe, expect, it } from "@effect/vitest"
import { desEncryptBlock, expandDesKey } from "../src/index.ts"

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"))

/** Drops the parity bit of each byte of an 8-byte DES key: the inverse of the expansion. */
const to56 = (key8: Uint8Array): Uint8Array => {
  let bits = 0n
  for (const b of key8) bits = (bits << 7n) | BigInt(b >> 1)
  const out = new Uint8Array(7)
  for (let i = 6; i >= 0; i--) {
    out[i] = Number(bits & 0xffn)
    bits >>= 8n
  }
  return out
}

describe("desEncryptBlock", () => {
  // Published single-DES known answers, keys given in 64-bit form.
  const vectors: ReadonlyArray<readonly [string, string, string, string]> = [
    // FIPS 81 appendix B example: "Now is t" under 0123456789abcdef.
    ["FIPS 81", "0123456789abcdef", "4e6f772069732074", "3fa40e8a984d4815"],
    // The widely used worked example (J. Orlin Grabbe, "The DES Algorithm Illustrated").
    ["Grabbe", "133457799bbcdff1", "0123456789abcdef", "85e813540f0ab405"]
  ]
  for (const [name, key, plain, cipher] of vectors) {
    it(name, () => {
      expect(hex(desEncryptBlock(to56(unhex(key)), unhex(plain)))).toBe(cipher)
    })
  }

  it("LM hash of the empty password (7 zero key bytes on KGS!@#$%)", () => {
    // The well-known empty LM hash half, aad3b435b51404ee.
    const magic = new TextEncoder().encode("KGS!@#$%")
    expect(hex(desEncryptBlock(new Uint8Array(7), magic))).toBe("aad3b435b51404ee")
  })

  it("expands 56-bit keys with odd parity", () => {
    expect(hex(expandDesKey(to56(unhex("0123456789abcdef"))))).toBe("0123456789abcdef")
    expect(hex(expandDesKey(new Uint8Array(7)))).toBe("0101010101010101")
    expect(hex(expandDesKey(new Uint8Array(7).fill(0xff)))).toBe("fefefefefefefefe")
  })

  it("rejects wrong sizes", () => {
    expect(() => desEncryptBlock(new Uint8Array(8), new Uint8Array(8))).toThrow(RangeError)
    expect(() => desEncryptBlock(new Uint8Array(7), new Uint8Array(7))).toThrow(RangeError)
  })
})
