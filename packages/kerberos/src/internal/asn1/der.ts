/**
 * A thin adapter over `@effect-sspi/asn1` shaped for RFC 4120 messages:
 * encoders return `DerNode`s (absent OPTIONAL fields are `undefined`), and
 * the reading side views a message as a tree of {@link Node}s whose
 * explicitly tagged SEQUENCE fields are looked up by number. Reading
 * failures are raised as {@link DerError} inside a decoder and turned into
 * a `Result` failure by {@link decodeWith}: no decoder throws.
 *
 * (The asn1 package's Reader is a sequential cursor; Kerberos messages have
 * many OPTIONAL fields, and a field map keeps every decoder short.)
 *
 * @since 0.1.0
 */
import { Der as A, type DerNode, Reader, TagClass, type Tlv } from "@effect-sspi/asn1"
import { Data, Result } from "effect"

/**
 * A malformed or unexpected encoding. `reason` never holds message bytes.
 *
 * @since 0.1.0
 */
export class DerError extends Data.TaggedError("DerError")<{ readonly reason: string }> {}

/** An encodable element. */
export type W = DerNode

// --- writing ---------------------------------------------------------------

/** The encoding of an element. */
export const encode = (node: W): Uint8Array => A.encode(node)
/** Pre-encoded bytes, verbatim. */
export const raw = (bytes: Uint8Array): W => A.raw(bytes)
/** SEQUENCE (`undefined` items are omitted). */
export const sequence = (...items: ReadonlyArray<W | undefined>): W => A.sequence(items)
/** An explicit context tag `[n]`, or `undefined` when `inner` is. */
export const explicit = <I extends W | undefined>(n: number, inner: I): I =>
  (inner === undefined ? undefined : A.explicit(n, inner)) as I
/** `[APPLICATION n]`. */
export const application = (n: number, inner: W): W => A.application(n, inner)
/** INTEGER. */
export const integer = (value: number): W => A.integer(value)
/** OCTET STRING. */
export const octets = (bytes: Uint8Array): W => A.octetString(bytes)
/** KerberosString. */
export const generalString = (s: string): W => A.generalString(s)
/** KerberosTime of epoch milliseconds. */
export const kerberosTime = (ms: number): W => A.generalizedTime(ms)
/** KerberosFlags (32 bits, bit 0 the most significant). */
export const flags32 = (value: number): W => A.kerberosFlags(value >>> 0)

// --- reading ---------------------------------------------------------------

/**
 * One element and the reader positioned at its level.
 *
 * @since 0.1.0
 */
export interface Node {
  readonly tlv: Tlv
  readonly reader: Reader
  /** The identifier octet (low tag numbers only). */
  readonly tag: number
}

/** Fails the decoding in progress. */
export const fail = (reason: string): never => {
  throw new DerError({ reason })
}

const get = <A>(r: Result.Result<A, { readonly reason: string }>, what: string): A =>
  Result.isSuccess(r) ? r.success : fail(`${what}: ${r.failure.reason}`)

const node = (tlv: Tlv, reader: Reader): Node => ({
  tlv,
  reader,
  tag: tlv.tagNumber < 0x1f ? (tlv.tagClass << 6) | (tlv.constructed ? 0x20 : 0) | tlv.tagNumber : 0xff
})

/** Exactly one element spanning all of `bytes`. */
export const parse = (bytes: Uint8Array): Node => {
  const r = get(Reader.make(bytes), "input")
  const tlv = get(r.next(), "element")
  get(r.finish(), "element")
  return node(tlv, r)
}

/** The first element of `bytes` and the number of bytes it spans (trailing bytes allowed). */
export const parsePrefix = (bytes: Uint8Array): { readonly node: Node; readonly length: number } => {
  const r = get(Reader.make(bytes), "input")
  const tlv = get(r.next(), "element")
  return { node: node(tlv, r), length: tlv.end }
}

/** The elements of a constructed node. */
export const children = (n: Node): Array<Node> => {
  if (!n.tlv.constructed) fail("expected a constructed encoding")
  const r = get(n.reader.enter(n.tlv), "element")
  const out: Array<Node> = []
  while (!r.done) out.push(node(get(r.next(), "element"), r))
  return out
}

/** The single element inside a constructed node. */
const inner = (n: Node, what: string): Node => {
  const kids = children(n)
  if (kids.length !== 1) fail(`${what}: expected one element`)
  return kids[0]!
}

/**
 * The explicitly tagged fields of a SEQUENCE (under `[APPLICATION app]` when
 * given), by tag number; fields must ascend.
 */
export const fields = (n: Node, what: string, app?: number): Map<number, Node> => {
  let seq = n
  if (app !== undefined) {
    if (n.tlv.tagClass !== TagClass.Application || n.tlv.tagNumber !== app) fail(`${what}: unexpected tag`)
    seq = inner(n, what)
  }
  if (seq.tag !== 0x30) fail(`${what}: expected a SEQUENCE`)
  const out = new Map<number, Node>()
  let last = -1
  for (const child of children(seq)) {
    if (child.tlv.tagClass !== TagClass.Context || !child.tlv.constructed) fail(`${what}: expected a context tag`)
    const k = child.tlv.tagNumber
    if (k <= last) fail(`${what}: fields out of order`)
    last = k
    out.set(k, inner(child, what))
  }
  return out
}

/** A required field. */
export const need = (f: Map<number, Node>, n: number, what: string): Node =>
  f.get(n) ?? fail(`${what}: field [${n}] missing`)

/** A field read with `read`, or `undefined`. */
export const opt = <A>(f: Map<number, Node>, n: number, read: (node: Node) => A): A | undefined => {
  const v = f.get(n)
  return v === undefined ? undefined : read(v)
}

const primitive = <A>(n: Node, what: string, read: (r: Reader) => Result.Result<A, { readonly reason: string }>): A =>
  get(read(get(Reader.make(n.tlv.encoded), what)), what)

/** Int32. */
export const readInteger = (n: Node): number => primitive(n, "INTEGER", (r) => r.int32())

/** UInt32 (sequence numbers, nonces), tolerating negative Int32 encodings as some peers send. */
export const readUInt32 = (n: Node): number =>
  primitive(n, "INTEGER", (r) => {
    const u = r.uint32()
    return Result.isSuccess(u) ? u : Result.map(Reader.make(n.tlv.encoded).pipe(Result.flatMap((r2) => r2.int32())), (v) => v >>> 0)
  })

/** OCTET STRING content (a view). */
export const readOctets = (n: Node): Uint8Array => primitive(n, "OCTET STRING", (r) => r.octetString())

/** KerberosString. */
export const readString = (n: Node): string => primitive(n, "KerberosString", (r) => r.kerberosString())

/** KerberosTime as epoch milliseconds. */
export const readTime = (n: Node): number => primitive(n, "KerberosTime", (r) => r.generalizedTime())

/** KerberosFlags: the first 32 bits. */
export const readFlags = (n: Node): number => primitive(n, "KerberosFlags", (r) => r.kerberosFlags())

/** SEQUENCE OF, each element read with `read`. */
export const readSequenceOf = <A>(n: Node, read: (node: Node) => A): Array<A> => {
  if (n.tag !== 0x30) fail("expected a SEQUENCE OF")
  return children(n).map(read)
}

/**
 * Runs a reader that raises {@link DerError}, as a `Result`.
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
