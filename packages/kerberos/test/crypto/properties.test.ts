import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { encryptionProfiles } from "../../src/internal/crypto/encryptionType.ts"
import { rc4MessageType } from "../../src/internal/crypto/rc4Hmac.ts"

const usage = fc.integer({ min: 0, max: 0xffffffff })

for (const p of encryptionProfiles) {
  describe(`${p.name} properties`, () => {
    const key = fc.uint8Array({ minLength: p.keyLength, maxLength: p.keyLength })
    const plaintext = fc.uint8Array({ maxLength: 300 })

    it("decrypt(encrypt(x)) = x for every length", () => {
      fc.assert(
        fc.property(key, usage, plaintext, (k, u, x) => {
          const ciphertext = p.encrypt(k, u, x)
          expect(ciphertext.length).toBe(p.ciphertextLength(x.length))
          const decrypted = p.decrypt(k, u, ciphertext)
          expect(Result.isSuccess(decrypted) && Buffer.from(decrypted.success).equals(Buffer.from(x))).toBe(true)
        })
      )
    })

    it("any single bit flip makes decrypt fail", () => {
      fc.assert(
        fc.property(key, usage, plaintext, fc.nat(), fc.integer({ min: 0, max: 7 }), (k, u, x, at, bit) => {
          const ciphertext = p.encrypt(k, u, x)
          ciphertext[at % ciphertext.length]! ^= 1 << bit
          expect(Result.isFailure(p.decrypt(k, u, ciphertext))).toBe(true)
        })
      )
    })

    it("decrypt never throws on arbitrary bytes", () => {
      fc.assert(
        fc.property(key, usage, fc.uint8Array({ maxLength: 200 }), (k, u, bytes) => {
          const result = p.decrypt(k, u, bytes)
          expect(Result.isFailure(result)).toBe(true)
        })
      )
    })

    it("the confounder is random: equal plaintexts give different ciphertexts", () => {
      const k = new Uint8Array(p.keyLength).fill(7)
      expect(Buffer.from(p.encrypt(k, 1, new Uint8Array(8))).equals(Buffer.from(p.encrypt(k, 1, new Uint8Array(8))))).toBe(
        false
      )
    })

    it("checksums verify only for the same key, usage and data", () => {
      fc.assert(
        fc.property(key, usage, fc.uint8Array({ maxLength: 100 }), (k, u, data) => {
          const c = p.checksum(k, u, data)
          expect(c.length).toBe(p.checksumSize)
          expect(p.verifyChecksum(k, u, data, c)).toBe(true)
          // RC4-HMAC maps usages 3 and 9 onto 8 (RFC 4757 section 3): those collide by design
          const next = (u + 1) % 2 ** 32
          if (p.enctype !== 23 || rc4MessageType(u) !== rc4MessageType(next)) {
            expect(p.verifyChecksum(k, next, data, c)).toBe(false)
          }
        })
      )
    })
  })
}
