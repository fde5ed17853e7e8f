import { describe, expect, it } from "@effect/vitest"
import { Rc4 } from "../src/index.ts"

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"))

const keystream = (key: Uint8Array, length: number): Uint8Array => new Rc4(key).process(new Uint8Array(length))

// RFC 6229 section 2: keys 0x0102..., keystream rows of 16 bytes at given offsets.
const vectors: ReadonlyArray<{ key: string; rows: ReadonlyArray<readonly [number, string]> }> = [
  {
    key: "0102030405",
    rows: [
      [0, "b2396305f03dc027ccc3524a0a1118a8"],
      [16, "6982944f18fc82d589c403a47a0d0919"],
      [1536, "d8729db41882259bee4f825325f5a130"],
      [4096, "ff25b58995996707e51fbdf08b34d875"]
    ]
  },
  {
    key: "01020304050607",
    rows: [
      [0, "293f02d47f37c9b633f2af5285feb46b"],
      [16, "e620f1390d19bd84e2e0fd752031afc1"],
      [240, "914f02531c9218810df60f67e338154c"]
    ]
  },
  { key: "0102030405060708", rows: [[0, "97ab8a1bf0afb96132f2f67258da15a8"]] },
  {
    key: "0102030405060708090a0b0c0d0e0f10",
    rows: [
      [0, "9ac7cc9a609d1ef7b2932899cde41b97"],
      [16, "5248c4959014126a6e8a84f11d1a9e1c"],
      [1536, "ffa0b514647ec04f6306b892ae661181"],
      [4096, "a36a4c301ae8ac13610ccbc12256cacc"]
    ]
  },
  {
    key: "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
    rows: [
      [0, "eaa6bd25880bf93d3f5d1e4ca2611d91"],
      [16, "cfa45c9f7e714b54bdfa80027cb14380"],
      [1536, "3e34135c79db010200767651cf263073"],
      [4096, "f3e4c0a2e02d1d01f7f0a74618af2b48"]
    ]
  }
]

describe("Rc4 (RFC 6229)", () => {
  for (const { key, rows } of vectors) {
    it(`key ${key.length * 4} bits`, () => {
      const stream = keystream(unhex(key), 4112)
      for (const [offset, expected] of rows) {
        expect(hex(stream.subarray(offset, offset + 16))).toBe(expected)
      }
    })
  }

  it("continues the keystream across calls, in place", () => {
    const key = unhex("0102030405060708090a0b0c0d0e0f10")
    const whole = keystream(key, 4112)
    const rc4 = new Rc4(key)
    const buf = new Uint8Array(4112)
    let at = 0
    for (const n of [1, 15, 0, 100, 1420, 2576]) {
      const part = buf.subarray(at, at + n)
      rc4.process(part, part)
      at += n
    }
    expect(buf).toEqual(whole)
  })

  it("decrypts what it encrypted", () => {
    const key = unhex("0102030405")
    const plain = new TextEncoder().encode("arcfour round trip")
    const sealed = new Rc4(key).process(plain)
    expect(new Rc4(key).process(sealed)).toEqual(plain)
  })

  it("rejects empty and oversize keys", () => {
    expect(() => new Rc4(new Uint8Array(0))).toThrow(RangeError)
    expect(() => new Rc4(new Uint8Array(257))).toThrow(RangeError)
  })

  it("wipe() zeroes the state", () => {
    const rc4 = new Rc4(unhex("0102030405"))
    rc4.wipe()
    const state = (rc4 as unknown as { s: Uint8Array }).s
    expect(state.every((b) => b === 0)).toBe(true)
  })
})
