/**
 * MIT keytab files (format version 2, read in 1 and 2) as kadmin's ktadd,
 * ktutil and `klist -k` use them.
 *
 * @since 0.1.0
 */
import { Effect, Option, type Redacted, Result } from "effect"
import type { SecurityError } from "@effect-sspi/core"
import { enctype } from "./internal/crypto/encryptionType.ts"
import { passwordKey } from "./internal/crypto/passwordKey.ts"
import { defaultSalt as principalSalt } from "./internal/kdc/client.ts"
import type { Principal } from "./internal/messages/common.ts"
import { ErrorCode } from "./internal/messages/error.ts"
import { invalidToken, krbFailure } from "./internal/status.ts"
import { CredentialFileError, readBytes, writeBytes } from "./internal/files/fileWriter.ts"
import { decodeKeytab, encodeKeytab, type KeytabEntry } from "./internal/files/keytab.ts"
import { wipeKey } from "./internal/crypto/profile.ts"

/**
 * One keytab entry (`key` is secret: zero it when done).
 *
 * @since 0.1.0
 */
export type Entry = KeytabEntry

/**
 * Decodes a keytab; never throws.
 *
 * @since 0.1.0
 */
export const decode = (bytes: Uint8Array): Result.Result<Array<Entry>, { readonly reason: string }> => decodeKeytab(bytes)

/**
 * Encodes entries as a version 2 keytab (the bytes hold keys).
 *
 * @since 0.1.0
 */
export const encode = (entries: ReadonlyArray<Entry>): Uint8Array => encodeKeytab(entries)

/**
 * Reads a keytab (`FILE:` or a path); a missing or corrupt file is a
 * {@link CredentialFileError} naming it.
 *
 * @since 0.1.0
 */
export const read = (name: string): Effect.Effect<Array<Entry>, CredentialFileError> =>
  Effect.flatMap(readBytes(name), (bytes) => {
    const entries = decodeKeytab(bytes)
    bytes.fill(0)
    return Result.match(entries, {
      onFailure: (e) => Effect.fail(new CredentialFileError({ path: name, reason: `not a keytab (${e.reason})` })),
      onSuccess: Effect.succeed
    })
  })

/**
 * Writes a keytab (version 2, mode 0600, replaced atomically).
 *
 * @since 0.1.0
 */
export const write = (name: string, entries: ReadonlyArray<Entry>): Effect.Effect<void, CredentialFileError> =>
  Effect.suspend(() => {
    const bytes = encode(entries)
    return Effect.ensuring(writeBytes(name, bytes), Effect.sync(() => bytes.fill(0)))
  })

/**
 * Zeroes the keys of entries.
 *
 * @since 0.1.0
 */
export const wipe = (entries: ReadonlyArray<Entry>): void => {
  for (const e of entries) wipeKey(e.key)
}

/**
 * Decrypts an EncryptedData's cipher (RFC 3961 decrypt with its integrity
 * check) with one key, for inspection tools (`sspi decode --keytab`). The
 * plaintext may hold keys: zero it when done. Unsupported encryption types
 * and failed integrity checks are a failure reason, never a throw.
 *
 * @since 0.1.0
 */
export const decrypt = (
  key: { readonly keytype: number; readonly keyvalue: Uint8Array },
  usage: number,
  cipher: Uint8Array
): Result.Result<Uint8Array, string> =>
  Option.match(enctype(key.keytype), {
    onNone: () => Result.fail(`encryption type ${key.keytype} is not supported`),
    onSome: (profile) => Result.mapError(profile.decrypt(key.keyvalue, usage, cipher), () => "integrity check failed (wrong key)")
  })

/**
 * A principal's default salt (RFC 4120 section 4): its realm, then its name
 * components, concatenated ("EXAMPLE.COMalice"). A KDC's PA-ETYPE-INFO2
 * salt, when it sends one, wins over it.
 *
 * @since 0.3.0
 */
export const defaultSalt = (principal: Principal): string => principalSalt(principal)

/**
 * A password's long-term key for `enctype` (RFC 3961 section 3
 * string-to-key; RFC 3962 PBKDF2 for AES, RFC 8009 for the SHA-2 types,
 * RFC 4757 for RC4-HMAC), as `ktutil addent -password` and kinit derive it:
 * `salt` and `s2kparams` as a KDC's PA-ETYPE-INFO2 gives them (else
 * {@link defaultSalt} and the enctype's default iteration count). PBKDF2
 * runs off the event loop. The key is secret: zero it when done.
 *
 * Failures: an unsupported `enctype` is SEC_E_KDC_UNKNOWN_ETYPE
 * (KDC_ERR_ETYPE_NOSUPP); `s2kparams` that are not four octets or name more
 * iterations than MIT accepts (its cap 0xffffff, `s2k_pbkdf2.c`; "00 00 00
 * 00" means 2^32, RFC 3962 section 4) are SEC_E_INVALID_TOKEN, refused
 * before any work.
 *
 * @since 0.3.0
 */
export const stringToKey = (
  etype: number,
  password: Redacted.Redacted<string>,
  salt: string,
  s2kparams?: Uint8Array
): Effect.Effect<Uint8Array, SecurityError.SspiError> =>
  Option.match(enctype(etype), {
    onNone: () => Effect.fail(krbFailure(ErrorCode.KDC_ERR_ETYPE_NOSUPP, "as", `encryption type ${etype}`)),
    onSome: (profile) =>
      passwordKey(profile, password, salt, s2kparams).pipe(
        // RFC 3962 section 4 / MIT s2k_pbkdf2.c: unreasonable iteration counts are refused, never run
        Effect.mapError((e) => invalidToken(`string-to-key parameters: ${e.message}`))
      )
  })
