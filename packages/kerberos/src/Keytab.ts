/**
 * MIT keytab files (format version 2, read in 1 and 2) as kadmin's ktadd,
 * ktutil and `klist -k` use them.
 *
 * @since 0.1.0
 */
import { Effect, Option, Result } from "effect"
import { enctype } from "./internal/crypto/encryptionType.ts"
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
