/**
 * The cryptographic functions of [MS-NLMP] section 6 that the rest of the
 * package builds on: MD5, HMAC_MD5, RC4K and DESL.
 *
 * @module
 */
import { desEncryptBlock, Rc4 } from "@effect-sspi/legacy-crypto"
import { createHash, createHmac, createSecretKey } from "node:crypto"
import { probe } from "./probe.ts"

/** MD5 of the concatenation of `parts` (without concatenating them). */
export const md5 = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const h = createHash("md5")
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/**
 * An HMAC key as a KeyObject: Node 24 checks a raw key given to `createHmac`
 * on every call (~10 us for a 16-byte key), a KeyObject not (~1.5 us to make
 * one). A KeyObject's native copy cannot be zeroed from JavaScript: callers
 * keep it no longer than the operation (or, for the session's sign keys, the
 * context) and wipe their own raw bytes as before; the copy is freed with
 * the KeyObject.
 */
export const hmacKey = (key: Uint8Array) => createSecretKey(key)

/** HMAC_MD5(key, concatenation of `parts`); the key's KeyObject lives for this call only. */
export const hmacMd5 = (key: Uint8Array, ...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const h = createHmac("md5", hmacKey(key))
  let n = 0
  for (const p of parts) {
    h.update(p)
    n += p.length
  }
  probe.hmac?.(n)
  return new Uint8Array(h.digest())
}

/** RC4K(key, data): RC4 with a fresh key schedule, as used for the key exchange. */
export const rc4k = (key: Uint8Array, data: Uint8Array): Uint8Array => {
  const rc4 = new Rc4(key)
  const out = rc4.process(data)
  rc4.wipe()
  return out
}

/**
 * DESL(K, D): the 24-byte DES "long" encryption of the 8-byte `data` under
 * the 16-byte `key`, split into three 7-byte DES keys (the last padded with
 * zeros).
 */
export const desl = (key: Uint8Array, data: Uint8Array): Uint8Array => {
  const k3 = new Uint8Array(7)
  k3.set(key.subarray(14, 16))
  const out = new Uint8Array(24)
  out.set(desEncryptBlock(key.subarray(0, 7), data), 0)
  out.set(desEncryptBlock(key.subarray(7, 14), data), 8)
  out.set(desEncryptBlock(k3, data), 16)
  k3.fill(0)
  return out
}
