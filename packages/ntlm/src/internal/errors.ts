/**
 * The single decoding error of the NTLM codecs.
 *
 * @module
 */
import { Data } from "effect"

/**
 * A received NTLM structure is malformed. `reason` names the check that
 * failed; it never contains message contents, so it is safe to log.
 */
export class NtlmMalformed extends Data.TaggedError("NtlmMalformed")<{
  readonly reason: string
}> {}
