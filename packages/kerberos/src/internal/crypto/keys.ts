/**
 * Key validation where a key enters the package (issue 9 G, D3–D6): a key
 * of a known encryption type must have exactly that type's key length
 * (RFC 3961 section 3: a protocol key is `keyLength` octets; RFC 3962
 * section 6: 16 or 32 for AES; RFC 4757: 16 for RC4-HMAC). A key that does
 * not is refused there with a typed error, so the crypto below never sees
 * it (its length assertions are programming-error guards only).
 *
 * @since 0.2.0
 */
import { Option, Result } from "effect"
import type { EncryptionKey } from "../messages/common.ts"
import { enctype } from "./encryptionType.ts"
import type { EncryptionProfile } from "./profile.ts"

/**
 * Why a key was refused.
 *
 * @since 0.2.0
 */
export type KeyProblem = "UnsupportedType" | "BadLength"

/**
 * The profile of `key`'s type when the type is supported and the key has its
 * length.
 *
 * @since 0.2.0
 */
export const checkKey = (key: EncryptionKey): Result.Result<EncryptionProfile, KeyProblem> =>
  Option.match(enctype(key.keytype), {
    onNone: () => Result.fail("UnsupportedType" as const),
    onSome: (profile) =>
      key.keyvalue.length === profile.keyLength ? Result.succeed(profile) : Result.fail("BadLength" as const)
  })

/**
 * Whether `key` is unusable for its own (supported) type: a wrong length.
 * Keys of types we do not support are left to the code that uses them
 * (they never reach the crypto).
 *
 * @since 0.2.0
 */
export const badLength = (key: EncryptionKey): boolean =>
  Option.match(enctype(key.keytype), { onNone: () => false, onSome: (p) => key.keyvalue.length !== p.keyLength })
