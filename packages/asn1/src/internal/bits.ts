/**
 * BIT STRING contents (X.690 8.6, 11.2): the unused-bits octet, then the
 * bits, most significant first; DER requires zero padding bits.
 *
 * @module
 */
import { Result } from "effect"
import { type Asn1Error, fail } from "./error.ts"

/** A decoded BIT STRING: `bytes` views the input; the last `unusedBits` bits are padding. */
export interface BitString {
  readonly bytes: Uint8Array
  readonly unusedBits: number
}

/** Checks BIT STRING contents at `bytes[start..end)`. */
export const readBits = (bytes: Uint8Array, start: number, end: number): Result.Result<BitString, Asn1Error> => {
  if (end <= start) return fail("InvalidBitString", start)
  const unusedBits = bytes[start]!
  if (unusedBits > 7 || (end - start === 1 && unusedBits !== 0)) return fail("InvalidBitString", start)
  if (unusedBits > 0 && (bytes[end - 1]! & ((1 << unusedBits) - 1)) !== 0) return fail("InvalidBitString", end - 1)
  return Result.succeed({ bytes: bytes.subarray(start + 1, end), unusedBits })
}

/** The first 32 bits, bit 0 (the first, most significant bit) as 2^31; missing bits read as 0. */
export const first32 = (bits: BitString): number => {
  let v = 0
  for (let i = 0; i < 4; i++) v = v * 256 + (bits.bytes[i] ?? 0)
  return v
}

/** BIT STRING contents of a bit string given as bytes (total; `unusedBits` is clamped to 0..7 and padding cleared). */
export const bitsContents = (bytes: Uint8Array, unusedBits: number): Uint8Array => {
  const unused = bytes.length === 0 ? 0 : Math.min(7, Math.max(0, Math.trunc(unusedBits) || 0))
  const out = new Uint8Array(bytes.length + 1)
  out[0] = unused
  out.set(bytes, 1)
  if (unused > 0) out[bytes.length] = out[bytes.length]! & (0xff << unused)
  return out
}

/** KerberosFlags contents (RFC 4120 5.2.8): always 32 bits, bit 0 as 2^31 of the unsigned `flags`. */
export const flagsContents = (flags: number): Uint8Array => {
  const v = flags >>> 0
  return Uint8Array.of(0, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff)
}

/**
 * Named-bit-list contents (X.690 11.2.2: trailing zero bits removed). Bit i of
 * the ASN.1 type is `1 << i` of `mask` (bits 0..30).
 */
export const namedBitsContents = (mask: number): Uint8Array => {
  const m = mask & 0x7fffffff
  if (m === 0) return Uint8Array.of(0)
  const top = 31 - Math.clz32(m) // highest ASN.1 bit number set
  const n = (top >>> 3) + 1
  const out = new Uint8Array(n + 1)
  out[0] = 7 - (top & 7)
  for (let i = 0; i <= top; i++) {
    const k = 1 + (i >>> 3)
    if (m & (1 << i)) out[k] = out[k]! | (0x80 >>> (i & 7))
  }
  return out
}

/** Reads a named bit list as a mask, bit i of the ASN.1 type as `1 << i` (bits 0..30). */
export const namedBitsMask = (bits: BitString): number => {
  let m = 0
  const n = Math.min(31, bits.bytes.length * 8 - bits.unusedBits)
  for (let i = 0; i < n; i++) if (bits.bytes[i >>> 3]! & (0x80 >>> (i & 7))) m |= 1 << i
  return m
}
