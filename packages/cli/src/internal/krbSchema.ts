/**
 * RFC 4120 section 5 messages as field tables: each SEQUENCE's context tags
 * with the field's name and how to show its value (names of name types,
 * enctypes, flags, options, error codes, padata types; times as ISO 8601;
 * ciphertexts by size). `renderKrb` walks DER elements with them; a field
 * that does not match its table is shown as found, never a throw.
 */
import { TagClass, type Tlv, UniversalTag } from "@effect-sspi/asn1"
import { Result } from "effect"
import { elements, single } from "./derElements.ts"
import {
  adTypes,
  apOptionBits,
  enctypeLabel,
  errorCodes,
  flagBitNames,
  kdcOptionBits,
  messageTypes,
  named,
  nameTypes,
  paDataTypes,
  ticketFlagBits
} from "./kerberosNames.ts"
import { hex, node, type Tree } from "./tree.ts"

/** How a value is shown. */
export type Spec =
  | { readonly t: "int"; readonly names?: Readonly<Record<number, string>> | ((n: number) => string) }
  | { readonly t: "str" }
  | { readonly t: "time" }
  | { readonly t: "bool" }
  | { readonly t: "flags"; readonly bits: Readonly<Record<number, string>> }
  | { readonly t: "bytes"; readonly show: "size" | "hex" | "text" }
  | { readonly t: "der"; readonly spec: Spec }
  | { readonly t: "seq"; readonly fields: ReadonlyArray<readonly [number, string, Spec]> }
  | { readonly t: "seqOf"; readonly item: string; readonly spec: Spec }
  | { readonly t: "app"; readonly n: number; readonly spec: Spec }
  | { readonly t: "fn"; readonly render: (label: string, tlv: Tlv) => Tree }

const isUniversal = (t: Tlv, n: number) => t.tagClass === TagClass.Universal && t.tagNumber === n

/** A DER INTEGER of up to 6 octets (two's complement), else undefined. */
export const intOf = (t: Tlv): number | undefined => {
  const v = t.value
  if (v.length === 0 || v.length > 6) return undefined
  let n = 0
  for (const b of v) n = n * 256 + b
  return v[0]! & 0x80 ? n - 256 ** v.length : n
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

/** KerberosTime "YYYYMMDDHHMMSSZ" → ISO 8601. */
const timeOf = (s: string) => {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
  return m === null ? JSON.stringify(s) : `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`
}

/** The first 32 bits of a BIT STRING (KerberosFlags). */
const flagsOf = (t: Tlv): number | undefined => {
  const v = t.value
  if (v.length < 1 || v[0]! > 7) return undefined
  let n = 0
  for (let i = 0; i < 4; i++) n = n * 256 + (v[1 + i] ?? 0)
  return n
}

const unexpected = (label: string, t: Tlv, want: string): Tree =>
  node(`${label}: expected ${want}, found tag ${t.tagClass}/${t.tagNumber} (${t.value.length} bytes)`)

const bytesLabel = (label: string, b: Uint8Array, show: "size" | "hex" | "text") =>
  show === "size"
    ? `${label}: ${b.length} bytes`
    : show === "text"
    ? `${label}: ${JSON.stringify(text(b))}`
    : `${label}: ${b.length === 0 ? "(empty)" : b.length > 96 ? `${hex(b.subarray(0, 96))}… (${b.length} bytes)` : hex(b)}`

/** Shows one element with its spec. */
export const renderKrb = (label: string, t: Tlv, spec: Spec, depth = 0): Tree => {
  if (depth > 24) return node(`${label}: (too deep)`)
  switch (spec.t) {
    case "int": {
      const n = isUniversal(t, UniversalTag.Integer) ? intOf(t) : undefined
      if (n === undefined) return unexpected(label, t, "INTEGER")
      const names = spec.names
      return node(`${label}: ${names === undefined ? n : typeof names === "function" ? names(n) : named(names, n)}`)
    }
    case "str":
      return isUniversal(t, UniversalTag.GeneralString) || isUniversal(t, UniversalTag.Utf8String) || isUniversal(t, 19) ||
          isUniversal(t, UniversalTag.Ia5String)
        ? node(`${label}: ${text(t.value)}`)
        : unexpected(label, t, "KerberosString")
    case "time":
      return isUniversal(t, UniversalTag.GeneralizedTime) ? node(`${label}: ${timeOf(text(t.value))}`) : unexpected(label, t, "KerberosTime")
    case "bool":
      return isUniversal(t, UniversalTag.Boolean) ? node(`${label}: ${t.value[0] !== 0}`) : unexpected(label, t, "BOOLEAN")
    case "flags": {
      const n = isUniversal(t, UniversalTag.BitString) ? flagsOf(t) : undefined
      if (n === undefined) return unexpected(label, t, "KerberosFlags")
      const names = flagBitNames(spec.bits, n)
      return node(`${label}: 0x${n.toString(16).padStart(8, "0")}${names.length === 0 ? "" : ` (${names.join(", ")})`}`)
    }
    case "bytes":
      return isUniversal(t, UniversalTag.OctetString) ? node(bytesLabel(label, t.value, spec.show)) : unexpected(label, t, "OCTET STRING")
    case "der": {
      if (!isUniversal(t, UniversalTag.OctetString)) return unexpected(label, t, "OCTET STRING")
      const inner = single(t.value)
      return inner === undefined ? node(bytesLabel(label, t.value, "hex")) : renderKrb(label, inner, spec.spec, depth + 1)
    }
    case "app": {
      if (t.tagClass !== TagClass.Application || t.tagNumber !== spec.n) return unexpected(label, t, `[APPLICATION ${spec.n}]`)
      const inner = single(t.value)
      return inner === undefined ? node(`${label}: malformed`) : renderKrb(label, inner, spec.spec, depth + 1)
    }
    case "seqOf": {
      const items = isUniversal(t, UniversalTag.Sequence) ? elements(t.value) : undefined
      if (items === undefined || Result.isFailure(items)) return unexpected(label, t, "SEQUENCE OF")
      return node(`${label} (${items.success.length})`, items.success.map((x) => renderKrb(spec.item, x, spec.spec, depth + 1)))
    }
    case "seq": {
      const items = isUniversal(t, UniversalTag.Sequence) ? elements(t.value) : undefined
      if (items === undefined || Result.isFailure(items)) return unexpected(label, t, "SEQUENCE")
      return node(label, items.success.map((x) => {
        const field = spec.fields.find(([n]) => n === x.tagNumber)
        const inner = x.tagClass === TagClass.Context ? single(x.value) : undefined
        if (field === undefined || inner === undefined) return node(`[${x.tagNumber}]: ${x.value.length} bytes`)
        return renderKrb(field[1], inner, field[2], depth + 1)
      }))
    }
    case "fn":
      return spec.render(label, t)
  }
}

const int: Spec = { t: "int" }
const str: Spec = { t: "str" }
const time: Spec = { t: "time" }
const seq = (...fields: ReadonlyArray<readonly [number, string, Spec]>): Spec => ({ t: "seq", fields })
const seqOf = (item: string, spec: Spec): Spec => ({ t: "seqOf", item, spec })
const app = (n: number, spec: Spec): Spec => ({ t: "app", n, spec })

/** PrincipalName: `a/b` with its name type. */
const principalName: Spec = {
  t: "fn",
  render: (label, t) => {
    const items = isUniversal(t, UniversalTag.Sequence) ? elements(t.value) : undefined
    if (items === undefined || Result.isFailure(items)) return unexpected(label, t, "PrincipalName")
    const typeTlv = items.success.find((x) => x.tagNumber === 0)
    const type = typeTlv === undefined ? undefined : single(typeTlv.value)
    const namesTlv = items.success.find((x) => x.tagNumber === 1)
    const list = namesTlv === undefined ? undefined : single(namesTlv.value)
    const parts = list === undefined ? undefined : elements(list.value)
    const components = parts === undefined || Result.isFailure(parts) ? [] : parts.success.map((p) => text(p.value))
    const n = type === undefined ? undefined : intOf(type)
    return node(`${label}: ${components.join("/")}`, [
      node(`name-type: ${n === undefined ? "?" : named(nameTypes, n)}`),
      node(`name-string: ${JSON.stringify(components)}`)
    ])
  }
}

const etype: Spec = { t: "int", names: enctypeLabel }
const encryptedData = seq([0, "etype", etype], [1, "kvno", int], [2, "cipher", { t: "bytes", show: "size" }])
const ticket = app(1, seq([0, "tkt-vno", int], [1, "realm", str], [2, "sname", principalName], [3, "enc-part", encryptedData]))
const hostAddress = seq([0, "addr-type", { t: "int", names: { 2: "IPv4", 12: "DECnet", 20: "NetBIOS", 24: "IPv6" } }], [1, "address", { t: "bytes", show: "hex" }])
const checksum = seq([0, "cksumtype", { t: "int", names: (n) => named({ 15: "HMAC_SHA1_96_AES128", 16: "HMAC_SHA1_96_AES256", 19: "HMAC_SHA256_128_AES128", 20: "HMAC_SHA384_192_AES256", [-138]: "HMAC_MD5", 32771: "GSS_CHECKSUM" }, n) }], [1, "checksum", { t: "bytes", show: "size" }])
const authorizationData = seqOf("AuthorizationData entry", seq([0, "ad-type", { t: "int", names: adTypes }], [1, "ad-data", { t: "bytes", show: "size" }]))
const etypeInfo2 = seqOf("ETYPE-INFO2-ENTRY", seq([0, "etype", etype], [1, "salt", str], [2, "s2kparams", { t: "bytes", show: "hex" }]))
const etypeInfo = seqOf("ETYPE-INFO-ENTRY", seq([0, "etype", etype], [1, "salt", { t: "bytes", show: "text" }]))

const apOptions: Spec = { t: "flags", bits: apOptionBits }
const msgType: Spec = { t: "int", names: messageTypes }

/** AP-REQ (RFC 4120 5.5.1). */
export const apReq: Spec = app(14, seq([0, "pvno", int], [1, "msg-type", msgType], [2, "ap-options", apOptions], [3, "ticket", ticket], [4, "authenticator", encryptedData]))

/** PA-FX-FAST (RFC 6113 5.4.2): a request's KrbFastArmoredReq or a reply's KrbFastArmoredRep, inside the [0] choice. */
const fastRequest = seq(
  [0, "armor", seq([0, "armor-type", { t: "int", names: { 1: "FX_FAST_ARMOR_AP_REQUEST" } }], [1, "armor-value", { t: "bytes", show: "size" }])],
  [1, "req-checksum", checksum],
  [2, "enc-fast-req", encryptedData]
)
const fastReply = seq([0, "enc-fast-rep", encryptedData])
const fxFast: Spec = {
  t: "fn",
  render: (label, t) => {
    const choice = isUniversal(t, UniversalTag.OctetString) ? single(t.value) : undefined
    const armored = choice !== undefined && choice.tagClass === TagClass.Context && choice.tagNumber === 0 ? single(choice.value) : undefined
    const fields = armored === undefined ? undefined : elements(armored.value)
    if (armored === undefined || fields === undefined || Result.isFailure(fields)) return renderKrb(label, t, { t: "bytes", show: "hex" })
    return fields.success.length > 1
      ? renderKrb(`${label} (KrbFastArmoredReq)`, armored, fastRequest)
      : renderKrb(`${label} (KrbFastArmoredRep)`, armored, fastReply)
  }
}

/** PA-DATA: the value decoded by its type. */
const paData: Spec = {
  t: "fn",
  render: (label, t) => {
    const items = isUniversal(t, UniversalTag.Sequence) ? elements(t.value) : undefined
    if (items === undefined || Result.isFailure(items)) return unexpected(label, t, "PA-DATA")
    const typeTlv = single(items.success.find((x) => x.tagNumber === 1)?.value ?? new Uint8Array())
    const valueTlv = single(items.success.find((x) => x.tagNumber === 2)?.value ?? new Uint8Array())
    const type = typeTlv === undefined ? undefined : intOf(typeTlv)
    const valueSpec: Spec = type === 2 || type === 138
      ? { t: "der", spec: encryptedData }
      : type === 1
      ? { t: "der", spec: apReq }
      : type === 19
      ? { t: "der", spec: etypeInfo2 }
      : type === 11
      ? { t: "der", spec: etypeInfo }
      : type === 128
      ? { t: "der", spec: seq([0, "include-pac", { t: "bool" }]) }
      : type === 3
      ? { t: "bytes", show: "text" }
      : type === 136 && valueTlv !== undefined && valueTlv.value.length > 0
      ? fxFast
      : { t: "bytes", show: "hex" }
    return node(`${label}: ${type === undefined ? "?" : named(paDataTypes, type)}`, valueTlv === undefined ? [] : [renderKrb("padata-value", valueTlv, valueSpec)])
  }
}
const padata = seqOf("PA-DATA", paData)

const reqBody = seq(
  [0, "kdc-options", { t: "flags", bits: kdcOptionBits }],
  [1, "cname", principalName],
  [2, "realm", str],
  [3, "sname", principalName],
  [4, "from", time],
  [5, "till", time],
  [6, "rtime", time],
  [7, "nonce", int],
  [8, "etype", seqOf("etype", etype)],
  [9, "addresses", seqOf("HostAddress", hostAddress)],
  [10, "enc-authorization-data", encryptedData],
  [11, "additional-tickets", seqOf("Ticket", ticket)]
)
const kdcReq = (n: number) => app(n, seq([1, "pvno", int], [2, "msg-type", msgType], [3, "padata", padata], [4, "req-body", reqBody]))
const kdcRep = (n: number) =>
  app(n, seq([0, "pvno", int], [1, "msg-type", msgType], [2, "padata", padata], [3, "crealm", str], [4, "cname", principalName], [5, "ticket", ticket], [6, "enc-part", encryptedData]))

const krbError = app(30, seq(
  [0, "pvno", int],
  [1, "msg-type", msgType],
  [2, "ctime", time],
  [3, "cusec", int],
  [4, "stime", time],
  [5, "susec", int],
  [6, "error-code", { t: "int", names: errorCodes }],
  [7, "crealm", str],
  [8, "cname", principalName],
  [9, "realm", str],
  [10, "sname", principalName],
  [11, "e-text", str],
  [12, "e-data", {
    t: "fn",
    render: (label, t) => {
      // usually METHOD-DATA (a SEQUENCE OF PA-DATA, RFC 4120 5.9.1), else shown as bytes
      const inner = isUniversal(t, UniversalTag.OctetString) ? single(t.value) : undefined
      return inner !== undefined && isUniversal(inner, UniversalTag.Sequence) && inner.value[0] === 0x30
        ? renderKrb(`${label} (METHOD-DATA)`, inner, padata)
        : renderKrb(label, t, { t: "bytes", show: "hex" })
    }
  }]
))

/** EncryptionKey (RFC 4120 5.2.9): the key bytes only with --show-secrets. */
const encryptionKey = (showSecrets: boolean): Spec =>
  seq([0, "keytype", etype], [1, "keyvalue", { t: "bytes", show: showSecrets ? "hex" : "size" }])

/** Authenticator (RFC 4120 5.5.1), once decrypted. */
export const authenticatorSpec = (showSecrets: boolean): Spec =>
  app(2, seq(
    [0, "authenticator-vno", int],
    [1, "crealm", str],
    [2, "cname", principalName],
    [3, "cksum", checksum],
    [4, "cusec", int],
    [5, "ctime", time],
    [6, "subkey", encryptionKey(showSecrets)],
    [7, "seq-number", int],
    [8, "authorization-data", authorizationData]
  ))

/** EncTicketPart (RFC 4120 5.3), once decrypted. */
export const encTicketPartSpec = (showSecrets: boolean): Spec =>
  app(3, seq(
    [0, "flags", { t: "flags", bits: ticketFlagBits }],
    [1, "key", encryptionKey(showSecrets)],
    [2, "crealm", str],
    [3, "cname", principalName],
    [4, "transited", seq([0, "tr-type", int], [1, "contents", { t: "bytes", show: "hex" }])],
    [5, "authtime", time],
    [6, "starttime", time],
    [7, "endtime", time],
    [8, "renew-till", time],
    [9, "caddr", seqOf("HostAddress", hostAddress)],
    [10, "authorization-data", authorizationData]
  ))

/** LastReq lr-type (RFC 4120 section 5.4.2; negative: this KDC only). */
const lastReqTypes: Readonly<Record<number, string>> = {
  0: "none",
  1: "last initial TGT request",
  2: "last initial request",
  3: "newest TGT used",
  4: "last renewal",
  5: "last request",
  6: "password expires",
  7: "account expires"
}

/** EncKDCRepPart (RFC 4120 5.4.2; encrypted-pa-data [12] RFC 6806 11), once decrypted (the [APPLICATION 25/26] unwrapped). */
export const encKdcRepPartSpec = (showSecrets: boolean): Spec =>
  seq(
    [0, "key", encryptionKey(showSecrets)],
    [1, "last-req", seqOf("LastReq entry", seq(
      [0, "lr-type", { t: "int", names: (n) => `${lastReqTypes[Math.abs(n)] ?? "unknown"} (${n})` }],
      [1, "lr-value", time]
    ))],
    [2, "nonce", int],
    [3, "key-expiration", time],
    [4, "flags", { t: "flags", bits: ticketFlagBits }],
    [5, "authtime", time],
    [6, "starttime", time],
    [7, "endtime", time],
    [8, "renew-till", time],
    [9, "srealm", str],
    [10, "sname", principalName],
    [11, "caddr", seqOf("HostAddress", hostAddress)],
    [12, "encrypted-pa-data", padata]
  )

/** The Kerberos messages by application tag, with their titles (RFC 4120 5.10). */
export const krbMessages: Readonly<Record<number, readonly [string, Spec]>> = {
  1: ["Ticket", ticket],
  2: ["Authenticator", authenticatorSpec(false)],
  3: ["EncTicketPart", encTicketPartSpec(false)],
  10: ["AS-REQ", kdcReq(10)],
  11: ["AS-REP", kdcRep(11)],
  12: ["TGS-REQ", kdcReq(12)],
  13: ["TGS-REP", kdcRep(13)],
  14: ["AP-REQ", apReq],
  15: ["AP-REP", app(15, seq([0, "pvno", int], [1, "msg-type", msgType], [2, "enc-part", encryptedData]))],
  22: ["KRB-CRED", app(22, seq([0, "pvno", int], [1, "msg-type", msgType], [2, "tickets", seqOf("Ticket", ticket)], [3, "enc-part", encryptedData]))],
  30: ["KRB-ERROR", krbError]
}

/** A Kerberos message (by its application tag) with named fields, or undefined if it is not one. */
export const krbMessageTree = (bytes: Uint8Array): Tree | undefined => {
  const t = single(bytes)
  if (t === undefined || t.tagClass !== TagClass.Application) return undefined
  const entry = krbMessages[t.tagNumber]
  if (entry === undefined) return undefined
  const tree = renderKrb(entry[0], t, entry[1])
  return { ...tree, label: `Kerberos ${entry[0]} (${bytes.length} bytes)` }
}
