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

/** Index of the first bad octet of OID content, or -1 if the content is valid. */
const checkContent = (c: Uint8Array): number => {
  if (c.length === 0) return 0
  let startOfArc = true
  for (let i = 0; i < c.length; i++) {
    if (startOfArc && c[i] === 0x80) return i
    startOfArc = (c[i]! & 0x80) === 0
  }
  return startOfArc ? -1 : c.length - 1
}

const DOTTED = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/

const encodeDotted = (dotted: string): Uint8Array | undefined => {
  if (!DOTTED.test(dotted)) return undefined
  const arcs = dotted.split(".").map(BigInt)
  const [a0, a1] = arcs as [bigint, bigint]
  if (a0 > 2n || (a0 < 2n && a1 >= 40n)) return undefined
  const subs = [a0 * 40n + a1, ...arcs.slice(2)]
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

const decodeContent = (c: Uint8Array): string => {
  const parts: Array<string> = []
  let value = 0n
  let small = 0
  let big = false
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!
    if (!big && small > 2 ** 45) {
      big = true
      value = BigInt(small)
    }
    if (big) value = (value << 7n) | BigInt(b & 0x7f)
    else small = small * 128 + (b & 0x7f)
    if ((b & 0x80) === 0) {
      const sub = big ? value : BigInt(small)
      if (parts.length === 0) {
        const first = sub < 40n ? 0n : sub < 80n ? 1n : 2n
        parts.push(first.toString(), (sub - first * 40n).toString())
      } else {
        parts.push(sub.toString())
      }
      small = 0
      value = 0n
      big = false
    }
  }
  return parts.join(".")
}
