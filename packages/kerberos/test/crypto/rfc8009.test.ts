import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { EncryptionType } from "../../src/internal/crypto/encryptionType.ts"
import { kdfHmacSha2, KeyPurpose, usageLabel } from "../../src/internal/crypto/keyDerivation.ts"
import { hex, toHex } from "./hex.ts"
import { profile } from "./profiles.ts"

// RFC 8009 appendix A. Every sample uses key usage 2.
const suites = [
  {
    name: "aes128-cts-hmac-sha256-128",
    etype: EncryptionType.AES128_CTS_HMAC_SHA256_128,
    hash: "sha256" as const,
    base: "3705d96080c17728a0e800eab6e0d23c",
    kc: "b31a018a48f54776f403e9a396325dc3",
    ke: "9b197dd1e8c5609d6e67c3e37c62c72e",
    ki: "9fda0e56ab2d85e1569a688696c26a6c",
    checksum: "d78367186643d67b411cba9139fc1dee",
    encryptions: [
      ["", "7e5895eaf2672435bad817f545a37148", "ef85fb890bb8472f4dab20394dca781dad877eda39d50c870c0d5a0a8e48c718"],
      [
        "000102030405",
        "7bca285e2fd4130fb55b1a5c83bc5b24",
        "84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4421dfdf8976c"
      ],
      [
        "000102030405060708090a0b0c0d0e0f",
        "56ab21713ff62c0a1457200f6fa9948f",
        "3517d640f50ddc8ad3628722b3569d2ae07493fa8263254080ea65c1008e8fc295fb4852e7d83e1e7c48c37eebe6b0d3"
      ],
      [
        "000102030405060708090a0b0c0d0e0f1011121314",
        "a7a4e29a4728ce10664fb64e49ad3fac",
        "720f73b18d9859cd6ccb4346115cd336c70f58edc0c4437c5573544c31c813bce1e6d072c186b39a413c2f92ca9b8334a287ffcbfc"
      ]
    ]
  },
  {
    name: "aes256-cts-hmac-sha384-192",
    etype: EncryptionType.AES256_CTS_HMAC_SHA384_192,
    hash: "sha384" as const,
    base: "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52",
    kc: "ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d",
    ke: "56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49",
    ki: "69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f",
    checksum: "45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a",
    encryptions: [
      [
        "",
        "f764e9fa15c276478b2c7d0c4e5f58e4",
        "41f53fa5bfe7026d91faf9be959195a058707273a96a40f0a01960621ac612748b9bbfbe7eb4ce3c"
      ],
      [
        "000102030405",
        "b80d3251c1f6471494256ffe712d0b9a",
        "4ed7b37c2bcac8f74f23c1cf07e62bc7b75fb3f637b9f559c7f664f69eab7b6092237526ea0d1f61cb20d69d10f2"
      ],
      [
        "000102030405060708090a0b0c0d0e0f",
        "53bf8a0d105265d4e276428624ce5e63",
        "bc47ffec7998eb91e8115cf8d19dac4bbbe2e163e87dd37f49beca92027764f68cf51f14d798c2273f35df574d1f932e40c4ff255b36a266"
      ],
      [
        "000102030405060708090a0b0c0d0e0f1011121314",
        "763e65367e864f02f55153c7e3b58af1",
        "40013e2df58e8751957d2878bcd2d6fe101ccfd556cb1eae79db3c3ee86429f2b2a602ac86fef6ecb647d6295fae077a1feb517508d2c16b4192e01f62"
      ]
    ]
  }
] as const

const usage = 2

for (const s of suites) {
  describe(`RFC 8009 appendix A, ${s.name}`, () => {
    const p = profile(s.etype)
    const base = hex(s.base)

    it("derives Kc, Ke and Ki for usage 2", () => {
      expect(toHex(kdfHmacSha2(s.hash, base, usageLabel(usage, KeyPurpose.Checksum), s.kc.length / 2))).toBe(s.kc)
      expect(toHex(kdfHmacSha2(s.hash, base, usageLabel(usage, KeyPurpose.Encryption), s.ke.length / 2))).toBe(s.ke)
      expect(toHex(kdfHmacSha2(s.hash, base, usageLabel(usage, KeyPurpose.Integrity), s.ki.length / 2))).toBe(s.ki)
    })

    for (const [plaintext, confounder, ciphertext] of s.encryptions) {
      it(`encrypts and decrypts ${plaintext.length / 2} bytes`, () => {
        const encrypted = p.encrypt(base, usage, hex(plaintext), hex(confounder))
        expect(toHex(encrypted)).toBe(ciphertext)
        const decrypted = p.decrypt(base, usage, hex(ciphertext))
        expect(Result.isSuccess(decrypted) && toHex(decrypted.success)).toBe(plaintext)
      })
    }

    it("checksums 00..14", () => {
      const data = hex("000102030405060708090a0b0c0d0e0f1011121314")
      expect(toHex(p.checksum(base, usage, data))).toBe(s.checksum)
      expect(p.verifyChecksum(base, usage, data, hex(s.checksum))).toBe(true)
      expect(p.verifyChecksum(base, usage + 1, data, hex(s.checksum))).toBe(false)
    })
  })
}
