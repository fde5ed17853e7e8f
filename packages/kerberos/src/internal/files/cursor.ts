/**
 * A big-endian byte cursor for the MIT binary file formats (keytab,
 * ccache). Malformed input raises {@link MalformedFile}, which
 * {@link decodeFile} turns into a `Result` failure: no decoder throws.
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"

/**
 * A file that is not in the expected format. `reason` never holds key bytes.
 *
 * @since 0.1.0
 */
export class MalformedFile extends Data.TaggedError("MalformedFile")<{ readonly reason: string }> {}

export class Cursor {
  #at = 0
  constructor(readonly bytes: Uint8Array, readonly end: number = bytes.length) {}
  get at(): number {
    return this.#at
  }
  get remaining(): number {
    return this.end - this.#at
  }
  take(n: number): Uint8Array {
    if (n < 0 || this.#at + n > this.end) throw new MalformedFile({ reason: "truncated" })
    const out = this.bytes.subarray(this.#at, this.#at + n)
    this.#at += n
    return out
  }
  u8(): number {
    return this.take(1)[0]!
  }
  u16(): number {
    const b = this.take(2)
    return (b[0]! << 8) | b[1]!
  }
  u32(): number {
    const b = this.take(4)
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
  }
  i32(): number {
    return this.u32() | 0
  }
  /** A sub-cursor over the next `n` bytes. */
  sub(n: number): Cursor {
    const start = this.#at
    this.take(n)
    const c = new Cursor(this.bytes, start + n)
    c.#at = start
    return c
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false })

/** UTF-8 text of bytes (never throws). */
export const text = (bytes: Uint8Array): string => utf8.decode(bytes)

/** Fails the decoding in progress. */
export const malformed = (reason: string): never => {
  throw new MalformedFile({ reason })
}

/** Runs a throwing reader, turning {@link MalformedFile} into a `Result` failure. */
export const decodeFile = <A>(read: (c: Cursor) => A) => (bytes: Uint8Array): Result.Result<A, MalformedFile> => {
  try {
    return Result.succeed(read(new Cursor(bytes)))
  } catch (e) {
    if (e instanceof MalformedFile) return Result.fail(e)
    throw e
  }
}

/** A growable big-endian writer (for test fixtures and the keytab encoder). */
export class Writer {
  readonly #parts: Array<number> = []
  u8(v: number): this {
    this.#parts.push(v & 0xff)
    return this
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v)
  }
  u32(v: number): this {
    return this.u16(v >>> 16).u16(v & 0xffff)
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.#parts.push(x)
    return this
  }
  done(): Uint8Array {
    return Uint8Array.from(this.#parts)
  }
}
