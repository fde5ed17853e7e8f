/**
 * A password's long-term key (RFC 3961 section 3 string-to-key): the
 * password and salt as UTF-8 octets (RFC 4120 section 4), PBKDF2 off the
 * event loop with MIT's iteration cap (`stringToKeyAsync`, profile.ts
 * MAX_ITERATIONS). The password's octets are zeroed once used.
 *
 * @since 0.3.0
 */
import { Effect, Redacted } from "effect"
import type { EncryptionProfile, StringToKeyParams } from "./profile.ts"

/**
 * The key of `password` for `profile` with `salt` and the optional
 * `s2kparams`; a `RangeError` (never run) for unreasonable parameters.
 *
 * @since 0.3.0
 */
export const passwordKey = (
  profile: EncryptionProfile,
  password: Redacted.Redacted<string>,
  salt: string,
  params?: StringToKeyParams
): Effect.Effect<Uint8Array, RangeError> =>
  Effect.suspend(() => {
    const octets = new TextEncoder().encode(Redacted.value(password))
    return profile.stringToKeyAsync(octets, new TextEncoder().encode(salt), params).pipe(
      Effect.ensuring(Effect.sync(() => octets.fill(0)))
    )
  })
