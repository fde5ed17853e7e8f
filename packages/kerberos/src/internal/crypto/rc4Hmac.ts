/**
 * rc4-hmac (enctype 23) and its checksum hmac-md5 (type -138), RFC 4757.
 * MD4 and RC4 come from @effect-sspi/legacy-crypto (OpenSSL 3 dropped them
 * from Node.js's default provider); HMAC-MD5 and MD5 from node:crypto.
 *
 * @since 0.1.0
 */
import { createHash, createHmac } from "node:crypto"
import { md4, Rc4 } from "@effect-sspi/legacy-crypto"
import { Effect, Result } from "effect"
import { IntegrityError } from "./errors.ts"
import { assertKeyLength, confounderOf, constantTimeEqual, type EncryptionProfile } from "./profile.ts"

const ENCTYPE = 23
const NAME = "rc4-hmac"
const KEY_LENGTH = 16
const MAC_LENGTH = 16
const CONFOUNDER_LENGTH = 8
const SIGNATURE_KEY = new TextEncoder().encode("signaturekey\0")

/**
 * The message type T that RFC 4757 section 3 substitutes for a key usage:
 * the AS-REP (3) and TGS-REP with subkey (9) encrypted parts use 8, every
 * other usage itself.
 *
 * @since 0.1.0
 */
export const rc4MessageType = (usage: number): number => (usage === 3 || usage === 9 ? 8 : usage)

/** T as a four-octet little-endian integer. */
const messageTypeBytes = (usage: number): Uint8Array => {
  const t = new Uint8Array(4)
  new DataView(t.buffer).setUint32(0, rc4MessageType(usage) >>> 0, true)
  return t
}

const hmacMd5 = (key: Uint8Array, ...parts: ReadonlyArray<Uint8Array>): Buffer => {
  const mac = createHmac("md5", key)
  for (const part of parts) mac.update(part)
  return mac.digest()
}

// Failures are shared values: refusing forged input allocates nothing.
const tooShort = Result.fail(new IntegrityError({ enctype: ENCTYPE, reason: "TooShort" }))
const mismatch = Result.fail(new IntegrityError({ enctype: ENCTYPE, reason: "Mismatch" }))

const checksum = (key: Uint8Array, usage: number, data: Uint8Array): Uint8Array => {
  assertKeyLength(NAME, key, KEY_LENGTH)
  const ksign = hmacMd5(key, SIGNATURE_KEY)
  const digest = createHash("md5").update(messageTypeBytes(usage)).update(data).digest()
  return hmacMd5(ksign, digest)
}

/** RFC 4757 encryption of the joined `parts` into `out` at `offset`: HMAC-MD5 checksum, then RC4 of confounder and parts. */
const encryptInto: EncryptionProfile["encryptInto"] = (key, usage, parts, out, offset, confounder) => {
  assertKeyLength(NAME, key, KEY_LENGTH)
  const conf = confounderOf(confounder, CONFOUNDER_LENGTH)
  const k1 = hmacMd5(key, messageTypeBytes(usage))
  const mac = hmacMd5(k1, conf, ...parts)
  const rc4 = new Rc4(hmacMd5(k1, mac))
  out.set(mac, offset)
  let at = offset + MAC_LENGTH
  for (const part of [conf, ...parts]) {
    rc4.process(part, out.subarray(at, at + part.length))
    at += part.length
  }
  rc4.wipe()
}

/**
 * The rc4-hmac profile. Encryption (RFC 4757 section 5): K1 = HMAC-MD5(K, T),
 * checksum = HMAC-MD5(K1, confounder || plaintext), K3 = HMAC-MD5(K1,
 * checksum), ciphertext = checksum || RC4(K3, confounder || plaintext).
 * String-to-key is MD4 of the UTF-16LE password; salt and parameters are
 * ignored. The password bytes are read as UTF-8.
 *
 * @since 0.1.0
 */
export const rc4HmacProfile: EncryptionProfile = {
  enctype: ENCTYPE,
  name: NAME,
  keyLength: KEY_LENGTH,
  checksumType: -138,
  checksumSize: MAC_LENGTH,
  confounderSize: CONFOUNDER_LENGTH,
  ciphertextLength: (plaintextLength) => MAC_LENGTH + CONFOUNDER_LENGTH + plaintextLength,
  stringToKey: (password) => md4(Buffer.from(new TextDecoder().decode(password), "utf16le")),
  // one MD4: cheap, and RC4-HMAC has no string-to-key parameters
  stringToKeyAsync: (password) => Effect.sync(() => md4(Buffer.from(new TextDecoder().decode(password), "utf16le"))),
  randomToKey: (random) => {
    assertKeyLength(NAME, random, KEY_LENGTH)
    return random.slice()
  },
  encrypt: (key, usage, plaintext, confounder) => {
    const out = Buffer.allocUnsafe(MAC_LENGTH + CONFOUNDER_LENGTH + plaintext.length)
    encryptInto(key, usage, [plaintext], out, 0, confounder)
    return out
  },
  encryptInto,
  decrypt: (key, usage, ciphertext) => {
    assertKeyLength(NAME, key, KEY_LENGTH)
    if (ciphertext.length < MAC_LENGTH + CONFOUNDER_LENGTH) return tooShort
    const tag = ciphertext.subarray(0, MAC_LENGTH)
    const k1 = hmacMd5(key, messageTypeBytes(usage))
    const rc4 = new Rc4(hmacMd5(k1, tag))
    const plain = rc4.process(ciphertext.subarray(MAC_LENGTH))
    rc4.wipe()
    return constantTimeEqual(hmacMd5(k1, plain), tag) ? Result.succeed(plain.subarray(CONFOUNDER_LENGTH)) : mismatch
  },
  checksum,
  verifyChecksum: (key, usage, data, cksum) =>
    cksum.length === MAC_LENGTH && constantTimeEqual(checksum(key, usage, data), cksum)
}
