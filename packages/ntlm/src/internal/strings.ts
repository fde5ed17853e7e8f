/**
 * Strings of CHALLENGE and AUTHENTICATE messages, whose encoding follows the
 * NTLMSSP_NEGOTIATE_UNICODE flag ([MS-NLMP] 2.2.2.5: Unicode wins when both
 * UNICODE and OEM are set).
 *
 * @module
 */
import { Result } from "effect"
import { fromOem, fromUtf16le, oem, utf16le } from "./bytes.ts"
import { NegotiateFlags } from "./constants.ts"
import type { NtlmMalformed } from "./errors.ts"
import { malformed } from "./fields.ts"

const isUnicode = (flags: number): boolean => (flags & NegotiateFlags.UNICODE) !== 0

/** Encodes `s` as UTF-16LE or OEM according to `flags`. */
export const encodeString = (flags: number, s: string): Uint8Array => (isUnicode(flags) ? utf16le(s) : oem(s))

/** Decodes `b` as UTF-16LE or OEM according to `flags`; odd-length Unicode is malformed. */
export const decodeString = (flags: number, b: Uint8Array, name: string): Result.Result<string, NtlmMalformed> => {
  if (!isUnicode(flags)) return Result.succeed(fromOem(b))
  return b.length % 2 === 0 ? Result.succeed(fromUtf16le(b)) : malformed(`${name} has an odd length`)
}
