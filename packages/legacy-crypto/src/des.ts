/**
 * Single-block DES with the 56-bit key form used by LM and NTLMv1
 * (MS-NLMP section 6, "DES(K, D)": K is 7 bytes expanded to a DES key).
 *
 * Node.js 20 with OpenSSL 3 rejects `des-ecb` (legacy provider), but the
 * default provider still offers two-key triple DES, `des-ede-ecb`. With both
 * halves of the key equal, EDE reduces to single DES: E_K(D_K(E_K(x))) = E_K(x).
 * This module therefore relies on Node's crypto for the cipher itself and only
 * performs the 56-to-64-bit key expansion.
 *
 * @module
 */
import { createCipheriv } from "node:crypto"

/**
 * Expands a 7-byte (56-bit) key into an 8-byte DES key: each output byte takes
 * the next 7 key bits, and its low bit is set for odd parity.
 */
export const expandDesKey = (key7: Uint8Array): Uint8Array => {
  if (key7.length !== 7) throw new RangeError("DES 56-bit key must be 7 bytes")
  const out = new Uint8Array(8)
  let acc = 0
  let bits = 0
  let k = 0
  for (let n = 0; n < 8; n++) {
    if (bits < 7) {
      acc = ((acc << 8) | key7[k++]!) & 0xffff
      bits += 8
    }
    bits -= 7
    const b = ((acc >>> bits) & 0x7f) << 1
    out[n] = b | (popcount7(b) & 1 ? 0 : 1)
  }
  return out
}

const popcount7 = (b: number): number => {
  let c = 0
  for (let x = b; x !== 0; x &= x - 1) c++
  return c
}

/**
 * Encrypts one 8-byte block with single DES in ECB mode.
 *
 * @param key7 - the 7-byte (56-bit) key, expanded with {@link expandDesKey}.
 * @param block8 - exactly 8 bytes of plaintext.
 * @returns the 8-byte ciphertext.
 */
export const desEncryptBlock = (key7: Uint8Array, block8: Uint8Array): Uint8Array => {
  if (block8.length !== 8) throw new RangeError("DES block must be 8 bytes")
  const k = expandDesKey(key7)
  const edeKey = new Uint8Array(16)
  edeKey.set(k, 0)
  edeKey.set(k, 8)
  const cipher = createCipheriv("des-ede-ecb", edeKey, null)
  cipher.setAutoPadding(false)
  const out = new Uint8Array(cipher.update(block8))
  cipher.final()
  k.fill(0)
  edeKey.fill(0)
  return out
}
