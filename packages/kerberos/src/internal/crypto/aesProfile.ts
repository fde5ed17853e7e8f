/**
 * One generic implementation of the AES encryption types: the RFC 3961
 * simplified profile with AES-CTS (RFC 3962: aes128/aes256-cts-hmac-sha1-96)
 * and its RFC 8009 variant (aes128-cts-hmac-sha256-128,
 * aes256-cts-hmac-sha384-192), parameterised by an {@link AesSpec}.
 *
 * @since 0.1.0
 */
import { createHmac, type KeyObject, pbkdf2, pbkdf2Sync } from "node:crypto"
import { Effect, Result } from "effect"
import { type AesKey, BLOCK_SIZE, ctsDecrypt, ctsEncryptBlocks, ctsEncryptInto, secretKey, releaseKey, ZERO_IV } from "./aesCts.ts"
import { IntegrityError } from "./errors.ts"
import { deriveRandomAes, kdfHmacSha2, KERBEROS_LABEL, KeyPurpose, usageLabel } from "./keyDerivation.ts"
import {
  assertKeyLength,
  confounderOf,
  constantTimeEqual,
  derivedKeyCache,
  type EncryptionProfile,
  iterationCount
} from "./profile.ts"

/**
 * What distinguishes one AES encryption type from another.
 *
 * - `rfc3962`: subkeys by DK (AES), PBKDF2-HMAC-SHA1 then DK(tkey,
 *   "kerberos"), default 4096 iterations, HMAC-SHA1 over confounder and
 *   plaintext.
 * - `rfc8009`: subkeys by KDF-HMAC-SHA2, PBKDF2 over `name || 00 || salt`
 *   then KDF(tkey, "kerberos"), default 32768 iterations, HMAC over
 *   IV || ciphertext (encrypt-then-MAC).
 *
 * @since 0.1.0
 */
export interface AesSpec {
  readonly enctype: number
  readonly name: string
  readonly checksumType: number
  readonly family: "rfc3962" | "rfc8009"
  readonly hash: "sha1" | "sha256" | "sha384"
  /** AES key length in bytes: 16 or 32. */
  readonly keyLength: 16 | 32
  /** Truncated HMAC length in bytes; also the Kc and Ki length for RFC 8009. */
  readonly macLength: number
}

/**
 * Builds the {@link EncryptionProfile} of one AES encryption type.
 *
 * @since 0.1.0
 */
export const aesProfile = (spec: AesSpec): EncryptionProfile => {
  const { enctype, family, hash, keyLength, macLength, name } = spec
  const etm = family === "rfc8009"
  const hmacKeyLength = etm ? macLength : keyLength
  const derive = (key: AesKey, label: Uint8Array, length: number): Uint8Array =>
    hash === "sha1" ? deriveRandomAes(key, label, length) : kdfHmacSha2(hash, key, label, length) // DK (RFC 3961) or KDF-HMAC-SHA2 (RFC 8009)
  /** A derived subkey as a KeyObject (the hot path's form, see `AesKey`); the intermediate bytes are zeroed. */
  const deriveKey = (key: AesKey, label: Uint8Array, length: number): KeyObject => {
    const bytes = derive(key, label, length)
    const keyObject = secretKey(bytes)
    bytes.fill(0)
    return keyObject
  }
  const saltPrefix = etm ? new TextEncoder().encode(`${name}\0`) : new Uint8Array(0)
  const defaultIterations = etm ? 32768 : 4096

  const encryptionKeys = derivedKeyCache(
    (_, usage, base) => ({
      ke: deriveKey(base(), usageLabel(usage, KeyPurpose.Encryption), keyLength),
      ki: deriveKey(base(), usageLabel(usage, KeyPurpose.Integrity), hmacKeyLength)
    }),
    (held) => {
      if ("ke" in held) {
        releaseKey(held.ke)
        releaseKey(held.ki)
      } else releaseKey(held)
    }
  )
  const checksumKey = derivedKeyCache(
    (_, usage, base) => deriveKey(base(), usageLabel(usage, KeyPurpose.Checksum), hmacKeyLength),
    releaseKey
  )
  // Failures are shared values: refusing forged input allocates nothing.
  const tooShort = Result.fail(new IntegrityError({ enctype, reason: "TooShort" }))
  const mismatch = Result.fail(new IntegrityError({ enctype, reason: "Mismatch" }))

  const checksum = (key: Uint8Array, usage: number, data: Uint8Array): Uint8Array => {
    assertKeyLength(name, key, keyLength)
    return createHmac(hash, checksumKey(key, usage)).update(data).digest().subarray(0, macLength)
  }

  const encryptInto: EncryptionProfile["encryptInto"] = (key, usage, parts, out, offset, confounder) => {
    assertKeyLength(name, key, keyLength)
    const conf = confounderOf(confounder, BLOCK_SIZE)
    const { ke, ki } = encryptionKeys(key, usage)
    let length = BLOCK_SIZE
    for (const part of parts) length += part.length
    ctsEncryptInto(ke, [conf, ...parts], out, offset)
    const mac = createHmac(hash, ki)
    if (etm) mac.update(ZERO_IV).update(out.subarray(offset, offset + length))
    else {
      mac.update(conf)
      for (const part of parts) mac.update(part)
    }
    out.set(mac.digest().subarray(0, macLength), offset + length)
  }

  // With whole blocks the CS3 swap leaves the plaintext's ciphertext in place
  // but for its last block, so the cipher's output for the plaintext is the
  // bulk of the rotated ciphertext: confounder block ‖ plaintext blocks ‖
  // suffix block encrypt to C1 ‖ X ‖ Cs ‖ Cp (Cp the plaintext's last block,
  // Cs the suffix's), rotated right by 16 + mac: Cp ‖ MAC ‖ C1 ‖ X ‖ Cs.
  const encryptRotatedInto: NonNullable<EncryptionProfile["encryptRotatedInto"]> = (
    key,
    usage,
    plaintext,
    suffix,
    out,
    offset,
    confounder
  ) => {
    assertKeyLength(name, key, keyLength)
    if (plaintext.length < BLOCK_SIZE || plaintext.length % BLOCK_SIZE !== 0 || suffix.length !== BLOCK_SIZE) {
      return undefined
    }
    const conf = confounderOf(confounder, BLOCK_SIZE)
    const { ke, ki } = encryptionKeys(key, usage)
    const finalAt = offset
    const macAt = offset + BLOCK_SIZE
    const firstAt = macAt + macLength
    const body = ctsEncryptBlocks(ke, conf, plaintext, suffix, out, firstAt, finalAt)
    const mac = createHmac(hash, ki)
    if (etm) {
      mac.update(ZERO_IV).update(out.subarray(firstAt, firstAt + BLOCK_SIZE)).update(body)
        .update(out.subarray(finalAt, finalAt + BLOCK_SIZE))
    } else mac.update(conf).update(plaintext).update(suffix)
    out.set(mac.digest().subarray(0, macLength), macAt)
    return body
  }

  return {
    enctype,
    name,
    keyLength,
    checksumType: spec.checksumType,
    checksumSize: macLength,
    confounderSize: BLOCK_SIZE,
    ciphertextLength: (plaintextLength) => BLOCK_SIZE + plaintextLength + macLength,
    stringToKey: (password, salt, params) => {
      const iterations = iterationCount(params, defaultIterations)
      const saltp = saltPrefix.length === 0 ? salt : Buffer.concat([saltPrefix, salt])
      const tkey = pbkdf2Sync(password, saltp, iterations, keyLength, hash)
      return derive(tkey, KERBEROS_LABEL, keyLength)
    },
    stringToKeyAsync: (password, salt, params) =>
      Effect.suspend(() => {
        let iterations: number
        try {
          iterations = iterationCount(params, defaultIterations)
        } catch (e) {
          return Effect.fail(e instanceof RangeError ? e : new RangeError(String(e)))
        }
        const saltp = saltPrefix.length === 0 ? salt : Buffer.concat([saltPrefix, salt])
        return Effect.callback<Uint8Array, RangeError>((resume) => {
          pbkdf2(password, saltp, iterations, keyLength, hash, (err, tkey) => {
            if (err !== null) return resume(Effect.fail(new RangeError(err.message)))
            const key = derive(tkey, KERBEROS_LABEL, keyLength)
            tkey.fill(0)
            resume(Effect.succeed(key))
          })
        })
      }),
    randomToKey: (random) => {
      assertKeyLength(name, random, keyLength)
      return random.slice()
    },
    encrypt: (key, usage, plaintext, confounder) => {
      const out = Buffer.allocUnsafe(BLOCK_SIZE + plaintext.length + macLength)
      encryptInto(key, usage, [plaintext], out, 0, confounder)
      return out
    },
    encryptInto,
    encryptRotatedInto,
    decrypt: (key, usage, ciphertext) => {
      assertKeyLength(name, key, keyLength)
      if (ciphertext.length < BLOCK_SIZE + macLength) return tooShort
      const { ke, ki } = encryptionKeys(key, usage)
      const body = ciphertext.subarray(0, ciphertext.length - macLength)
      const tag = ciphertext.subarray(ciphertext.length - macLength)
      if (etm) {
        const mac = createHmac(hash, ki).update(ZERO_IV).update(body).digest().subarray(0, macLength)
        return constantTimeEqual(mac, tag) ? Result.succeed(ctsDecrypt(ke, body).subarray(BLOCK_SIZE)) : mismatch
      }
      const plain = ctsDecrypt(ke, body)
      const mac = createHmac(hash, ki).update(plain).digest().subarray(0, macLength)
      return constantTimeEqual(mac, tag) ? Result.succeed(plain.subarray(BLOCK_SIZE)) : mismatch
    },
    checksum,
    verifyChecksum: (key, usage, data, cksum) =>
      cksum.length === macLength && constantTimeEqual(checksum(key, usage, data), cksum)
  }
}
