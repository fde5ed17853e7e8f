/**
 * AES-CTS (RFC 3962 section 5, CBC-CS3) against an independent reference:
 * node's plain AES-CBC over the ciphertext with the stolen block restored and
 * the last two blocks put back in CBC order. Covers both decryption paths
 * (the reused-ECB path up to 4 KiB, the CBC path above), raw keys and
 * KeyObjects (the reused decryptor is per KeyObject), AES-128 and AES-256,
 * random IVs, every length from 16 to 5000 and random garbage ciphertexts.
 */
import { describe, expect, it } from "@effect/vitest"
import { createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto"
import fc from "fast-check"
import { type AesKey, ctsDecrypt, ctsEncrypt } from "../../src/internal/crypto/aesCts.ts"
import { toHex } from "./hex.ts"

/** CS3 decryption through plain CBC (RFC 3962 section 5 / NIST SP 800-38A addendum, CS3). */
const referenceDecrypt = (key: Uint8Array, ciphertext: Uint8Array, iv: Uint8Array): Uint8Array => {
  const mode = key.length === 16 ? "aes-128" : "aes-256"
  const length = ciphertext.length
  const blocks = Math.ceil(length / 16)
  const cbc = (data: Uint8Array) =>
    Buffer.concat([createDecipheriv(`${mode}-cbc`, key, iv).setAutoPadding(false).update(data)])
  if (blocks === 1) return cbc(ciphertext)
  const r = length - (blocks - 1) * 16
  const cn = ciphertext.subarray((blocks - 2) * 16, (blocks - 1) * 16) // E(P(n) ‖ 0 xor C(n-1))
  const d = createDecipheriv(`${mode}-ecb`, key, null).setAutoPadding(false).update(cn)
  const cn1 = Buffer.concat([ciphertext.subarray((blocks - 1) * 16), d.subarray(r)]) // C(n-1), restored
  const ordered = Buffer.concat([ciphertext.subarray(0, (blocks - 2) * 16), cn1, cn])
  return cbc(ordered).subarray(0, length)
}

const keyBytes = fc.constantFrom(16, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
const ivBytes = fc.uint8Array({ minLength: 16, maxLength: 16 })
const asKeyObject = fc.boolean()

/** KeyObjects made once per key bytes and reused across runs, as the derived-key cache does. */
const keyObjects = new Map<string, KeyObject>()
const keyOf = (bytes: Uint8Array, object: boolean): AesKey => {
  if (!object) return bytes
  const id = toHex(bytes)
  let key = keyObjects.get(id)
  if (key === undefined) keyObjects.set(id, key = createSecretKey(bytes))
  return key
}

describe("AES-CTS properties", () => {
  it("ctsDecrypt(ctsEncrypt(x)) = x for lengths 16..5000, raw keys and KeyObjects", () => {
    fc.assert(
      fc.property(keyBytes, ivBytes, asKeyObject, fc.integer({ min: 16, max: 5000 }), (k, iv, object, length) => {
        const key = keyOf(k, object)
        const plaintext = randomBytes(length)
        const ciphertext = ctsEncrypt(key, plaintext, iv)
        expect(ciphertext.length).toBe(length)
        expect(toHex(ciphertext)).toBe(toHex(ctsEncrypt(k, plaintext, iv)))
        expect(toHex(ctsDecrypt(key, ciphertext, iv))).toBe(toHex(plaintext))
      }),
      { numRuns: 400 }
    )
  })

  it("ctsDecrypt equals the CBC reference on random (garbage) ciphertexts", () => {
    fc.assert(
      fc.property(
        keyBytes,
        ivBytes,
        asKeyObject,
        fc.uint8Array({ minLength: 16, maxLength: 5000 }),
        (k, iv, object, ciphertext) => {
          expect(toHex(ctsDecrypt(keyOf(k, object), ciphertext, iv))).toBe(toHex(referenceDecrypt(k, ciphertext, iv)))
        }
      ),
      { numRuns: 400 }
    )
  })

  it("every length 16..5000 (both paths, the 4096/4097 edge), one shared KeyObject: no state carried over", () => {
    for (const size of [16, 32]) {
      const k = randomBytes(size)
      const object = createSecretKey(k)
      const iv = randomBytes(16)
      for (let length = 16; length <= 5000; length++) {
        const ciphertext = randomBytes(length)
        const expected = toHex(referenceDecrypt(k, ciphertext, iv))
        // a raw-key call, a KeyObject call and the KeyObject again: the reused decryptor gives the same
        expect(toHex(ctsDecrypt(k, ciphertext, iv)), `raw, ${length}`).toBe(expected)
        expect(toHex(ctsDecrypt(object, ciphertext, iv)), `KeyObject, ${length}`).toBe(expected)
        expect(toHex(ctsDecrypt(object, ciphertext, iv)), `KeyObject again, ${length}`).toBe(expected)
      }
    }
  })

  it("refuses the empty and sub-block inputs with a RangeError, for KeyObjects too, and keeps working after", () => {
    const k = randomBytes(16)
    const object = createSecretKey(k)
    for (const length of [0, 1, 15]) {
      expect(() => ctsDecrypt(object, new Uint8Array(length))).toThrow(RangeError)
      expect(() => ctsEncrypt(object, new Uint8Array(length))).toThrow(RangeError)
    }
    const plaintext = randomBytes(33)
    expect(toHex(ctsDecrypt(object, ctsEncrypt(object, plaintext)))).toBe(toHex(plaintext))
  })
})
