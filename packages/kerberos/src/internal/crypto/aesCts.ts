/**
 * AES in CBC mode with ciphertext stealing as Kerberos uses it (RFC 3962
 * section 5): CBC-CS3, the last two ciphertext blocks swapped and the new last
 * block cut to the length of the final plaintext block. Exactly one block is
 * plain CBC. Built on node:crypto's AES-CBC and AES-ECB.
 *
 * @since 0.1.0
 */
import { type Cipher, createCipheriv, createDecipheriv, createSecretKey, type Decipher, type KeyObject } from "node:crypto"

/**
 * The AES block size in bytes.
 *
 * @since 0.1.0
 */
export const BLOCK_SIZE = 16

/**
 * The all-zero initial cipher state Kerberos uses.
 *
 * @since 0.1.0
 */
export const ZERO_IV: Uint8Array = new Uint8Array(BLOCK_SIZE)


/**
 * A key as node:crypto takes it: the raw bytes, or a `KeyObject` made once
 * from them. Node 24 checks a raw key for being a KeyObject or CryptoKey on
 * every cipher and HMAC (a failing private-field check, 4-7 times the cost of
 * the operation on a short message); a `KeyObject` skips that, so derived keys
 * are kept as KeyObjects (see `derivedKeyCache`).
 *
 * @since 0.2.0
 */
export type AesKey = Uint8Array | KeyObject

/**
 * The `KeyObject` of secret key bytes (a copy, owned by node:crypto: it lives
 * until collected, as a cipher object's key schedule does).
 *
 * @since 0.2.0
 */
export const secretKey = (key: AesKey): KeyObject => key instanceof Uint8Array ? createSecretKey(key) : key

/** Key lengths of KeyObjects (node's `symmetricKeySize` getter costs a slot lookup per call). */
const keyLengths = new WeakMap<KeyObject, number>()

const keyLength = (key: AesKey): number => {
  if (key instanceof Uint8Array) return key.length
  let length = keyLengths.get(key)
  if (length === undefined) {
    length = key.symmetricKeySize ?? 0
    keyLengths.set(key, length)
  }
  return length
}

/**
 * One unpadded AES-ECB decryptor per KeyObject, reused: ECB carries no state
 * from one whole block to the next, and it is only ever given whole blocks.
 */
const ecbDecryptors = new WeakMap<KeyObject, Decipher>()

const ecbDecryptor = (key: AesKey): Decipher => {
  if (key instanceof Uint8Array) return createDecipheriv(algorithm(key, "ecb"), key, null).setAutoPadding(false)
  let decipher = ecbDecryptors.get(key)
  if (decipher === undefined) {
    decipher = createDecipheriv(algorithm(key, "ecb"), key, null).setAutoPadding(false)
    ecbDecryptors.set(key, decipher)
  }
  return decipher
}

/** Up to this length the CBC chaining of a decryption is undone in JavaScript over one ECB pass (no cipher object made). */
const SMALL_MESSAGE = 4096

const algorithm = (key: AesKey, mode: "cbc" | "ecb"): string => {
  const length = keyLength(key)
  if (length === 16) return mode === "cbc" ? "aes-128-cbc" : "aes-128-ecb"
  if (length === 32) return mode === "cbc" ? "aes-256-cbc" : "aes-256-ecb"
  throw new RangeError(`AES key of ${length} bytes; expected 16 or 32`)
}

/**
 * An unpadded AES-ECB encryptor. Feeding it one block at a time gives the
 * raw block function (key derivation uses it).
 *
 * @since 0.1.0
 */
export const aesEcbEncryptor = (key: AesKey): Cipher =>
  createCipheriv(algorithm(key, "ecb"), key, null).setAutoPadding(false)

const ecbEncryptors = new WeakMap<KeyObject, Cipher>()

/**
 * {@link aesEcbEncryptor}, one per KeyObject, reused (a raw key gets a new
 * one): only ever give it whole blocks, so that it holds nothing back.
 *
 * @since 0.2.0
 */
export const sharedEcbEncryptor = (key: AesKey): Cipher => {
  if (key instanceof Uint8Array) return aesEcbEncryptor(key)
  let cipher = ecbEncryptors.get(key)
  if (cipher === undefined) {
    cipher = aesEcbEncryptor(key)
    ecbEncryptors.set(key, cipher)
  }
  return cipher
}

/**
 * Lets go of the cipher contexts reused for a KeyObject (see
 * {@link sharedEcbEncryptor}): each is finalised, which makes OpenSSL cleanse
 * its key schedule at once rather than when the collector frees it. The
 * KeyObject must not be used for encryption afterwards (a new context would
 * be made for it).
 *
 * @since 0.2.0
 */
export const releaseKey = (key: KeyObject): void => {
  for (const contexts of [ecbDecryptors, ecbEncryptors] as const) {
    const context = contexts.get(key)
    if (context === undefined) continue
    contexts.delete(key)
    // whole blocks only were ever given: nothing is pending, final() returns nothing
    context.final()
  }
}

/**
 * Encrypts the concatenation of `parts` with AES-CTS and writes the
 * ciphertext (as long as the parts together, at least one block) to `out`
 * at `offset`, without first joining the parts.
 *
 * @since 0.1.0
 */
export const ctsEncryptInto = (
  key: AesKey,
  parts: ReadonlyArray<Uint8Array>,
  out: Uint8Array,
  offset: number,
  iv: Uint8Array = ZERO_IV
): void => {
  let length = 0
  for (const part of parts) length += part.length
  if (length < BLOCK_SIZE) throw new RangeError("AES-CTS needs at least one block")
  const cipher = createCipheriv(algorithm(key, "cbc"), key, iv).setAutoPadding(false)
  const blocks = Math.ceil(length / BLOCK_SIZE)
  const lastStart = (blocks - 1) * BLOCK_SIZE
  const lastLength = length - lastStart
  // The final plaintext block, zero padded: with zero padding, plain CBC of
  // the last block gives exactly the stolen-ciphertext block of CS3. Everything
  // before it streams through the cipher (which holds partial blocks back).
  const last = new Uint8Array(BLOCK_SIZE)
  let at = offset
  let position = 0
  for (const part of parts) {
    const before = Math.max(0, Math.min(part.length, lastStart - position))
    if (before > 0) {
      const chunk = cipher.update(part.subarray(0, before))
      out.set(chunk, at)
      at += chunk.length
    }
    if (before < part.length) last.set(part.subarray(before), position + before - lastStart)
    position += part.length
  }
  const final = cipher.update(last)
  last.fill(0) // a copy of plaintext
  if (blocks === 1) {
    out.set(final, offset)
    return
  }
  // Swap: C(n-1), truncated, moves after C(n).
  const previous = offset + lastStart - BLOCK_SIZE
  out.copyWithin(offset + lastStart, previous, previous + lastLength)
  out.set(final, previous)
}

/**
 * AES-CTS of `first ‖ middle ‖ last` when the lengths are whole blocks:
 * `first` and `last` one block each, `middle` at least one block. Then CS3 is
 * plain CBC with the last two blocks swapped, so the ciphertext is
 * `C(first) ‖ C(middle) minus its last block ‖ C(last) ‖ last block of C(middle)`.
 *
 * Returns the cipher's own output for `middle` (a new array, not a copy) with
 * its last block replaced in place by `C(last)`; writes `C(first)` to `out`
 * at `firstAt` and the displaced block (the ciphertext's final block) at
 * `finalAt`. The ciphertext is therefore
 * `out[firstAt, +16) ‖ returned ‖ out[finalAt, +16)`.
 *
 * @since 0.1.0
 */
export const ctsEncryptBlocks = (
  key: AesKey,
  first: Uint8Array,
  middle: Uint8Array,
  last: Uint8Array,
  out: Uint8Array,
  firstAt: number,
  finalAt: number,
  iv: Uint8Array = ZERO_IV
): Uint8Array => {
  if (
    first.length !== BLOCK_SIZE || last.length !== BLOCK_SIZE || middle.length < BLOCK_SIZE ||
    middle.length % BLOCK_SIZE !== 0
  ) throw new RangeError("ctsEncryptBlocks needs one block, whole blocks, one block")
  const cipher = createCipheriv(algorithm(key, "cbc"), key, iv).setAutoPadding(false)
  const head = cipher.update(first)
  const body = cipher.update(middle)
  // unpadded CBC encryption releases every whole block at once
  if (head.length !== BLOCK_SIZE || body.length !== middle.length) throw new Error("AES-CBC held back whole blocks")
  out.set(head, firstAt)
  const stolenAt = body.length - BLOCK_SIZE
  out.set(body.subarray(stolenAt), finalAt)
  // chaining from the block just saved; the swap writes C(last) in its place
  body.set(cipher.update(last), stolenAt)
  return body
}

/**
 * Encrypts `plaintext` (at least one block) with AES-CTS into a new array.
 *
 * @since 0.1.0
 */
export const ctsEncrypt = (key: AesKey, plaintext: Uint8Array, iv: Uint8Array = ZERO_IV): Uint8Array => {
  const out = Buffer.allocUnsafe(plaintext.length)
  ctsEncryptInto(key, [plaintext], out, 0, iv)
  return out
}

/**
 * Decrypts an AES-CTS `ciphertext` (at least one block) into a new array of
 * the same length. Never checks integrity: callers verify a MAC.
 *
 * @since 0.1.0
 */
export const ctsDecrypt = (key: AesKey, ciphertext: Uint8Array, iv: Uint8Array = ZERO_IV): Uint8Array => {
  const length = ciphertext.length
  if (length < BLOCK_SIZE) throw new RangeError("AES-CTS needs at least one block")
  if (length <= SMALL_MESSAGE) return ctsDecryptSmall(key, ciphertext, iv)
  const decipher = createDecipheriv(algorithm(key, "cbc"), key, iv).setAutoPadding(false)
  const blocks = Math.ceil(length / BLOCK_SIZE)
  if (blocks === 1) return decipher.update(ciphertext)
  const lastStart = (blocks - 1) * BLOCK_SIZE
  const lastLength = length - lastStart
  const previous = lastStart - BLOCK_SIZE
  // D = AES^-1(C(n)) = (P(n) || 0) xor C(n-1): its tail completes C(n-1).
  const decrypted = createDecipheriv(algorithm(key, "ecb"), key, null)
    .setAutoPadding(false)
    .update(ciphertext.subarray(previous, lastStart))
  const fullPrevious = new Uint8Array(decrypted)
  fullPrevious.set(ciphertext.subarray(lastStart))
  const out = Buffer.allocUnsafe(length)
  const head = decipher.update(ciphertext.subarray(0, previous))
  out.set(head, 0)
  const tail = decipher.update(fullPrevious)
  out.set(tail, head.length)
  for (let i = 0; i < lastLength; i++) out[lastStart + i] = decrypted[i]! ^ fullPrevious[i]!
  // the cipher's outputs are plaintext (or plaintext xor public ciphertext): only `out` may hold it
  head.fill(0)
  tail.fill(0)
  decrypted.fill(0)
  return out
}

/**
 * {@link ctsDecrypt} for short messages (tickets, authenticators, AP-REPs):
 * every block through a reused AES-ECB decryptor, the CBC chaining undone
 * here. With n blocks, the last (C(n)) `r` octets long (RFC 3962 section 5,
 * CBC-CS3 as in ctsDecrypt): D = AES^-1(C(n-1)); P(n) = D[0, r) xor C(n);
 * P(n-1) = AES^-1(C(n) ‖ D[r, 16)) xor C(n-2); P(i) = AES^-1(C(i)) xor C(i-1)
 * before that, C(0) being the IV.
 */
const ctsDecryptSmall = (key: AesKey, ciphertext: Uint8Array, iv: Uint8Array): Uint8Array => {
  const length = ciphertext.length
  const decipher = ecbDecryptor(key)
  const blocks = Math.ceil(length / BLOCK_SIZE)
  const out = Buffer.allocUnsafe(length)
  if (blocks === 1) {
    const d = decipher.update(ciphertext)
    for (let i = 0; i < BLOCK_SIZE; i++) out[i] = d[i]! ^ iv[i]!
    d.fill(0)
    return out
  }
  const lastStart = (blocks - 1) * BLOCK_SIZE
  const lastLength = length - lastStart
  const previous = lastStart - BLOCK_SIZE
  // whole blocks only: the decryptor holds nothing back between calls
  const d = decipher.update(ciphertext.subarray(0, lastStart))
  if (d.length !== lastStart) throw new Error("AES-ECB held back whole blocks")
  const fullPrevious = new Uint8Array(BLOCK_SIZE)
  fullPrevious.set(ciphertext.subarray(lastStart))
  fullPrevious.set(d.subarray(previous + lastLength, lastStart), lastLength)
  for (let i = 0; i < lastLength; i++) out[lastStart + i] = d[previous + i]! ^ fullPrevious[i]!
  const dp = decipher.update(fullPrevious)
  const chain = previous === 0 ? iv : ciphertext.subarray(previous - BLOCK_SIZE, previous)
  for (let i = 0; i < BLOCK_SIZE; i++) out[previous + i] = dp[i]! ^ chain[i]!
  for (let at = 0; at < previous; at++) out[at] = d[at]! ^ (at < BLOCK_SIZE ? iv[at]! : ciphertext[at - BLOCK_SIZE]!)
  // AES^-1 of each block is the plaintext xor public ciphertext: only `out` may keep it
  d.fill(0)
  dp.fill(0)
  return out
}
