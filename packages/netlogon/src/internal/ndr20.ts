/**
 * The NDR20 primitives the Netlogon calls need (C706 chapter 14, MS-RPCE
 * 2.2.5 subset), little-endian data representation only: a growable writer
 * and a bounded reader. Candidates to move into `@effect-sspi/ndr`.
 *
 * The reader never reads past its buffer and caps every count it is given
 * (MAX_ELEMENTS), so a hostile length cannot make it allocate or loop beyond
 * the bytes it holds.
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"

/**
 * Bytes that are not the NDR the caller expected.
 *
 * @since 0.1.0
 */
export class NdrError extends Data.TaggedError("NdrError")<{ readonly reason: string; readonly offset: number }> {}

/** Upper bound of any array or string count read from the wire. */
export const MAX_ELEMENTS = 1 << 16

/** Thrown inside a decode and turned into a `Result` failure by {@link decode}. */
class Stop {
  constructor(readonly error: NdrError) {}
}

/**
 * NDR20 writer. `referent()` hands out non-zero referent ids for unique
 * pointers.
 */
export class NdrWriter {
  private buf = new Uint8Array(256)
  private view = new DataView(this.buf.buffer)
  private n = 0
  private nextReferent = 0x00020000

  get length(): number {
    return this.n
  }

  private room(extra: number): void {
    if (this.n + extra <= this.buf.length) return
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.n + extra))
    bigger.set(this.buf.subarray(0, this.n))
    this.buf = bigger
    this.view = new DataView(bigger.buffer)
  }

  align(to: number): this {
    const pad = (to - (this.n % to)) % to
    this.room(pad)
    this.buf.fill(0, this.n, this.n + pad)
    this.n += pad
    return this
  }

  u8(v: number): this {
    this.room(1)
    this.buf[this.n++] = v & 0xff
    return this
  }

  u16(v: number): this {
    this.align(2).room(2)
    this.view.setUint16(this.n, v, true)
    this.n += 2
    return this
  }

  u32(v: number): this {
    this.align(4).room(4)
    this.view.setUint32(this.n, v >>> 0, true)
    this.n += 4
    return this
  }

  bytes(b: Uint8Array): this {
    this.room(b.length)
    this.buf.set(b, this.n)
    this.n += b.length
    return this
  }

  /** A unique pointer's referent id (0 for null). */
  pointer(present: boolean): this {
    if (!present) return this.u32(0)
    const id = this.nextReferent
    this.nextReferent += 4
    return this.u32(id)
  }

  /** `[string] wchar_t*` pointee: conformant varying, NUL-terminated UTF-16LE. */
  wstringz(s: string): this {
    const units = s.length + 1
    this.u32(units).u32(0).u32(units)
    for (let i = 0; i < s.length; i++) this.u16(s.charCodeAt(i))
    return this.u16(0)
  }

  /** RPC_UNICODE_STRING's scalar part (Length, MaximumLength, Buffer pointer). */
  unicodeStringHeader(s: string): this {
    return this.u16(s.length * 2).u16(s.length * 2).pointer(s.length > 0)
  }

  /** RPC_UNICODE_STRING's deferred Buffer (nothing for an empty string). */
  unicodeStringBody(s: string): this {
    if (s.length === 0) return this
    this.u32(s.length).u32(0).u32(s.length)
    for (let i = 0; i < s.length; i++) this.u16(s.charCodeAt(i))
    return this
  }

  /** STRING (counted CHAR buffer)'s scalar part. */
  byteStringHeader(b: Uint8Array): this {
    return this.u16(b.length).u16(b.length).pointer(b.length > 0)
  }

  /** STRING's deferred Buffer. */
  byteStringBody(b: Uint8Array): this {
    if (b.length === 0) return this
    return this.u32(b.length).u32(0).u32(b.length).bytes(b)
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n)
  }
}

/**
 * NDR20 reader over one buffer. Every method fails the surrounding
 * {@link decode} with an NdrError instead of reading out of bounds.
 */
export class NdrReader {
  private readonly view: DataView
  private n = 0

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  get offset(): number {
    return this.n
  }

  get remaining(): number {
    return this.buf.length - this.n
  }

  fail(reason: string): never {
    throw new Stop(new NdrError({ reason, offset: this.n }))
  }

  private need(k: number): void {
    if (this.n + k > this.buf.length) this.fail("truncated")
  }

  align(to: number): this {
    const pad = (to - (this.n % to)) % to
    this.need(pad)
    this.n += pad
    return this
  }

  u8(): number {
    this.need(1)
    return this.buf[this.n++]!
  }

  u16(): number {
    this.align(2).need(2)
    const v = this.view.getUint16(this.n, true)
    this.n += 2
    return v
  }

  u32(): number {
    this.align(4).need(4)
    const v = this.view.getUint32(this.n, true)
    this.n += 4
    return v
  }

  bytes(k: number): Uint8Array {
    this.need(k)
    const out = this.buf.slice(this.n, this.n + k)
    this.n += k
    return out
  }

  /** A count from the wire, checked against MAX_ELEMENTS and what is left. */
  count(elementSize: number): number {
    const c = this.u32()
    if (c > MAX_ELEMENTS || c * elementSize > this.remaining) this.fail("count exceeds the data")
    return c
  }

  /** Conformant varying UTF-16 array (max, offset, actual); `declaredChars` from the header when known. */
  unicodeBody(declaredChars?: number): string {
    const max = this.count(0)
    const offset = this.u32()
    const actual = this.count(2)
    if (offset !== 0 || actual > max) this.fail("inconsistent varying array")
    if (declaredChars !== undefined && actual !== declaredChars) this.fail("string length differs from its header")
    let s = ""
    for (let i = 0; i < actual; i++) s += String.fromCharCode(this.u16())
    return s
  }

  /** RPC_UNICODE_STRING scalar part: the length in characters and whether the buffer is present. */
  unicodeHeader(): { readonly chars: number; readonly present: boolean } {
    const length = this.u16()
    const maximum = this.u16()
    const ptr = this.u32()
    if (length % 2 !== 0 || length > maximum) this.fail("bad RPC_UNICODE_STRING lengths")
    return { chars: length / 2, present: ptr !== 0 }
  }
}

/**
 * Runs `f` over `bytes`; a read past the end or an inconsistency becomes a
 * failure, never a throw.
 */
export const decode = <A>(bytes: Uint8Array, f: (r: NdrReader) => A): Result.Result<A, NdrError> => {
  try {
    return Result.succeed(f(new NdrReader(bytes)))
  } catch (e) {
    if (e instanceof Stop) return Result.fail(e.error)
    throw e
  }
}
