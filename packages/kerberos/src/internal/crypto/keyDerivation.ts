/**
 * Key derivation: the usage labels of RFC 3961 section 5.3, DR/DK of the
 * simplified profile (RFC 3961 section 5.1, with AES as in RFC 3962), and
 * KDF-HMAC-SHA2 of RFC 8009 section 3.
 *
 * @since 0.1.0
 */
import { createHmac } from "node:crypto"
import { type AesKey, BLOCK_SIZE, sharedEcbEncryptor } from "./aesCts.ts"
import { nFold } from "./nfold.ts"

/**
 * The last octet of a usage label: which subkey of a base key is derived.
 * Kc (checksum) 0x99, Ke (encryption) 0xAA, Ki (integrity) 0x55.
 *
 * @since 0.1.0
 */
export const KeyPurpose = { Checksum: 0x99, Encryption: 0xaa, Integrity: 0x55 } as const

/**
 * One of the three {@link KeyPurpose} octets.
 *
 * @since 0.1.0
 */
export type KeyPurpose = (typeof KeyPurpose)[keyof typeof KeyPurpose]

/**
 * The five-octet label `usage (32-bit big-endian) || purpose`.
 *
 * @since 0.1.0
 */
export const usageLabel = (usage: number, purpose: KeyPurpose): Uint8Array => {
  const label = new Uint8Array(5)
  new DataView(label.buffer).setUint32(0, usage >>> 0)
  label[4] = purpose
  return label
}

/**
 * The label "kerberos" that turns a string-to-key intermediate into a key.
 *
 * @since 0.1.0
 */
export const KERBEROS_LABEL: Uint8Array = new TextEncoder().encode("kerberos")

const folded = new Map<string, Uint8Array>()

/** n-fold(constant) to one block, memoised: the constants are the few usage labels and "kerberos". */
const foldedConstant = (constant: Uint8Array): Uint8Array => {
  const id = Buffer.from(constant.buffer, constant.byteOffset, constant.byteLength).toString("latin1")
  let block = folded.get(id)
  if (block === undefined) {
    block = nFold(constant, BLOCK_SIZE)
    // bounded: usages are 32-bit numbers an application could vary
    if (folded.size >= 1024) folded.clear()
    folded.set(id, block)
  }
  return block
}

/**
 * DR(Key, Constant) for AES (RFC 3961 section 5.1): the constant is n-folded
 * to one block, encrypted, and the output fed back until `length` bytes are
 * produced. For AES random-to-key is the identity, so this is also DK.
 *
 * @since 0.1.0
 */
export const deriveRandomAes = (key: AesKey, constant: Uint8Array, length: number): Uint8Array => {
  // one block in, one block out: the shared encryptor holds nothing back
  const cipher = sharedEcbEncryptor(key)
  const out = new Uint8Array(length)
  let block: Uint8Array = foldedConstant(constant)
  let previous: Uint8Array | undefined
  for (let offset = 0; offset < length; offset += BLOCK_SIZE) {
    block = cipher.update(block)
    out.set(block.subarray(0, Math.min(BLOCK_SIZE, length - offset)), offset)
    previous?.fill(0) // key material; the first block in is the shared folded constant, never zeroed
    previous = block
  }
  previous?.fill(0)
  return out
}

/**
 * KDF-HMAC-SHA2(key, label, k) of RFC 8009 section 3 with an empty context:
 * the first `length` bytes of HMAC(key, 00000001 || label || 00 || k), k the
 * output length in bits as a 32-bit big-endian integer.
 *
 * @since 0.1.0
 */
export const kdfHmacSha2 = (
  hash: "sha256" | "sha384",
  key: AesKey,
  label: Uint8Array,
  length: number
): Uint8Array => {
  const prefix = new Uint8Array([0, 0, 0, 1])
  const suffix = new Uint8Array(5)
  new DataView(suffix.buffer).setUint32(1, length * 8)
  const digest = createHmac(hash, key).update(prefix).update(label).update(suffix).digest()
  return digest.subarray(0, length)
}
