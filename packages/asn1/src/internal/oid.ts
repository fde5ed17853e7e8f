/**
 * OBJECT IDENTIFIER values (X.690 8.19), held as their content octets so that
 * comparisons are byte comparisons.
 *
 * @module
 */
import { Result } from "effect"
import { type Asn1Error, fail } from "./error.ts"

/**
 * An OBJECT IDENTIFIER. `content` holds the DER content octets (no tag or
 * length); decoded OIDs view the input buffer without copying. The dotted
 * form is computed on demand and cached.
 */
export class Oid {
  private dotted: string | undefined

  private constructor(
    /** The DER content octets. */
    readonly content: Uint8Array
  ) {}

  /** Parses a dotted string such as "1.2.840.113554.1.2.2". */
  static fromString(dotted: string): Result.Result<Oid, Asn1Error> {
    const content = encodeDotted(dotted)
    return content === undefined ? fail("InvalidOid", 0) : Result.succeed(new Oid(content))
  }

  /** Parses a dotted string; throws on malformed input. For module-level constants only. */
  static unsafeFromString(dotted: string): Oid {
    const content = encodeDotted(dotted)
    if (content === undefined) throw new Error(`invalid OID ${dotted}`)
    return new Oid(content)
  }

  /**
   * Wraps DER content octets (a view, not a copy) after checking them.
   * `offset` is reported in the error.
   */
  static fromContent(content: Uint8Array, offset = 0): Result.Result<Oid, Asn1Error> {
    const bad = checkContent(content)
    return bad < 0 ? Result.succeed(new Oid(content)) : fail("InvalidOid", offset + bad)
  }

  /** The dotted form, e.g. "1.3.6.1.5.5.2". */
  toString(): string {
    return (this.dotted ??= decodeContent(this.content))
  }

  /** Byte comparison of the content octets. */
  equals(that: Oid): boolean {
    return bytesEqual(this.content, that.content)
  }

  /** Byte comparison against raw content octets. */
  is(content: Uint8Array): boolean {
    return bytesEqual(this.content, content)
  }
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * The longest sub-identifier accepted, in content octets: 20 octets hold 140
 * bits, enough for the largest arcs in use (2.25.<UUID>, a 128-bit arc, X.667
 * / RFC 4122) with room to spare. X.690 8.19 sets no bound, but the dotted
 * form of an unbounded arc costs time quadratic in its length (OpenSSL's
 * CVE-2023-2650: OBJ_obj2txt on 100 KiB arcs); with every arc bounded,
 * checking and `toString` are linear in the OID's length.
 */
export const MAX_ARC_OCTETS = 20

/** The dotted form's longest arc: 2^140 - 1 has 43 decimal digits. */
const MAX_ARC_DIGITS = 43
const MAX_ARC = (1n << BigInt(7 * MAX_ARC_OCTETS)) - 1n

/**
 * Index of the first bad octet of OID content, or -1 if the content is valid
 * (X.690 8.19.2: each sub-identifier is base 128, the leading octet is not
 * 0x80, the last octet of each has bit 8 clear; and every sub-identifier is
 * at most {@link MAX_ARC_OCTETS} octets).
 */
const checkContent = (c: Uint8Array): number => {
  if (c.length === 0) return 0
  let arcStart = 0
  for (let i = 0; i < c.length; i++) {
    if (i === arcStart && c[i] === 0x80) return i
    if (i - arcStart >= MAX_ARC_OCTETS) return i
    if ((c[i]! & 0x80) === 0) arcStart = i + 1
  }
  return arcStart === c.length ? -1 : c.length - 1
}

const DOTTED = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/

const encodeDotted = (dotted: string): Uint8Array | undefined => {
  if (!DOTTED.test(dotted)) return undefined
  const texts = dotted.split(".")
  // bounded before BigInt: parsing a huge decimal string is itself quadratic
  if (texts.some((t) => t.length > MAX_ARC_DIGITS)) return undefined
  const arcs = texts.map(BigInt)
  const [a0, a1] = arcs as [bigint, bigint]
  if (a0 > 2n || (a0 < 2n && a1 >= 40n)) return undefined
  const subs = [a0 * 40n + a1, ...arcs.slice(2)]
  if (subs.some((sub) => sub > MAX_ARC)) return undefined
  const out: Array<number> = []
  for (const sub of subs) {
    const septets: Array<number> = []
    let v = sub
    do {
      septets.push(Number(v & 0x7fn))
      v >>= 7n
    } while (v > 0n)
    for (let i = septets.length - 1; i >= 0; i--) out.push(septets[i]! | (i > 0 ? 0x80 : 0))
  }
  return Uint8Array.from(out)
}

/** One sub-identifier's value; arcs are bounded, so this is constant work per arc. */
const arcValue = (c: Uint8Array, from: number, to: number): bigint | number => {
  if (to - from <= 7) {
    let small = 0 // at most 49 bits: exact in a double
    for (let i = from; i < to; i++) small = small * 128 + (c[i]! & 0x7f)
    return small
  }
  let value = 0n
  for (let i = from; i < to; i++) value = (value << 7n) | BigInt(c[i]! & 0x7f)
  return value
}

/** Linear in the content's length (every arc is at most MAX_ARC_OCTETS octets). */
const decodeContent = (c: Uint8Array): string => {
  const parts: Array<string> = []
  let from = 0
  for (let i = 0; i < c.length; i++) {
    if ((c[i]! & 0x80) !== 0) continue
    const sub = arcValue(c, from, i + 1)
    from = i + 1
    if (parts.length > 0) {
      parts.push(sub.toString())
      continue
    }
    // X.690 8.19.4: the first sub-identifier packs the first two arcs as X*40+Y
    const big = BigInt(sub)
    const first = big < 40n ? 0n : big < 80n ? 1n : 2n
    parts.push(first.toString(), (big - first * 40n).toString())
  }
  return parts.join(".")
}
