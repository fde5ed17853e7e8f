import { describe, expect, it } from "@effect/vitest"
import { md4 } from "../src/index.ts"

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

// RFC 1320, appendix A.5 "Test suite".
const vectors: ReadonlyArray<readonly [string, string]> = [
  ["", "31d6cfe0d16ae931b73c59d7e0c089c0"],
  ["a", "bde52cb31de33e46245e05fbdbd6fb24"],
  ["abc", "a448017aaf21d8525fc10ae87aa6729d"],
  ["message digest", "d9130a8164549fe818874806e1c7014b"],
  ["abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"],
  ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"],
  [
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    "e33b4ddc9c38f2199c3e7b164fcc0536"
  ]
]

describe("md4 (RFC 1320 A.5)", () => {
  for (const [input, digest] of vectors) {
    it(`MD4("${input.length > 20 ? input.slice(0, 20) + "..." : input}")`, () => {
      expect(hex(md4(ascii(input)))).toBe(digest)
    })
  }

  it("does not modify its input and handles block-boundary lengths", () => {
    const data = new Uint8Array(200).map((_, i) => i)
    const copy = data.slice()
    for (const n of [55, 56, 63, 64, 65, 119, 120, 128]) {
      expect(md4(data.subarray(0, n))).toHaveLength(16)
    }
    expect(data).toEqual(copy)
  })
})
