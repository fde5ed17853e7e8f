/**
 * The DER subset RFC 4120 messages need: definite lengths, explicit context
 * tags, APPLICATION tags, INTEGER, OCTET STRING, GeneralString,
 * GeneralizedTime and BIT STRING. Writers build bytes; the reader walks a
 * tree and signals malformed input with {@link DerError}, which
 * {@link decodeWith} turns into a `Result` failure: no decoder throws.
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"

/**
 * A malformed or unexpected encoding. `reason` never holds secret bytes.
 *
 * @since 0.1.0
 */
export class DerError extends Data.TaggedError("DerError")<{ readonly reason: string }> {}

/** Universal tags. */
export const Tag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  GENERALIZED_TIME: 0x18,
  GENERAL_STRING: 0x1b,
  SEQUENCE: 0x30
} as const

const MAX_DEPTH = 32

// --- writing ---------------------------------------------------------------

const lengthBytes = (n: number): Array<number> => {
  if (n < 0x80) return [n]
  const out: Array<number> = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff)
  return [0x80 | out.length, ...out]
}

/** One TLV. */
export const tlv = (tag: number, content: Uint8Array): Uint8Array => {
  const len = lengthBytes(content.length)
  const out = new Uint8Array(1 + len.length + content.length)
  out[0] = tag
  out.set(len, 1)
  out.set(content, 1 + len.length)
  return out
}

/** Concatenation. */
export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** SEQUENCE of already-encoded elements (`undefined` ones are omitted). */
export const sequence = (...items: ReadonlyArray<Uint8Array | undefined>): Uint8Array =>
  tlv(Tag.SEQUENCE, concat(...items.filter((i): i is Uint8Array => i !== undefined)))

/** An explicit context tag `[n]`, or `undefined` when `inner` is. */
export const explicit = <I extends Uint8Array | undefined>(n: number, inner: I): I =>
  (inner === undefined ? undefined : tlv(0xa0 | n, inner)) as I

/** An `[APPLICATION n]` constructed tag. */
export const application = (n: number, inner: Uint8Array): Uint8Array => tlv(0x60 | n, inner)

/** INTEGER from a safe integer (two's complement, minimal). */
export const integer = (value: number): Uint8Array => {
  const bytes: Array<number> = []
  let v = BigInt(value)
  for (;;) {
    const b = Number(v & 0xffn)
    bytes.unshift(b)
    v >>= 8n
    if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break
  }
  return tlv(Tag.INTEGER, Uint8Array.from(bytes))
}

/** OCTET STRING. */
export const octets = (bytes: Uint8Array): Uint8Array => tlv(Tag.OCTET_STRING, bytes)

/** GeneralString (KerberosString: IA5 in practice; UTF-8 bytes). */
export const generalString = (s: string): Uint8Array => tlv(Tag.GENERAL_STRING, new TextEncoder().encode(s))

const two = (n: number) => String(n).padStart(2, "0")

/** KerberosTime: GeneralizedTime "YYYYMMDDHHMMSSZ" of epoch milliseconds (seconds only). */
export const kerberosTime = (ms: number): Uint8Array => {
  const d = new Date(Math.floor(ms / 1000) * 1000)
  const s = `${String(d.getUTCFullYear()).padStart(4, "0")}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${
    two(d.getUTCHours())
  }${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`
  return tlv(Tag.GENERALIZED_TIME, new TextEncoder().encode(s))
}

/** KerberosFlags: a 32-bit BIT STRING, bit 0 the most significant. */
export const flags32 = (value: number): Uint8Array => {
  const out = new Uint8Array(5)
  new DataView(out.buffer).setUint32(1, value >>> 0)
  return tlv(Tag.BIT_STRING, out)
}

// --- reading ---------------------------------------------------------------

/**
 * One decoded TLV: its identifier octet and its content bytes.
 *
 * @since 0.1.0
 */
export interface Node {
  readonly tag: number
  readonly content: Uint8Array
  readonly depth: number
}

/** Fails the decoding in progress. */
export const fail = (reason: string): never => {
  throw new DerError({ reason })
}

const readOne = (bytes: Uint8Array, at: number, depth: number): { node: Node; end: number } => {
  if (depth > MAX_DEPTH) fail("nesting too deep")
  if (at + 2 > bytes.length) fail("truncated header")
  const tag = bytes[at]!
  if ((tag & 0x1f) === 0x1f) fail("high tag numbers are not used")
  let len = bytes[at + 1]!
  let pos = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4) fail("unsupported length form")
    if (pos + n > bytes.length) fail("truncated length")
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + bytes[pos + i]!
    pos += n
  }
  if (pos + len > bytes.length) fail("truncated content")
  return { node: { tag, content: bytes.subarray(pos, pos + len), depth }, end: pos + len }
}

/** Exactly one TLV spanning all of `bytes`. */
export const parse = (bytes: Uint8Array, depth = 0): Node => {
  const { end, node } = readOne(bytes, 0, depth)
  if (end !== bytes.length) fail("trailing bytes")
  return node
}

/** The first TLV of `bytes` and the length it spans (trailing bytes allowed). */
export const parsePrefix = (bytes: Uint8Array): { readonly node: Node; readonly length: number } => {
  const { end, node } = readOne(bytes, 0, 0)
  return { node, length: end }
}

/** The elements of a constructed node. */
export const children = (node: Node): Array<Node> => {
  if ((node.tag & 0x20) === 0) fail("expected a constructed encoding")
  const out: Array<Node> = []
  let at = 0
  while (at < node.content.length) {
    const { end, node: child } = readOne(node.content, at, node.depth + 1)
    out.push(child)
    at = end
  }
  return out
}

/** The content of a node with tag `tag`, parsed as one inner TLV. */
export const unwrapTag = (node: Node, tag: number, what: string): Node => {
  if (node.tag !== tag) fail(`${what}: unexpected tag 0x${node.tag.toString(16)}`)
  return parse(node.content, node.depth + 1)
}

/**
 * The explicitly tagged fields of a SEQUENCE (optionally under an
 * APPLICATION tag), by tag number; fields must ascend.
 */
export const fields = (node: Node, what: string, app?: number): Map<number, Node> => {
  const seq = app === undefined ? node : unwrapTag(node, 0x60 | app, what)
  if (seq.tag !== Tag.SEQUENCE) fail(`${what}: expected a SEQUENCE`)
  const out = new Map<number, Node>()
  let last = -1
  for (const child of children(seq)) {
    if ((child.tag & 0xe0) !== 0xa0) fail(`${what}: expected a context tag`)
    const n = child.tag & 0x1f
    if (n <= last) fail(`${what}: fields out of order`)
    last = n
    out.set(n, parse(child.content, child.depth + 1))
  }
  return out
}

/** A required field. */
export const need = (f: Map<number, Node>, n: number, what: string): Node => f.get(n) ?? fail(`${what}: field [${n}] missing`)

/** A field read with `read`, or `undefined`. */
export const opt = <A>(f: Map<number, Node>, n: number, read: (node: Node) => A): A | undefined => {
  const node = f.get(n)
  return node === undefined ? undefined : read(node)
}

/** INTEGER as a number (at most 5 content bytes: Int32 and UInt32 both fit). */
export const readInteger = (node: Node): number => {
  if (node.tag !== Tag.INTEGER) fail("expected an INTEGER")
  const c = node.content
  if (c.length === 0 || c.length > 5) fail("INTEGER of unsupported size")
  let v = 0
  for (const b of c) v = v * 256 + b
  if ((c[0]! & 0x80) !== 0) v -= 2 ** (8 * c.length)
  return v
}

/** A sequence number or nonce: UInt32, tolerating negative Int32 encodings (as some peers send). */
export const readUInt32 = (node: Node): number => {
  const v = readInteger(node)
  if (v < -(2 ** 31) || v > 0xffffffff) fail("UInt32 out of range")
  return v >>> 0
}

/** OCTET STRING content (a view). */
export const readOctets = (node: Node): Uint8Array => {
  if (node.tag !== Tag.OCTET_STRING) fail("expected an OCTET STRING")
  return node.content
}

/** GeneralString (or any string type) as text. */
export const readString = (node: Node): string => {
  if (node.tag !== Tag.GENERAL_STRING && node.tag !== 0x0c && node.tag !== 0x16) fail("expected a string")
  return new TextDecoder("utf-8", { fatal: false }).decode(node.content)
}

/** KerberosTime as epoch milliseconds. */
export const readTime = (node: Node): number => {
  if (node.tag !== Tag.GENERALIZED_TIME) fail("expected a GeneralizedTime")
  const s = new TextDecoder().decode(node.content)
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s)
  if (m === null) fail("malformed KerberosTime")
  const [, y, mo, d, h, mi, se] = m!.map(Number) as [number, number, number, number, number, number, number]
  return Date.UTC(y, mo - 1, d, h, mi, se)
}

/** KerberosFlags: the first 32 bits of a BIT STRING as a number. */
export const readFlags = (node: Node): number => {
  if (node.tag !== Tag.BIT_STRING || node.content.length < 1) fail("expected a BIT STRING")
  const bits = new Uint8Array(4)
  bits.set(node.content.subarray(1, 5))
  return new DataView(bits.buffer).getUint32(0)
}

/** SEQUENCE OF, each element read with `read`. */
export const readSequenceOf = <A>(node: Node, read: (node: Node) => A): Array<A> => {
  if (node.tag !== Tag.SEQUENCE) fail("expected a SEQUENCE OF")
  return children(node).map(read)
}

/**
 * Runs a throwing reader over `bytes`, turning {@link DerError} (and any
 * range problem in the input) into a `Result` failure.
 *
 * @since 0.1.0
 */
export const decodeWith = <A>(read: (bytes: Uint8Array) => A) => (bytes: Uint8Array): Result.Result<A, DerError> => {
  try {
    return Result.succeed(read(bytes))
  } catch (e) {
    if (e instanceof DerError) return Result.fail(e)
    throw e
  }
}
