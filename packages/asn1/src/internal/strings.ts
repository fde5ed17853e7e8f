/**
 * Character-string contents: KerberosString is a GeneralString whose octets
 * are, in practice, UTF-8 (RFC 4120 5.2.1).
 *
 * @module
 */
import { Result } from "effect"
import { type Asn1Error, fail } from "./error.ts"

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()

/** Decodes strict UTF-8 at `bytes[start..end)`. */
export const readUtf8 = (bytes: Uint8Array, start: number, end: number): Result.Result<string, Asn1Error> => {
  // Short ASCII (the common case: principal names, realms) skips the native decoder.
  if (end - start <= 64) {
    let s = ""
    for (let i = start; i < end; i++) {
      const b = bytes[i]!
      if (b >= 0x80) return decodeUtf8(bytes, start, end)
      s += String.fromCharCode(b)
    }
    return Result.succeed(s)
  }
  return decodeUtf8(bytes, start, end)
}

const decodeUtf8 = (bytes: Uint8Array, start: number, end: number): Result.Result<string, Asn1Error> => {
  try {
    return Result.succeed(utf8.decode(bytes.subarray(start, end)))
  } catch {
    return fail("InvalidString", start)
  }
}

/** UTF-8 octets of a string (lone surrogates become U+FFFD). */
export const utf8Contents = (s: string): Uint8Array => encoder.encode(s)
