/**
 * SPNEGO and Kerberos tokens as trees. SPNEGO goes through the Negotiate
 * package's decoder (`SpnegoToken.decode`): mechanisms by name, negState,
 * and the inner mechanism token decoded (NTLM through `NtlmMessage`,
 * Kerberos as a GSS token with its TOK_ID and a DER outline). Anything
 * else in DER, and SPNEGO the strict decoder refuses, gets a generic
 * outline read with @effect-sspi/asn1's `Reader`: tags, lengths, OIDs by
 * name, small integers and strings. Ciphertexts, checksums and keys are
 * shown by size only.
 */
import { type Asn1Error, decode, type Oid, type Reader, TagClass, type Tlv, UniversalTag } from "@effect-sspi/asn1"
import { SpnegoToken } from "@effect-sspi/negotiate"
import { Result } from "effect"
import { elements } from "./derElements.ts"
import { legacyTokenTree } from "./decodeGss.ts"
import { isNtlm, ntlmTree } from "./decodeNtlm.ts"
import { krbMessageTree } from "./krbSchema.ts"
import { hex, node, type Tree } from "./tree.ts"

const oidName = (oid: Oid): string => {
  const name = SpnegoToken.mechanismName(oid) ?? (oid.toString() === "1.2.840.113554.1.2.2.3" ? "Kerberos V5 user-to-user" : undefined)
  return `OID ${oid.toString()}${name !== undefined ? ` (${name})` : ""}`
}

const universal: Readonly<Record<number, string>> = {
  [UniversalTag.Boolean]: "BOOLEAN",
  [UniversalTag.Integer]: "INTEGER",
  [UniversalTag.BitString]: "BIT STRING",
  [UniversalTag.OctetString]: "OCTET STRING",
  [UniversalTag.Null]: "NULL",
  [UniversalTag.ObjectIdentifier]: "OBJECT IDENTIFIER",
  [UniversalTag.Enumerated]: "ENUMERATED",
  [UniversalTag.Utf8String]: "UTF8String",
  [UniversalTag.Sequence]: "SEQUENCE",
  [UniversalTag.Set]: "SET",
  19: "PrintableString",
  [UniversalTag.Ia5String]: "IA5String",
  [UniversalTag.GeneralizedTime]: "GeneralizedTime",
  [UniversalTag.GeneralString]: "GeneralString"
}

/** RFC 4120 application tags, for the outline of Kerberos messages. */
const kerberosApplication: Readonly<Record<number, string>> = {
  1: "Ticket",
  2: "Authenticator",
  3: "EncTicketPart",
  10: "AS-REQ",
  11: "AS-REP",
  12: "TGS-REQ",
  13: "TGS-REP",
  14: "AP-REQ",
  15: "AP-REP",
  20: "KRB-SAFE",
  21: "KRB-PRIV",
  22: "KRB-CRED",
  25: "EncASRepPart",
  26: "EncTGSRepPart",
  27: "EncAPRepPart",
  30: "KRB-ERROR"
}

const tagName = (t: Tlv): string => {
  switch (t.tagClass) {
    case TagClass.Universal:
      return universal[t.tagNumber] ?? `UNIVERSAL ${t.tagNumber}`
    case TagClass.Application: {
      const name = kerberosApplication[t.tagNumber]
      return `[APPLICATION ${t.tagNumber}]${name !== undefined ? ` ${name}` : ""}`
    }
    case TagClass.Context:
      return `[${t.tagNumber}]`
    default:
      return `[PRIVATE ${t.tagNumber}]`
  }
}

const strings: ReadonlySet<number> = new Set([UniversalTag.Utf8String, 19, UniversalTag.Ia5String, UniversalTag.GeneralizedTime, UniversalTag.GeneralString])

/** A primitive value through the asn1 reader (INTEGER, ENUMERATED, OID), or `undefined`. */
const primitive = <A>(t: Tlv, f: (r: Reader) => Result.Result<A, unknown>): A | undefined => {
  const r = decode(t.encoded, f)
  return Result.isSuccess(r) ? r.success : undefined
}

const MAX_DEPTH = 24

/** The generic outline of one element. */
const elementTree = (t: Tlv, depth: number): Tree => {
  const title = `${tagName(t)} (${t.value.length} bytes)`
  if (depth > MAX_DEPTH) return node(title)
  if (t.constructed) {
    const inner = elements(t.value)
    return Result.isFailure(inner)
      ? node(`${title}: malformed (${inner.failure})`)
      : node(title, inner.success.map((x) => elementTree(x, depth + 1)))
  }
  if (t.tagClass === TagClass.Universal) {
    if (t.tagNumber === UniversalTag.ObjectIdentifier) {
      const oid = primitive(t, (r) => r.oid())
      return node(oid !== undefined ? oidName(oid) : `${title}: malformed`)
    }
    if ((t.tagNumber === UniversalTag.Integer || t.tagNumber === UniversalTag.Enumerated) && t.value.length <= 6) {
      const n = primitive<bigint | number>(t, (r) => t.tagNumber === UniversalTag.Integer ? r.integer() : r.enumerated())
      return node(`${tagName(t)} ${n !== undefined ? String(n) : "malformed"}`)
    }
    if (strings.has(t.tagNumber)) return node(`${tagName(t)} ${JSON.stringify(Buffer.from(t.value).toString("utf8"))}`)
    if (t.tagNumber === UniversalTag.BitString && t.value.length <= 16) return node(`${title}: ${hex(t.value)}`)
    if (t.tagNumber === UniversalTag.OctetString) {
      const inner = innerToken(t.value, depth)
      if (inner !== undefined) return node(title, [inner])
    }
  }
  // Ciphertext, checksums and keys: sizes only.
  return node(title)
}

/** An NTLM message, or exactly one nested DER element, inside an OCTET STRING; else `undefined`. */
const innerToken = (bytes: Uint8Array, depth: number): Tree | undefined => {
  if (isNtlm(bytes)) return ntlmOrMalformed(bytes)
  const inner = elements(bytes)
  return Result.isSuccess(inner) && inner.success.length === 1 ? elementTree(inner.success[0]!, depth + 1) : undefined
}

const ntlmOrMalformed = (bytes: Uint8Array): Tree => {
  const tree = ntlmTree(bytes)
  return Result.isSuccess(tree) ? tree.success : node(`NTLM, malformed: ${tree.failure}`)
}

const KRB5_TOK_ID: Readonly<Record<string, string>> = {
  "0100": "KRB_AP_REQ",
  "0200": "KRB_AP_REP",
  "0300": "KRB_ERROR",
  "0101": "MIC, RFC 1964",
  "0201": "Wrap, RFC 1964",
  "0102": "delete context, RFC 1964"
}

/** A Kerberos GSS token (RFC 4121 4.1): [APPLICATION 0] { OID, TOK_ID, message }. */
const kerberosTree = (bytes: Uint8Array): Tree | undefined => {
  const parsed = decode(bytes, (r) =>
    Result.map(r.gssInitialContextToken(), ({ inner, mech }) => ({ mech, rest: inner.rest() })))
  if (Result.isFailure(parsed)) return undefined
  const { mech, rest } = parsed.success
  if (SpnegoToken.detect(bytes) !== "Kerberos" || rest.length < 2) return undefined
  const tokId = hex(rest.subarray(0, 2))
  const body = rest.subarray(2)
  const named = krbMessageTree(body)
  const legacy = named === undefined ? legacyTokenTree(tokId, body) : undefined
  const message = elements(body)
  return node(`Kerberos GSS token (${bytes.length} bytes)`, [
    node(`mech: ${oidName(mech)}`),
    node(`TOK_ID ${tokId}${KRB5_TOK_ID[tokId] !== undefined ? ` (${KRB5_TOK_ID[tokId]})` : ""}`),
    ...(named !== undefined
      ? [named]
      : legacy !== undefined
      ? legacy
      : Result.isSuccess(message)
      ? message.success.map((t) => elementTree(t, 1))
      : [node(`message: malformed (${message.failure})`)])
  ])
}

/** A mechanism token inside SPNEGO: NTLM, Kerberos, or an outline. */
const mechTokenTree = (label: string, bytes: Uint8Array): Tree => {
  if (isNtlm(bytes)) return node(`${label} (${bytes.length} bytes)`, [ntlmOrMalformed(bytes)])
  const krb = kerberosTree(bytes)
  if (krb !== undefined) return node(`${label} (${bytes.length} bytes)`, [krb])
  const outline = elements(bytes)
  return Result.isSuccess(outline) && outline.success.length > 0
    ? node(`${label} (${bytes.length} bytes)`, outline.success.map((t) => elementTree(t, 1)))
    : node(`${label}: ${bytes.length} bytes`)
}

const mechList = (mechTypes: ReadonlyArray<Oid>): Tree =>
  node("mechTypes", mechTypes.map((m, i) => node(`${oidName(m)}${i === 0 ? " — preferred" : ""}`)))

/** The tree of a decoded SPNEGO token. */
const spnegoTree = (bytes: Uint8Array, token: SpnegoToken.NegotiationToken): Tree => {
  const mic = (m: Uint8Array | undefined) => m === undefined ? [] : [node(`mechListMIC: ${m.length} bytes (not shown)`)]
  const flags = (f: number | undefined) =>
    f === undefined ? [] : [node(`reqFlags: ${SpnegoToken.contextFlagNames(f).join(", ") || "none"}`)]
  switch (token._tag) {
    case "NegTokenInit":
    case "NegTokenInit2":
      return node(`SPNEGO ${token._tag} (${bytes.length} bytes)`, [
        node(`mech: ${oidName(SpnegoToken.Mechanisms.SPNEGO)}`),
        ...(token.mechTypes !== undefined ? [mechList(token.mechTypes)] : []),
        ...flags(token.reqFlags),
        ...(token.mechToken !== undefined ? [mechTokenTree("mechToken", token.mechToken)] : []),
        ...(token._tag === "NegTokenInit2" && token.negHints?.hintName !== undefined
          ? [node(`negHints: ${JSON.stringify(token.negHints.hintName)}`)]
          : []),
        ...mic(token.mechListMIC)
      ])
    case "NegTokenResp":
      return node(`SPNEGO NegTokenResp (${bytes.length} bytes)`, [
        ...(token.negState !== undefined ? [node(`negState: ${SpnegoToken.negStateName(token.negState)}`)] : []),
        ...(token.supportedMech !== undefined ? [node(`supportedMech: ${oidName(token.supportedMech)}`)] : []),
        ...(token.responseToken !== undefined ? [mechTokenTree("responseToken", token.responseToken)] : []),
        ...mic(token.mechListMIC)
      ])
  }
}

/** Whether `bytes` looks like a GSS / SPNEGO token (DER, [APPLICATION 0] or NegTokenInit/Resp). */
export const isDerToken = (bytes: Uint8Array): boolean =>
  bytes.length > 2 && (bytes[0] === 0x60 || bytes[0] === 0xa0 || bytes[0] === 0xa1 || krbApplication(bytes[0]!)) &&
  Result.isSuccess(elements(bytes))

/** [APPLICATION n] constructed with n a Kerberos message (RFC 4120 5.10). */
const krbApplication = (b: number) => (b & 0xe0) === 0x60 && [1, 2, 10, 11, 12, 13, 14, 15, 22, 30].includes(b & 0x1f)

/** The tree of a SPNEGO or Kerberos token, else a generic DER outline. */
export const derTree = (bytes: Uint8Array): Result.Result<Tree, string> => {
  const spnego = SpnegoToken.detect(bytes) === "Spnego" ? SpnegoToken.decode(bytes) : undefined
  if (spnego !== undefined && Result.isSuccess(spnego)) return Result.succeed(spnegoTree(bytes, spnego.success))
  const krb = kerberosTree(bytes)
  if (krb !== undefined) return Result.succeed(krb)
  const message = krbMessageTree(bytes)
  if (message !== undefined) return Result.succeed(message)
  const all = elements(bytes)
  if (Result.isFailure(all) || all.success.length !== 1) return Result.fail("not a single DER element")
  const kind = bytes[0] === 0x60 ? "GSS-API InitialContextToken" : bytes[0] === 0xa0 ? "SPNEGO NegTokenInit" : bytes[0] === 0xa1 ? "SPNEGO NegTokenResp" : "DER"
  const why = spnego !== undefined && Result.isFailure(spnego) ? `, ${spnego.failure.detail ?? "not SPNEGO"}` : ""
  return Result.succeed(node(`${kind} (${bytes.length} bytes, generic DER outline${why})`, [elementTree(all.success[0]!, 0)]))
}
