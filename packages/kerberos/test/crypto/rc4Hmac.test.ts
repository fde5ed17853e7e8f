import { describe, expect, it } from "@effect/vitest"
import { createHmac } from "node:crypto"
import { Rc4 } from "@effect-sspi/legacy-crypto"
import { Result } from "effect"
import { EncryptionType } from "../../src/internal/crypto/encryptionType.ts"
import { rc4MessageType } from "../../src/internal/crypto/rc4Hmac.ts"
import { hex, toHex, utf8 } from "./hex.ts"
import { profile } from "./profiles.ts"

const rc4 = profile(EncryptionType.RC4_HMAC)
const hmacMd5 = (key: Uint8Array, data: Uint8Array) => createHmac("md5", key).update(data).digest()

describe("rc4-hmac (RFC 4757)", () => {
  it("maps key usages 3 and 9 to message type 8, others to themselves", () => {
    expect([1, 2, 3, 4, 7, 8, 9, 11, 12, 13, 15].map(rc4MessageType)).toEqual([1, 2, 8, 4, 7, 8, 8, 11, 12, 13, 15])
  })

  it("encrypts with a fixed confounder as RFC 4757 section 5 describes, and round-trips", () => {
    const key = rc4.stringToKey(utf8("Password"), new Uint8Array(0))
    const confounder = hex("0123456789abcdef")
    const plaintext = utf8("Sixteen byte msg and some")
    const ciphertext = rc4.encrypt(key, 3, plaintext, confounder)
    // Recompute from the RFC's description with T = 8 for usage 3.
    const k1 = hmacMd5(key, hex("08000000"))
    const checksum = hmacMd5(k1, new Uint8Array([...confounder, ...plaintext]))
    const k3 = hmacMd5(k1, checksum)
    const body = new Rc4(k3).process(new Uint8Array([...confounder, ...plaintext]))
    expect(toHex(ciphertext)).toBe(toHex(checksum) + toHex(body))
    expect(ciphertext.length).toBe(rc4.ciphertextLength(plaintext.length))
    const decrypted = rc4.decrypt(key, 3, ciphertext)
    expect(Result.isSuccess(decrypted) && toHex(decrypted.success)).toBe(toHex(plaintext))
    // Usage 8 shares message type 8, usage 4 does not.
    expect(Result.isSuccess(rc4.decrypt(key, 8, ciphertext))).toBe(true)
    expect(Result.isFailure(rc4.decrypt(key, 4, ciphertext))).toBe(true)
  })

  it("refuses ciphertexts shorter than checksum and confounder", () => {
    const result = rc4.decrypt(new Uint8Array(16), 1, new Uint8Array(23))
    expect(Result.isFailure(result) && result.failure.reason).toBe("TooShort")
  })
})
