import { describe, expect, it } from "@effect/vitest"
import { createSecretKey } from "node:crypto"
import { ctsDecrypt, ctsEncrypt } from "../../src/internal/crypto/aesCts.ts"
import { hex, toHex, utf8 } from "./hex.ts"

// RFC 3962 appendix B: AES-128-CTS, key "chicken teriyaki", IV all zero.
const key = utf8("chicken teriyaki")
const vectors: ReadonlyArray<readonly [input: string, output: string]> = [
  // 17 bytes: one full block and a one-byte partial block.
  ["4920776f756c64206c696b652074686520", "c6353568f2bf8cb4d8a580362da7ff7f97"],
  // 31 bytes
  ["4920776f756c64206c696b65207468652047656e6572616c20476175277320", "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"],
  // 32 bytes: two full blocks, swapped.
  [
    "4920776f756c64206c696b65207468652047656e6572616c20476175277320 43",
    "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584"
  ],
  // 47 bytes
  [
    "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c",
    "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5"
  ],
  // 48 bytes
  [
    "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20",
    "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8"
  ],
  // 64 bytes
  [
    "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e",
    "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8"
  ]
]

describe("AES-CTS (RFC 3962 appendix B)", () => {
  for (const [input, output] of vectors) {
    const plaintext = hex(input)
    it(`${plaintext.length} bytes`, () => {
      expect(toHex(ctsEncrypt(key, plaintext))).toBe(output)
      expect(toHex(ctsDecrypt(key, hex(output)))).toBe(toHex(plaintext))
      // the KeyObject form (the reused ECB decryptor), twice: nothing carried over
      const object = createSecretKey(key)
      expect(toHex(ctsEncrypt(object, plaintext))).toBe(output)
      expect(toHex(ctsDecrypt(object, hex(output)))).toBe(toHex(plaintext))
      expect(toHex(ctsDecrypt(object, hex(output)))).toBe(toHex(plaintext))
    })
  }

  it("exactly one block is plain CBC (= ECB with a zero IV)", () => {
    const block = hex("4920776f756c64206c696b6520746865")
    const encrypted = ctsEncrypt(key, block)
    expect(encrypted.length).toBe(16)
    expect(toHex(ctsDecrypt(key, encrypted))).toBe(toHex(block))
  })

  it("refuses less than one block", () => {
    expect(() => ctsEncrypt(key, new Uint8Array(15))).toThrow(RangeError)
    expect(() => ctsDecrypt(key, new Uint8Array(15))).toThrow(RangeError)
  })
})
