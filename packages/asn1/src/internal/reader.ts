/**
 * A strict DER reader over a Uint8Array. Every method returns a `Result` and
 * never throws; values are views of the input, not copies.
 *
 * @module
 */
import { Result } from "effect"
import { type BitString, first32, namedBitsMask, readBits } from "./bits.ts"
import { type Asn1Error, fail, forward } from "./error.ts"
import { readHeader, type Tlv } from "./header.ts"
import { readBig, readSmall } from "./integer.ts"
import { Oid } from "./oid.ts"
import { readUtf8 } from "./strings.ts"
import { TagClass, UniversalTag } from "./tag.ts"
import { readTime } from "./time.ts"

/** Limits applied while decoding untrusted input. */
export interface ReaderOptions {
  /** Maximum nesting of constructed elements entered (default 32). */
  readonly maxDepth?: number
  /** Maximum input size in octets (default 1 MiB). */
  readonly maxLength?: number
}

/** Default {@link ReaderOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 32
/** Default {@link ReaderOptions.maxLength}. */
export const DEFAULT_MAX_LENGTH = 1 << 20

/** A decoded GSS-API InitialContextToken (RFC 2743 3.1). */
export interface GssInitialContextToken {
  readonly mech: Oid
  /** Reads the innerContextToken (the rest of the token's contents). */
  readonly inner: Reader
}

type R<A> = Result.Result<A, Asn1Error>

/**
 * A cursor over the elements in `bytes[offset..end)`. Constructed elements are
 * read through child readers (see {@link Reader.enter}) that share the buffer,
 * so error offsets are always absolute.
 */
export class Reader {
  private constructor(
    /** The whole input buffer. */
    readonly bytes: Uint8Array,
    private pos: number,
    /** Offset just past the last octet this reader may read. */
    readonly end: number,
    /** Nesting depth of this reader (0 at top level). */
    readonly depth: number,
    private readonly maxDepth: number
  ) {}

  /** A top-level reader; fails if `bytes` exceeds `maxLength`. */
  static make(bytes: Uint8Array, options?: ReaderOptions): R<Reader> {
    if (bytes.length > (options?.maxLength ?? DEFAULT_MAX_LENGTH)) return fail("InputTooLarge", 0)
    return Result.succeed(new Reader(bytes, 0, bytes.length, 0, options?.maxDepth ?? DEFAULT_MAX_DEPTH))
  }

  /** Absolute offset of the next octet to read. */
  get offset(): number {
    return this.pos
  }

  /** Whether every element has been read. */
  get done(): boolean {
    return this.pos >= this.end
  }

  /** The header of the next element, without consuming it. */
  peek(): R<Tlv> {
    return readHeader(this.bytes, this.pos, this.end)
  }

  /** Whether the next element has this tag class and number (false at the end or on a bad header). */
  nextIs(tagClass: TagClass, tagNumber: number): boolean {
    if (this.pos >= this.end) return false
    const id = this.bytes[this.pos]!
    if (tagNumber < 0x1f) return id >>> 6 === tagClass && (id & 0x1f) === tagNumber
    const h = this.peek()
    return Result.isSuccess(h) && h.success.tagClass === tagClass && h.success.tagNumber === tagNumber
  }

  /** Reads the next element, whatever its tag. */
  next(): R<Tlv> {
    const h = readHeader(this.bytes, this.pos, this.end)
    if (Result.isSuccess(h)) this.pos = h.success.end
    return h
  }

  /** Reads the next element, which must have exactly this tag. */
  element(tagClass: TagClass, tagNumber: number, constructed: boolean): R<Tlv> {
    const h = readHeader(this.bytes, this.pos, this.end)
    if (Result.isFailure(h)) return h
    const t = h.success
    if (t.tagClass !== tagClass || t.tagNumber !== tagNumber || t.constructed !== constructed) {
      return fail("UnexpectedTag", t.start)
    }
    this.pos = t.end
    return h
  }

  /** A child reader over the contents of a constructed element. */
  enter(tlv: Tlv): R<Reader> {
    if (this.depth >= this.maxDepth) return fail("TooDeep", tlv.start)
    return Result.succeed(new Reader(this.bytes, tlv.valueStart, tlv.end, this.depth + 1, this.maxDepth))
  }

  /** Reads a constructed element with this tag and returns a reader over its contents. */
  constructed(tagClass: TagClass, tagNumber: number): R<Reader> {
    const t = this.element(tagClass, tagNumber, true)
    return Result.isFailure(t) ? forward(t) : this.enter(t.success)
  }

  /** SEQUENCE / SEQUENCE OF: a reader over its contents. */
  sequence(): R<Reader> {
    return this.constructed(TagClass.Universal, UniversalTag.Sequence)
  }

  /** Context-specific `[n]` (explicit): a reader over its contents. */
  explicit(n: number): R<Reader> {
    return this.constructed(TagClass.Context, n)
  }

  /** `[APPLICATION n]`: a reader over its contents. */
  application(n: number): R<Reader> {
    return this.constructed(TagClass.Application, n)
  }

  /** Reads a SEQUENCE and decodes its contents with `f`, which must consume them all. */
  sequenceWith<A, E>(f: (r: Reader) => Result.Result<A, E>): Result.Result<A, Asn1Error | E> {
    return this.within(this.sequence(), f)
  }

  /** Reads `[APPLICATION n]` and decodes its contents with `f`, which must consume them all. */
  applicationWith<A, E>(n: number, f: (r: Reader) => Result.Result<A, E>): Result.Result<A, Asn1Error | E> {
    return this.within(this.application(n), f)
  }

  private within<A, E>(inner: R<Reader>, f: (r: Reader) => Result.Result<A, E>): Result.Result<A, Asn1Error | E> {
    return Result.isFailure(inner) ? forward(inner) : inner.success.whole(f)
  }

  /** `[n]` if it is next, else `undefined` (OPTIONAL fields in ascending tag order). */
  optionalExplicit(n: number): R<Reader | undefined> {
    return this.nextIs(TagClass.Context, n) ? this.explicit(n) : Result.succeed(undefined)
  }

  /** Reads `[n] { one value }` with `f`, requiring nothing else inside `[n]`. */
  field<A, E>(n: number, f: (r: Reader) => Result.Result<A, E>): Result.Result<A, Asn1Error | E> {
    return this.within(this.explicit(n), f)
  }

  /** Like {@link field}, but `undefined` when `[n]` is not next. */
  optionalField<A, E>(n: number, f: (r: Reader) => Result.Result<A, E>): Result.Result<A | undefined, Asn1Error | E> {
    return this.nextIs(TagClass.Context, n) ? this.field(n, f) : Result.succeed(undefined)
  }

  /** Reads a SEQUENCE OF, decoding each element with `f` (which reads exactly one element). */
  sequenceOf<A, E>(f: (r: Reader) => Result.Result<A, E>): Result.Result<Array<A>, Asn1Error | E> {
    const seq = this.sequence()
    if (Result.isFailure(seq)) return forward(seq)
    const r = seq.success
    const out: Array<A> = []
    while (r.pos < r.end) {
      const item = f(r)
      if (Result.isFailure(item)) return forward(item)
      out.push(item.success)
    }
    return Result.succeed(out)
  }

  /** Applies `f`, then requires this reader to be exhausted. */
  whole<A, E>(f: (r: Reader) => Result.Result<A, E>): Result.Result<A, Asn1Error | E> {
    const a = f(this)
    if (Result.isFailure(a)) return a
    return this.pos < this.end ? fail("TrailingData", this.pos) : a
  }

  /** Fails with `TrailingData` unless every element has been read. */
  finish(): R<void> {
    return this.pos < this.end ? fail("TrailingData", this.pos) : Result.void
  }

  /** The remaining octets (a view), consuming them; they need not be DER. */
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.pos, this.end)
    this.pos = this.end
    return out
  }

  /** The next element's whole encoding (a view), e.g. to keep it byte-exact. */
  raw(): R<Uint8Array> {
    const t = this.next()
    return Result.isFailure(t) ? forward(t) : Result.succeed(t.success.encoded)
  }

  private primitive(tagNumber: number): R<Tlv> {
    return this.element(TagClass.Universal, tagNumber, false)
  }

  private small(tagNumber: number, min: number, max: number): R<number> {
    const t = this.primitive(tagNumber)
    return Result.isFailure(t) ? forward(t) : readSmall(this.bytes, t.success.valueStart, t.success.end, min, max)
  }

  /** INTEGER in [-2^31, 2^31) (Int32, e.g. etype -138). */
  int32(): R<number> {
    return this.small(UniversalTag.Integer, -0x80000000, 0x7fffffff)
  }

  /** INTEGER in [0, 2^32) (UInt32, e.g. nonces). */
  uint32(): R<number> {
    return this.small(UniversalTag.Integer, 0, 0xffffffff)
  }

  /** INTEGER of any size. */
  integer(): R<bigint> {
    const t = this.primitive(UniversalTag.Integer)
    return Result.isFailure(t) ? forward(t) : readBig(this.bytes, t.success.valueStart, t.success.end)
  }

  /** ENUMERATED in [-2^31, 2^31). */
  enumerated(): R<number> {
    return this.small(UniversalTag.Enumerated, -0x80000000, 0x7fffffff)
  }

  /** BOOLEAN (DER: exactly 00 or FF). */
  boolean(): R<boolean> {
    const t = this.primitive(UniversalTag.Boolean)
    if (Result.isFailure(t)) return forward(t)
    const { valueStart, end } = t.success
    const b = this.bytes[valueStart]
    return end - valueStart !== 1 || (b !== 0 && b !== 0xff)
      ? fail("InvalidBoolean", valueStart)
      : Result.succeed(b === 0xff)
  }

  /** OCTET STRING contents (a view). */
  octetString(): R<Uint8Array> {
    const t = this.primitive(UniversalTag.OctetString)
    return Result.isFailure(t) ? forward(t) : Result.succeed(t.success.value)
  }

  /** BIT STRING (DER: padding bits zero). */
  bitString(): R<BitString> {
    const t = this.primitive(UniversalTag.BitString)
    return Result.isFailure(t) ? forward(t) : readBits(this.bytes, t.success.valueStart, t.success.end)
  }

  /** KerberosFlags: the first 32 bits, bit 0 as 2^31 (unsigned); shorter strings read as zero-extended. */
  kerberosFlags(): R<number> {
    const b = this.bitString()
    return Result.isFailure(b) ? forward(b) : Result.succeed(first32(b.success))
  }

  /** A named-bit-list BIT STRING as a mask, bit i as `1 << i` (bits 0..30; later bits ignored). */
  namedBits(): R<number> {
    const b = this.bitString()
    return Result.isFailure(b) ? forward(b) : Result.succeed(namedBitsMask(b.success))
  }

  /** OBJECT IDENTIFIER (content octets viewed, not copied). */
  oid(): R<Oid> {
    const t = this.primitive(UniversalTag.ObjectIdentifier)
    return Result.isFailure(t) ? forward(t) : Oid.fromContent(t.success.value, t.success.valueStart)
  }

  /** GeneralString octets (a view). */
  generalString(): R<Uint8Array> {
    const t = this.primitive(UniversalTag.GeneralString)
    return Result.isFailure(t) ? forward(t) : Result.succeed(t.success.value)
  }

  /** KerberosString: a GeneralString decoded as strict UTF-8. */
  kerberosString(): R<string> {
    const t = this.primitive(UniversalTag.GeneralString)
    return Result.isFailure(t) ? forward(t) : readUtf8(this.bytes, t.success.valueStart, t.success.end)
  }

  /** GeneralizedTime in the KerberosTime form "YYYYMMDDHHMMSSZ", as ms since the epoch. */
  generalizedTime(): R<number> {
    const t = this.primitive(UniversalTag.GeneralizedTime)
    return Result.isFailure(t) ? forward(t) : readTime(this.bytes, t.success.valueStart, t.success.end)
  }

  /** RFC 2743 InitialContextToken: `[APPLICATION 0] IMPLICIT SEQUENCE { thisMech, innerContextToken }`. */
  gssInitialContextToken(): R<GssInitialContextToken> {
    const app = this.application(0)
    if (Result.isFailure(app)) return forward(app)
    const mech = app.success.oid()
    return Result.isFailure(mech) ? forward(mech) : Result.succeed({ mech: mech.success, inner: app.success })
  }
}

/**
 * Decodes `bytes` with `f`, then requires that all input was consumed.
 * Never throws (provided `f` does not).
 */
export const decode = <A, E>(
  bytes: Uint8Array,
  f: (r: Reader) => Result.Result<A, E>,
  options?: ReaderOptions
): Result.Result<A, Asn1Error | E> => {
  const r = Reader.make(bytes, options)
  return Result.isFailure(r) ? forward(r) : r.success.whole(f)
}
