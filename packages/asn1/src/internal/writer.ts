/**
 * DER encoders. Each constructor returns a {@link DerNode} that already knows
 * its encoded size (children are built first, so sizes are summed once,
 * bottom-up); {@link encode} then allocates the output once and writes every
 * node in place. No intermediate buffers, no quadratic copying. All
 * encoders are total.
 *
 * @module
 */
import { bitsContents, flagsContents, namedBitsContents } from "./bits.ts"
import { headerSize, writeHeader } from "./header.ts"
import { integerContents } from "./integer.ts"
import type { Oid } from "./oid.ts"
import { utf8Contents } from "./strings.ts"
import { TagClass, UniversalTag } from "./tag.ts"
import { timeContents } from "./time.ts"

/** An encodable DER element (or pre-encoded elements, see {@link raw}). */
export interface DerNode {
  /** Total encoded size in octets. */
  readonly size: number
  /** Writes the encoding at `at`; returns the offset after it. */
  writeTo(out: Uint8Array, at: number): number
}

class Primitive implements DerNode {
  readonly size: number
  constructor(
    readonly tagClass: TagClass,
    readonly tagNumber: number,
    readonly content: Uint8Array
  ) {
    this.size = headerSize(tagNumber, content.length) + content.length
  }
  writeTo(out: Uint8Array, at: number): number {
    const p = writeHeader(out, at, this.tagClass, false, this.tagNumber, this.content.length)
    out.set(this.content, p)
    return p + this.content.length
  }
}

class Constructed implements DerNode {
  readonly size: number
  private readonly contentSize: number
  constructor(
    readonly tagClass: TagClass,
    readonly tagNumber: number,
    readonly children: ReadonlyArray<DerNode>
  ) {
    let n = 0
    for (const c of children) n += c.size
    this.contentSize = n
    this.size = headerSize(tagNumber, n) + n
  }
  writeTo(out: Uint8Array, at: number): number {
    let p = writeHeader(out, at, this.tagClass, true, this.tagNumber, this.contentSize)
    for (const c of this.children) p = c.writeTo(out, p)
    return p
  }
}

class Raw implements DerNode {
  readonly size: number
  constructor(readonly bytes: Uint8Array) {
    this.size = bytes.length
  }
  writeTo(out: Uint8Array, at: number): number {
    out.set(this.bytes, at)
    return at + this.bytes.length
  }
}

/** Encodes a node into a fresh buffer of exactly `node.size` octets. */
export const encode = (node: DerNode): Uint8Array => {
  const out = new Uint8Array(node.size)
  node.writeTo(out, 0)
  return out
}

/** Already-encoded octets (one or more whole elements), written verbatim. */
export const raw = (encoded: Uint8Array): DerNode => new Raw(encoded)

/** A primitive element with the given tag and content octets. */
export const primitive = (tagClass: TagClass, tagNumber: number, content: Uint8Array): DerNode =>
  new Primitive(tagClass, tagNumber, content)

/** A constructed element; `undefined` children (absent OPTIONAL fields) are skipped. */
export const constructed = (
  tagClass: TagClass,
  tagNumber: number,
  children: ReadonlyArray<DerNode | undefined>
): DerNode => new Constructed(tagClass, tagNumber, children.filter((c): c is DerNode => c !== undefined))

/** SEQUENCE / SEQUENCE OF; `undefined` children (absent OPTIONAL fields) are skipped. */
export const sequence = (children: ReadonlyArray<DerNode | undefined>): DerNode =>
  constructed(TagClass.Universal, UniversalTag.Sequence, children)

/** Context-specific explicit tag `[n] node`. */
export const explicit = (n: number, node: DerNode): DerNode => new Constructed(TagClass.Context, n, [node])

/** Explicit `[APPLICATION n] node` (Kerberos messages, e.g. 10 AS-REQ, 30 KRB-ERROR). */
export const application = (n: number, node: DerNode): DerNode => new Constructed(TagClass.Application, n, [node])

/** INTEGER; numbers are truncated towards zero, non-finite numbers encode as 0. */
export const integer = (value: number | bigint): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.Integer, integerContents(value))

/** ENUMERATED (same rules as {@link integer}). */
export const enumerated = (value: number): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.Enumerated, integerContents(value))

const TRUE = Uint8Array.of(0xff)
const FALSE = Uint8Array.of(0x00)

/** BOOLEAN (DER: FF for true). */
export const boolean = (value: boolean): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.Boolean, value ? TRUE : FALSE)

/** OCTET STRING; the bytes are referenced, not copied, until {@link encode}. */
export const octetString = (bytes: Uint8Array): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.OctetString, bytes)

/** BIT STRING of `bytes` whose last `unusedBits` (0..7) bits are padding (cleared on output). */
export const bitString = (bytes: Uint8Array, unusedBits = 0): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.BitString, bitsContents(bytes, unusedBits))

/** KerberosFlags: a 32-bit BIT STRING; bit 0 (the first bit) is 2^31 of the unsigned `flags`. */
export const kerberosFlags = (flags: number): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.BitString, flagsContents(flags))

/** A named-bit-list BIT STRING (trailing zeros removed); bit i is `1 << i` of `mask` (bits 0..30). */
export const namedBits = (mask: number): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.BitString, namedBitsContents(mask))

/** OBJECT IDENTIFIER. */
export const oid = (value: Oid): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.ObjectIdentifier, value.content)

/** GeneralString (KerberosString): strings are written as UTF-8, bytes verbatim. */
export const generalString = (value: string | Uint8Array): DerNode =>
  new Primitive(
    TagClass.Universal,
    UniversalTag.GeneralString,
    typeof value === "string" ? utf8Contents(value) : value
  )

/**
 * GeneralizedTime in the KerberosTime form "YYYYMMDDHHMMSSZ" from ms since
 * the epoch (milliseconds dropped, clamped to years 0000..9999, NaN → epoch).
 */
export const generalizedTime = (ms: number): DerNode =>
  new Primitive(TagClass.Universal, UniversalTag.GeneralizedTime, timeContents(ms))

/**
 * RFC 2743 3.1 InitialContextToken:
 * `[APPLICATION 0] IMPLICIT SEQUENCE { thisMech OID, innerContextToken ANY }`.
 * `inner` bytes are written verbatim (they need not be one DER element).
 */
export const gssInitialContextToken = (mech: Oid, inner: DerNode | Uint8Array): DerNode =>
  new Constructed(TagClass.Application, 0, [oid(mech), inner instanceof Uint8Array ? raw(inner) : inner])
