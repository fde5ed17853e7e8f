/**
 * The one failure of the Kerberos crypto layer that reaches callers as data.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * Why a ciphertext or checksum was refused. `TooShort`: fewer bytes than the
 * confounder and the integrity tag; `Mismatch`: the integrity tag does not
 * verify (wrong key or usage, or altered bytes).
 *
 * @since 0.1.0
 */
export type IntegrityFailure = "TooShort" | "Mismatch"

/**
 * A ciphertext failed its integrity check (KRB_AP_ERR_BAD_INTEGRITY). Decrypt
 * returns it in a `Result` failure and never throws it.
 *
 * @since 0.1.0
 */
export class IntegrityError extends Data.TaggedError("IntegrityError")<{
  readonly enctype: number
  readonly reason: IntegrityFailure
}> {}
