/**
 * The password one-way functions NTOWFv1, LMOWFv1 ([MS-NLMP] 3.3.1) and
 * NTOWFv2 / LMOWFv2 ([MS-NLMP] 3.3.2).
 *
 * @module
 */
import { desEncryptBlock, md4 } from "@effect-sspi/legacy-crypto"
import { oem, utf16le } from "./bytes.ts"
import { hmacMd5 } from "./crypto.ts"

const LM_MAGIC = new TextEncoder().encode("KGS!@#$%")

/** NTOWFv1: MD4 of the UTF-16LE password (the "NT hash"). */
export const ntowfv1 = (password: string): Uint8Array => {
  const pw = utf16le(password)
  const out = md4(pw)
  pw.fill(0)
  return out
}

/**
 * LMOWFv1: the LM hash. The upper-cased OEM password is truncated or
 * zero-padded to 14 bytes and each half encrypts "KGS!@#$%" with DES.
 * (Windows cannot compute it for passwords longer than 14 characters.)
 */
export const lmowfv1 = (password: string): Uint8Array => {
  const pw = new Uint8Array(14)
  pw.set(oem(password.toUpperCase()).subarray(0, 14))
  const out = new Uint8Array(16)
  out.set(desEncryptBlock(pw.subarray(0, 7), LM_MAGIC), 0)
  out.set(desEncryptBlock(pw.subarray(7, 14), LM_MAGIC), 8)
  pw.fill(0)
  return out
}

/**
 * NTOWFv2 (equal to LMOWFv2): HMAC_MD5(NTOWFv1, UTF-16LE(Uppercase(user) + domain)).
 *
 * @param ntHash - NTOWFv1 of the password, so hash-only credentials work too.
 */
export const ntowfv2 = (ntHash: Uint8Array, user: string, domain: string): Uint8Array =>
  hmacMd5(ntHash, utf16le(user.toUpperCase() + domain))

/** LMOWFv2 is defined as NTOWFv2. */
export const lmowfv2 = ntowfv2
