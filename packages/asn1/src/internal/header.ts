/**
 * Identifier and length octets (X.690 8.1.2, 8.1.3) under DER rules:
 * definite lengths only, minimal length and tag encodings.
 *
 * @module
 */
import { Result } from "effect"
import { type Asn1Error, fail } from "./error.ts"
import type { TagClass } from "./tag.ts"

/** Tag numbers above this are rejected (4 base-128 octets). */
const MAX_TAG = 0x0fffffff
/** Lengths above this are rejected (4 length octets, kept a positive int32). */
const MAX_LENGTH = 0x7fffffff

/**
 * One element (tag, length, value) located in a buffer. Positions are
 * absolute offsets in `bytes`; nothing is copied.
 */
export class Tlv {
  constructor(
    /** The whole buffer the element was read from. */
    readonly bytes: Uint8Array,
    readonly tagClass: TagClass,
    readonly constructed: boolean,
    readonly tagNumber: number,
    /** Offset of the identifier octet. */
    readonly start: number,
    /** Offset of the first value octet. */
    readonly valueStart: number,
    /** Offset just past the last value octet. */
    readonly end: number
  ) {}

  /** The value octets (a view, not a copy). */
  get value(): Uint8Array {
    return this.bytes.subarray(this.valueStart, this.end)
  }

  /** The whole encoding, identifier to last value octet (a view, not a copy). */
  get encoded(): Uint8Array {
    return this.bytes.subarray(this.start, this.end)
  }
}

/** Reads the identifier and length octets at `pos`; the value must end by `limit`. */
export const readHeader = (bytes: Uint8Array, pos: number, limit: number): Result.Result<Tlv, Asn1Error> => {
  const start = pos
  if (pos >= limit) return fail("Truncated", pos)
  const id = bytes[pos++]!
  let tagNumber = id & 0x1f
  if (tagNumber === 0x1f) {
    if (pos >= limit) return fail("Truncated", pos)
    if (bytes[pos] === 0x80) return fail("NonMinimalTag", pos)
    tagNumber = 0
    let b: number
    do {
      if (pos >= limit) return fail("Truncated", pos)
      if (tagNumber > MAX_TAG >>> 7) return fail("TagTooLarge", start)
      b = bytes[pos++]!
      tagNumber = (tagNumber << 7) | (b & 0x7f)
    } while (b & 0x80)
    if (tagNumber < 0x1f) return fail("NonMinimalTag", start)
  }
  if (pos >= limit) return fail("Truncated", pos)
  const first = bytes[pos++]!
  let length = first
  if (first & 0x80) {
    const n = first & 0x7f
    if (n === 0) return fail("IndefiniteLength", pos - 1)
    if (n > 4) return fail("LengthTooLarge", pos - 1)
    if (pos + n > limit) return fail("Truncated", pos)
    if (bytes[pos] === 0) return fail("NonMinimalLength", pos)
    length = 0
    for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++]!
    if (length < 0x80) return fail("NonMinimalLength", pos - n)
    if (length > MAX_LENGTH) return fail("LengthTooLarge", pos - n)
  }
  if (length > limit - pos) return fail("Truncated", start)
  return Result.succeed(
    new Tlv(bytes, (id >>> 6) as TagClass, (id & 0x20) !== 0, tagNumber, start, pos, pos + length)
  )
}

/** Number of identifier plus length octets for a tag number and value length. */
export const headerSize = (tagNumber: number, length: number): number =>
  tagOctets(tagNumber) + lengthOctets(length)

const tagOctets = (n: number): number =>
  n < 0x1f ? 1 : n < 0x80 ? 2 : n < 0x4000 ? 3 : n < 0x200000 ? 4 : 5

const lengthOctets = (length: number): number =>
  length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : length < 0x1000000 ? 4 : 5

/** Writes identifier and length octets at `at`; returns the offset after them. */
export const writeHeader = (
  out: Uint8Array,
  at: number,
  tagClass: TagClass,
  constructed: boolean,
  tagNumber: number,
  length: number
): number => {
  const id = (tagClass << 6) | (constructed ? 0x20 : 0)
  if (tagNumber < 0x1f) {
    out[at++] = id | tagNumber
  } else {
    out[at++] = id | 0x1f
    for (let shift = (tagOctets(tagNumber) - 2) * 7; shift > 0; shift -= 7) {
      out[at++] = 0x80 | ((tagNumber >>> shift) & 0x7f)
    }
    out[at++] = tagNumber & 0x7f
  }
  if (length < 0x80) {
    out[at++] = length
  } else {
    const n = lengthOctets(length) - 1
    out[at++] = 0x80 | n
    for (let i = n - 1; i >= 0; i--) out[at++] = (length / 2 ** (8 * i)) & 0xff
  }
  return at
}
