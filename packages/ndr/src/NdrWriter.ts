/**
 * The NDR20 writer, the mirror of {@link NdrReader}: natural alignment with
 * zero padding, unique pointers with referent ids 0x00020000, 0x00020004, …
 * (as Windows numbers them) whose referents are written at the end of the
 * enclosing {@link NdrWriter.scope}.
 *
 * @since 0.1.0
 */
import type { Sid } from "./internal/sid.ts"

/**
 * A growable little-endian NDR20 buffer.
 *
 * @since 0.1.0
 */
export class NdrWriter {
  private buf = new Uint8Array(256)
  private view = new DataView(this.buf.buffer)
  private n = 0
  private nextReferent = 0x00020000
  private pending: Array<() => void> | undefined = undefined

  /** Bytes written so far. */
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

  /** Zero padding up to a multiple of `to`. */
  align(to: 2 | 4 | 8): this {
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

  u64(v: bigint): this {
    this.align(8).room(8)
    this.view.setBigUint64(this.n, v, true)
    this.n += 8
    return this
  }

  bytes(b: Uint8Array): this {
    this.room(b.length)
    this.buf.set(b, this.n)
    this.n += b.length
    return this
  }

  /** Runs `body` (scalars), then writes the referents it deferred, in order. */
  scope(body: () => void): this {
    const outer = this.pending
    const mine: Array<() => void> = []
    this.pending = mine
    try {
      body()
    } finally {
      this.pending = outer
    }
    for (const write of mine) this.scope(write)
    return this
  }

  /** A unique pointer to `value` (null when `undefined`), its referent written by `write`. */
  pointer<A>(value: A | undefined, write: (w: NdrWriter, value: A) => void): this {
    if (value === undefined) return this.u32(0)
    this.u32(this.nextReferent)
    this.nextReferent += 4
    const run = () => write(this, value)
    if (this.pending === undefined) this.scope(run)
    else this.pending.push(run)
    return this
  }

  /** A conformant array: the count, then each element's scalars (their pointers deferred past the array). */
  conformantArray<A>(items: ReadonlyArray<A>, write: (w: NdrWriter, item: A) => void): this {
    this.u32(items.length)
    return this.scope(() => {
      for (const item of items) write(this, item)
    })
  }

  /** RPC_UNICODE_STRING (MS-DTYP 2.3.10); `undefined` is a null buffer. */
  unicodeString(text: string | undefined): this {
    const bytes = text === undefined ? new Uint8Array(0) : Buffer.from(text, "utf16le")
    this.u16(bytes.length).u16(bytes.length)
    return this.pointer(text === undefined ? undefined : bytes, (w, b) => {
      w.u32(b.length / 2).u32(0).u32(b.length / 2).bytes(b)
    })
  }

  /** RPC_SID (MS-DTYP 2.4.2.3) with its conformance first. */
  sid(sid: Sid): this {
    this.u32(sid.subAuthorities.length).u8(sid.revision).u8(sid.subAuthorities.length)
    const authority = new Uint8Array(6)
    let a = sid.authority
    for (let i = 5; i >= 0; i--) {
      authority[i] = a % 256
      a = Math.floor(a / 256)
    }
    this.bytes(authority)
    for (const s of sid.subAuthorities) this.u32(s)
    return this
  }

  /** FILETIME: low then high 32 bits. */
  filetime(v: bigint): this {
    return this.u32(Number(v & 0xffffffffn)).u32(Number((v >> 32n) & 0xffffffffn))
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.n)
  }
}
