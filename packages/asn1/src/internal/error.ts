/**
 * The single decoding error of the DER codec.
 *
 * @module
 */
import { Data, Result } from "effect"

/**
 * Why a DER input was rejected. The reasons name the check that failed and
 * never carry message contents, so an {@link Asn1Error} is safe to log.
 */
export type Asn1ErrorReason =
  | "Truncated" // a header or a value runs past the end of its enclosing element
  | "IndefiniteLength" // 0x80 length octet (BER only)
  | "NonMinimalLength" // long form where short form fits, or leading zero length octets
  | "LengthTooLarge" // more than 4 length octets / reserved 0xFF
  | "NonMinimalTag" // high-tag-number form where low form fits, or leading 0x80 octets
  | "TagTooLarge" // tag number above 2^28
  | "UnexpectedTag" // the element is not the one the schema expects
  | "TrailingData" // bytes left after the last expected element
  | "TooDeep" // nesting deeper than the configured limit
  | "InputTooLarge" // the input is larger than the configured limit
  | "InvalidInteger" // empty or non-minimal INTEGER / ENUMERATED
  | "IntegerOutOfRange" // INTEGER does not fit the requested JS range
  | "InvalidBoolean" // BOOLEAN not exactly 00 or FF
  | "InvalidBitString" // bad unused-bits octet or non-zero padding
  | "InvalidOid" // malformed OBJECT IDENTIFIER
  | "InvalidString" // string bytes are not valid UTF-8
  | "InvalidTime" // not a KerberosTime "YYYYMMDDHHMMSSZ"
  | "UnexpectedValue" // well-formed, but not allowed by the schema (unknown ENUMERATED, wrong OID)

/**
 * A DER input is malformed or does not match the expected schema. `offset` is
 * the absolute offset, in the decoded buffer, of the element (or octet) that
 * failed.
 */
export class Asn1Error extends Data.TaggedError("Asn1Error")<{
  readonly reason: Asn1ErrorReason
  readonly offset: number
}> {}

/** A failed Result carrying an {@link Asn1Error} (for decoders built on the Reader). */
export const fail = (reason: Asn1ErrorReason, offset: number): Result.Result<never, Asn1Error> =>
  Result.fail(new Asn1Error({ reason, offset }))

/** @internal Re-types a failure for early return (a Failure holds no success value). */
export const forward = <E>(failure: Result.Failure<unknown, E>): Result.Result<never, E> =>
  failure as unknown as Result.Result<never, E>
