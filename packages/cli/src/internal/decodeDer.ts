/**
 * A generic DER outline for SPNEGO / Kerberos tokens, until the negotiate
 * and kerberos packages export decoders: tags, lengths, OIDs by name, and
 * NTLM messages found inside (raw NTLM in SPNEGO's mechToken).
 */
import { Result } from "effect"
import { isNtlm, ntlmTree } from "./decodeNtlm.ts"
import { hex, node, type Tree } from "./tree.ts"

const oidNames: Readonly<Record<string, string>> = {
  "1.3.6.1.5.5.2": "SPNEGO",
  "1.2.840.113554.1.2.2": "Kerberos V5",
  "1.2.840.48018.1.2.2": "Kerberos V5 (Microsoft)",
  "1.2.840.113554.1.2.2.3": "Kerberos V5 user-to-user",
  "1.3.6.1.4.1.311.2.2.10": "NTLMSSP",
  "1.3.6.1.4.1.311.2.2.30": "NEGOEX"
}

const universal: Readonly<Record<number, string>> = {
  1: "BOOLEAN", 2: "INTEGER", 3: "BIT STRING", 4: "OCTET STRING", 5: "NULL", 6: "OBJECT IDENTIFIER",
  10: "ENUMERATED", 12: "UTF8String", 16: "SEQUENCE", 17: "SET", 19: "PrintableString", 22: "IA5String",
  24: "GeneralizedTime", 27: "GeneralString"
}

interface Element {
  readonly cls: number
  readonly constructed: boolean
  readonly tag: number
  readonly content: Uint8Array
  readonly size: number
}

const readElement = (b: Uint8Array, at: number): Element | undefined => {
  if (at + 2 > b.length) return undefined
  const first = b[at]!
  let tag = first & 0x1f
  let i = at + 1
  if (tag === 0x1f) {
    tag = 0
    do {
      if (i >= b.length) return undefined
      tag = tag * 128 + (b[i]! & 0x7f)
    } while (b[i++]! & 0x80)
  }
  if (i >= b.length) return undefined
  let length = b[i++]!
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4 || i + count > b.length) return undefined
    length = 0
    for (let k = 0; k < count; k++) length = length * 256 + b[i++]!
  }
  if (i + length > b.length) return undefined
  return { cls: first >> 6, constructed: (first & 0x20) !== 0, tag, content: b.subarray(i, i + length), size: i + length - at }
}

const oid = (b: Uint8Array): string => {
  const parts: Array<number> = []
  let value = 0
  for (const byte of b) {
    value = value * 128 + (byte & 0x7f)
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
      else parts.push(value)
      value = 0
    }
  }
  return parts.join(".")
}

/** All elements of `b`, or `undefined` if `b` is not exactly a run of DER elements. */
const elements = (b: Uint8Array): Array<Element> | undefined => {
  const out: Array<Element> = []
  for (let at = 0; at < b.length;) {
    const e = readElement(b, at)
    if (e === undefined) return undefined
    out.push(e)
    at += e.size
  }
  return out
}

const tagName = (e: Element): string =>
  e.cls === 0 ? universal[e.tag] ?? `UNIVERSAL ${e.tag}` : e.cls === 1 ? `[APPLICATION ${e.tag}]` : e.cls === 2 ? `[${e.tag}]` : `[PRIVATE ${e.tag}]`

const elementTree = (e: Element, depth: number): Tree => {
  const title = `${tagName(e)} (${e.content.length} bytes)`
  if (depth > 24) return node(title)
  if (e.constructed) {
    const inner = elements(e.content)
    return inner === undefined ? node(`${title}: malformed`) : node(title, inner.map((x) => elementTree(x, depth + 1)))
  }
  if (e.cls === 0 && e.tag === 6) {
    const text = oid(e.content)
    return node(`OID ${text}${oidNames[text] !== undefined ? ` (${oidNames[text]})` : ""}`)
  }
  if (e.cls === 0 && (e.tag === 2 || e.tag === 10) && e.content.length <= 6) {
    return node(`${tagName(e)} ${e.content.reduce((n, x) => n * 256 + x, 0)}`)
  }
  if (e.cls === 0 && [12, 19, 22, 24, 27].includes(e.tag)) {
    return node(`${tagName(e)} ${JSON.stringify(Buffer.from(e.content).toString("utf8"))}`)
  }
  if (isNtlm(e.content)) {
    const inner = ntlmTree(e.content)
    return node(title, [Result.isSuccess(inner) ? inner.success : node(`NTLM, malformed: ${inner.failure}`)])
  }
  if (e.content.length > 0 && e.cls === 0 && e.tag === 4) {
    const inner = elements(e.content)
    if (inner !== undefined && inner.length === 1) return node(title, inner.map((x) => elementTree(x, depth + 1)))
  }
  // Ciphertext, checksums and keys: sizes only.
  return node(e.content.length <= 16 && e.cls === 0 && e.tag === 3 ? `${title}: ${hex(e.content)}` : title)
}

/** Whether `bytes` looks like a GSS / SPNEGO token (DER, [APPLICATION 0] or NegTokenInit/Resp). */
export const isDerToken = (bytes: Uint8Array): boolean =>
  bytes.length > 2 && (bytes[0] === 0x60 || bytes[0] === 0xa0 || bytes[0] === 0xa1) && elements(bytes) !== undefined

/** The outline of a DER token. */
export const derTree = (bytes: Uint8Array): Result.Result<Tree, string> => {
  const all = elements(bytes)
  if (all === undefined || all.length !== 1) return Result.fail("not a single DER element")
  const kind = bytes[0] === 0x60 ? "GSS-API InitialContextToken" : bytes[0] === 0xa0 ? "SPNEGO NegTokenInit" : "SPNEGO NegTokenResp"
  return Result.succeed(node(`${kind} (${bytes.length} bytes, generic DER outline)`, [elementTree(all[0]!, 0)]))
}
