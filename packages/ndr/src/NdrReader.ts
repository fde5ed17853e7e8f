/**
 * The NDR20 reader (MS-RPCE 2.2.5, C706 chapter 14), little-endian data
 * representation: primitives with natural alignment, unique and full
 * pointers whose referents are read where NDR puts them (deferred to the end
 * of the enclosing constructed type), conformant and conformant-varying
 * arrays, RPC_UNICODE_STRING, RPC_SID and FILETIME.
 *
 * Every read is bounded by the buffer; a count is checked against the bytes
 * left before anything is allocated. Readers raise errors that {@link decode}
 * turns into a `Result` failure: nothing throws to the caller.
 *
 * @since 0.1.0
 */
import type { Result } from "effect"
import type { NdrError } from "./NdrError.ts"
import { MAX_SUB_AUTHORITIES, type Sid } from "./internal/sid.ts"
import { run, stop } from "./internal/stop.ts"

/**
 * The value behind a pointer: set when its referent has been read (at the
 * end of the enclosing {@link NdrReader.scope}); `undefined` for a null pointer.
 *
 * @since 0.1.0
 */
export interface Ref<A> {
  readonly value: A | undefined
}

class Holder<A> implements Ref<A> {
  value: A | undefined = undefined
}

const utf16 = new TextDecoder("utf-16le", { fatal: false })

/**
 * A cursor over one NDR buffer. Alignment is relative to the start of the
 * buffer (the start of the NDR stream).
 *
 * @since 0.1.0
 */
export class NdrReader {
  private at = 0
  private readonly view: DataView
  private pending: Array<() => void> | undefined = undefined
  private readonly full = new Map<number, Holder<unknown>>()

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  /** The position in the buffer. */
  get offset(): number {
    return this.at
  }

  /** Bytes left. */
  get remaining(): number {
    return this.buf.length - this.at
  }

  /** Fails the decode at the current position. */
  fail(reason: string): never {
    return stop(reason, this.at)
  }

  private need(n: number, what: string): void {
    if (n > this.buf.length - this.at) this.fail(`${what}: truncated`)
  }

  /** Skips the padding up to a multiple of `to` (NDR natural alignment). */
  align(to: 2 | 4 | 8): this {
    const pad = (to - (this.at % to)) % to
    this.need(pad, "alignment")
    this.at += pad
    return this
  }

  u8(): number {
    this.need(1, "u8")
    return this.buf[this.at++]!
  }

  u16(): number {
    this.align(2).need(2, "u16")
    const v = this.view.getUint16(this.at, true)
    this.at += 2
    return v
  }

  u32(): number {
    this.align(4).need(4, "u32")
    const v = this.view.getUint32(this.at, true)
    this.at += 4
    return v
  }

  i32(): number {
    return this.u32() | 0
  }

  /** hyper / ULONG64 (8-aligned). */
  u64(): bigint {
    this.align(8).need(8, "u64")
    const v = this.view.getBigUint64(this.at, true)
    this.at += 8
    return v
  }

  /** `n` raw bytes (a view). */
  bytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0) this.fail("negative length")
    this.need(n, "bytes")
    const out = this.buf.subarray(this.at, this.at + n)
    this.at += n
    return out
  }

  /** Fails unless every byte has been read. */
  end(): void {
    if (this.at !== this.buf.length) this.fail(`${this.buf.length - this.at} trailing bytes`)
  }

  /**
   * Checks that `count` elements of at least `elementSize` bytes can still be
   * in the buffer (so a hostile count cannot make anything allocate or loop).
   */
  fits(count: number, elementSize: number, what: string): number {
    if (count * elementSize > this.remaining) this.fail(`${what}: count ${count} exceeds the buffer`)
    return count
  }

  /**
   * Runs `body` (the scalars of a constructed type), then reads the
   * referents of the pointers it met, in order, each with its own deferred
   * referents right after it (NDR's order for embedded pointers).
   */
  scope<A>(body: () => A): A {
    const outer = this.pending
    const mine: Array<() => void> = []
    this.pending = mine
    let value: A
    try {
      value = body()
    } finally {
      this.pending = outer
    }
    for (const read of mine) this.scope(read)
    return value
  }

  private defer(read: () => void): void {
    if (this.pending === undefined) this.scope(read)
    else this.pending.push(read)
  }

  /**
   * A unique pointer (MS-RPCE 2.2.5.3.3.1 / C706 14.3.10): a referent id,
   * zero for null; the referent is read with `read` when the enclosing
   * scope ends (at once outside any scope).
   */
  pointer<A>(read: (r: NdrReader) => A): Ref<A> {
    const id = this.u32()
    const holder = new Holder<A>()
    if (id !== 0) this.defer(() => (holder.value = read(this)))
    return holder
  }

  /**
   * A full pointer (C706 14.3.11.3): a referent id seen before denotes the
   * same referent, which is not repeated.
   */
  fullPointer<A>(read: (r: NdrReader) => A): Ref<A> {
    const id = this.u32()
    if (id === 0) return new Holder<A>()
    const seen = this.full.get(id)
    if (seen !== undefined) return seen as Holder<A>
    const holder = new Holder<A>()
    this.full.set(id, holder)
    this.defer(() => (holder.value = read(this)))
    return holder
  }

  /**
   * A pointer that must not be null where it is read (a `[ref]` pointer or
   * a unique one the format requires).
   */
  required<A>(ref: Ref<A>, what: string): A {
    return ref.value ?? this.fail(`${what}: null pointer`)
  }

  /**
   * A conformant array (C706 14.3.3.2): the maximum count, then that many
   * elements of at least `elementSize` bytes, each read with `read` (the
   * elements' scalars; pointers in them are deferred past the whole array).
   * `expected`, where the count is also given elsewhere (size_is), must equal it.
   */
  conformantArray<A>(read: (r: NdrReader, i: number) => A, elementSize: number, expected?: number): Array<A> {
    const count = this.u32()
    if (expected !== undefined && count !== expected) this.fail(`array: conformance ${count}, size_is ${expected}`)
    this.fits(count, elementSize, "array")
    return this.scope(() => {
      const out: Array<A> = []
      for (let i = 0; i < count; i++) out.push(read(this, i))
      return out
    })
  }

  /**
   * A conformant varying array (C706 14.3.3.4): maximum count, offset (must
   * be 0 here) and actual count (at most the maximum), then the elements.
   * Returns the maximum count and the elements.
   */
  conformantVaryingArray<A>(
    read: (r: NdrReader, i: number) => A,
    elementSize: number
  ): { readonly max: number; readonly items: Array<A> } {
    const max = this.u32()
    const offset = this.u32()
    const actual = this.u32()
    if (offset !== 0) this.fail(`varying array: offset ${offset}`)
    if (actual > max) this.fail(`varying array: actual count ${actual} above maximum ${max}`)
    this.fits(actual, elementSize, "varying array")
    const items: Array<A> = []
    for (let i = 0; i < actual; i++) items.push(read(this, i))
    return { max, items }
  }

  /**
   * RPC_UNICODE_STRING (MS-DTYP 2.3.10): Length and MaximumLength in bytes,
   * then a unique pointer to a conformant varying array of WCHAR
   * [size_is(MaximumLength/2), length_is(Length/2)]. The text is `undefined`
   * when the pointer is null.
   */
  unicodeString(): Ref<string> {
    const length = this.u16()
    const maximum = this.u16()
    if (length % 2 !== 0 || maximum % 2 !== 0) this.fail("RPC_UNICODE_STRING: odd length")
    if (length > maximum) this.fail("RPC_UNICODE_STRING: Length above MaximumLength")
    return this.pointer((r) => {
      const max = r.u32()
      const offset = r.u32()
      const actual = r.u32()
      if (max !== maximum / 2 || offset !== 0 || actual !== length / 2) {
        r.fail("RPC_UNICODE_STRING: array counts disagree with its lengths")
      }
      return utf16.decode(r.bytes(length))
    })
  }

  /**
   * RPC_SID (MS-DTYP 2.4.2.3), a conformant structure: the conformance
   * (SubAuthorityCount) first, then Revision, SubAuthorityCount, the 6-byte
   * big-endian IdentifierAuthority and the sub-authorities.
   */
  sid(): Sid {
    const conformance = this.u32()
    const revision = this.u8()
    const count = this.u8()
    if (count !== conformance) this.fail(`RPC_SID: conformance ${conformance}, SubAuthorityCount ${count}`)
    if (count > MAX_SUB_AUTHORITIES) this.fail(`RPC_SID: ${count} sub-authorities`)
    if (revision !== 1) this.fail(`RPC_SID: revision ${revision}`)
    const a = this.bytes(6)
    const authority = a.reduce((acc, b) => acc * 256 + b, 0)
    const subAuthorities: Array<number> = []
    for (let i = 0; i < count; i++) subAuthorities.push(this.u32())
    return { revision, authority, subAuthorities }
  }

  /**
   * FILETIME (MS-DTYP 2.3.3): dwLowDateTime, dwHighDateTime (4-aligned),
   * 100 ns intervals since 1601-01-01 UTC.
   */
  filetime(): bigint {
    // two DWORDs, low first (4-aligned): one little-endian 64-bit read, one BigInt (not three and a shift)
    this.align(4).need(8, "FILETIME")
    const v = this.view.getBigUint64(this.at, true)
    this.at += 8
    return v
  }
}

/**
 * Runs `read` over `bytes`; a read past the end or an inconsistency is a
 * failure, never a throw.
 *
 * @since 0.1.0
 */
export const decode = <A>(bytes: Uint8Array, read: (r: NdrReader) => A): Result.Result<A, NdrError> =>
  run(() => read(new NdrReader(bytes)))
