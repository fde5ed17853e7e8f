/**
 * The errors of the NTLM codecs: one for decoding, one for encoding.
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

/**
 * A structure cannot be encoded: a field or AV pair would exceed the 16-bit
 * length the wire format allows. Encoders return it instead of throwing, so
 * sizes that come from a peer (a CHALLENGE's TargetInfo echoed into the
 * AUTHENTICATE) end as a typed status, never a defect.
 */
export class NtlmTooLarge extends Data.TaggedError("NtlmTooLarge")<{
  readonly reason: string
}> {}
