/**
 * The registry of supported encryption types.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import { aesProfile } from "./aesProfile.ts"
import type { EncryptionProfile } from "./profile.ts"
import { rc4HmacProfile } from "./rc4Hmac.ts"

/**
 * Encryption type numbers (RFC 3961 section 8, RFC 8009, RFC 4757).
 *
 * @since 0.1.0
 */
export const EncryptionType = {
  AES128_CTS_HMAC_SHA1_96: 17,
  AES256_CTS_HMAC_SHA1_96: 18,
  AES128_CTS_HMAC_SHA256_128: 19,
  AES256_CTS_HMAC_SHA384_192: 20,
  RC4_HMAC: 23
} as const

/**
 * One of the supported encryption type numbers.
 *
 * @since 0.1.0
 */
export type EncryptionType = (typeof EncryptionType)[keyof typeof EncryptionType]

/**
 * Checksum type numbers of the keyed checksums of those encryption types.
 *
 * @since 0.1.0
 */
export const ChecksumType = {
  HMAC_SHA1_96_AES128: 15,
  HMAC_SHA1_96_AES256: 16,
  HMAC_SHA256_128_AES128: 19,
  HMAC_SHA384_192_AES256: 20,
  HMAC_MD5: -138
} as const

/**
 * One of the supported checksum type numbers.
 *
 * @since 0.1.0
 */
export type ChecksumType = (typeof ChecksumType)[keyof typeof ChecksumType]

/**
 * Every supported profile, strongest first (a sensible etype preference order).
 *
 * @since 0.1.0
 */
export const encryptionProfiles: ReadonlyArray<EncryptionProfile> = [
  aesProfile({
    enctype: EncryptionType.AES256_CTS_HMAC_SHA384_192,
    name: "aes256-cts-hmac-sha384-192",
    checksumType: ChecksumType.HMAC_SHA384_192_AES256,
    family: "rfc8009",
    hash: "sha384",
    keyLength: 32,
    macLength: 24
  }),
  aesProfile({
    enctype: EncryptionType.AES128_CTS_HMAC_SHA256_128,
    name: "aes128-cts-hmac-sha256-128",
    checksumType: ChecksumType.HMAC_SHA256_128_AES128,
    family: "rfc8009",
    hash: "sha256",
    keyLength: 16,
    macLength: 16
  }),
  aesProfile({
    enctype: EncryptionType.AES256_CTS_HMAC_SHA1_96,
    name: "aes256-cts-hmac-sha1-96",
    checksumType: ChecksumType.HMAC_SHA1_96_AES256,
    family: "rfc3962",
    hash: "sha1",
    keyLength: 32,
    macLength: 12
  }),
  aesProfile({
    enctype: EncryptionType.AES128_CTS_HMAC_SHA1_96,
    name: "aes128-cts-hmac-sha1-96",
    checksumType: ChecksumType.HMAC_SHA1_96_AES128,
    family: "rfc3962",
    hash: "sha1",
    keyLength: 16,
    macLength: 12
  }),
  rc4HmacProfile
]

const byNumber = new Map(encryptionProfiles.map((profile) => [profile.enctype, profile]))

/**
 * The profile of encryption type `n`, or none if it is not supported.
 *
 * @since 0.1.0
 */
export const enctype = (n: number): Option.Option<EncryptionProfile> => Option.fromNullishOr(byNumber.get(n))
