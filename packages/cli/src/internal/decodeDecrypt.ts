/**
 * `sspi decode --keytab FILE [--show-secrets]`: the AP-REQ of a token
 * (raw, in a GSS token, in SPNEGO's mechToken, or in a TGS-REQ's
 * PA-TGS-REQ) decrypted: the ticket's EncTicketPart with the service key
 * (key usage 2, RFC 4120 7.5.1), then the authenticator with the ticket's
 * session key (key usage 11). Keys are shown by size unless --show-secrets;
 * every plaintext is zeroed once shown.
 */
import { TagClass, type Tlv, UniversalTag } from "@effect-sspi/asn1"
import type { Keytab } from "@effect-sspi/kerberos"
import { SpnegoToken } from "@effect-sspi/negotiate"
import { Result } from "effect"
import { elements, single } from "./derElements.ts"
import { enctypeName } from "./kerberosNames.ts"
import { authenticatorSpec, encTicketPartSpec, intOf, renderKrb } from "./krbSchema.ts"
import { node, type Tree } from "./tree.ts"

/** The context fields of a SEQUENCE (explicit tags → their single inner element). */
export const fields = (t: Tlv | undefined): Map<number, Tlv> => {
  const out = new Map<number, Tlv>()
  if (t === undefined || t.tagClass !== TagClass.Universal || t.tagNumber !== UniversalTag.Sequence) return out
  const items = elements(t.value)
  if (Result.isFailure(items)) return out
  for (const x of items.success) {
    const inner = x.tagClass === TagClass.Context ? single(x.value) : undefined
    if (inner !== undefined) out.set(x.tagNumber, inner)
  }
  return out
}

/** The element inside [APPLICATION n], if `t` is one. */
export const app = (t: Tlv | undefined, n: number): Tlv | undefined =>
  t !== undefined && t.tagClass === TagClass.Application && t.tagNumber === n ? single(t.value) : undefined

/** The AP-REQ element in a token, if there is one. */
export const findApReq = (bytes: Uint8Array, depth = 0): Tlv | undefined => {
  if (depth > 4) return undefined
  const top = single(bytes)
  if (top === undefined) return undefined
  if (top.tagClass === TagClass.Application && top.tagNumber === 14) return top
  if (top.tagClass === TagClass.Application && top.tagNumber === 12) {
    // TGS-REQ: padata [3] PA-TGS-REQ (1) holds the AP-REQ (RFC 4120 5.4.1)
    const padata = fields(app(top, 12)).get(3)
    const list = padata === undefined ? undefined : elements(padata.value)
    for (const pa of list !== undefined && Result.isSuccess(list) ? list.success : []) {
      const f = fields(pa)
      if (f.get(1) !== undefined && intOf(f.get(1)!) === 1 && f.get(2) !== undefined) return findApReq(f.get(2)!.value, depth + 1)
    }
    return undefined
  }
  if (SpnegoToken.detect(bytes) === "Spnego") {
    const t = SpnegoToken.decode(bytes)
    return Result.isSuccess(t) && t.success._tag !== "NegTokenResp" && t.success.mechToken !== undefined
      ? findApReq(t.success.mechToken, depth + 1)
      : undefined
  }
  if (bytes[0] === 0x60) {
    // GSS InitialContextToken: OID, TOK_ID 01 00, AP-REQ (RFC 4121 4.1)
    const inner = top.value
    const oidLength = inner[1] ?? 0
    const rest = inner.subarray(2 + oidLength)
    return rest[0] === 0x01 && rest[1] === 0x00 ? findApReq(rest.subarray(2), depth + 1) : undefined
  }
  return undefined
}

const encrypted = (t: Tlv | undefined) => {
  const f = fields(t)
  const etype = f.get(0) === undefined ? undefined : intOf(f.get(0)!)
  const kvno = f.get(1) === undefined ? undefined : intOf(f.get(1)!)
  const cipher = f.get(2)?.value
  return etype === undefined || cipher === undefined ? undefined : { etype, kvno, cipher }
}

/** The decrypted ticket and authenticator of `apReq`, as a tree. */
export const decryptApReq = (
  decrypt: typeof Keytab.decrypt,
  apReq: Tlv,
  keys: ReadonlyArray<Keytab.Entry>,
  showSecrets: boolean
): Tree => {
  const title = "decrypted with the keytab"
  const f = fields(single(apReq.value))
  const ticketFields = fields(app(f.get(3), 1))
  const ticketEnc = encrypted(ticketFields.get(3))
  const authEnc = encrypted(f.get(4))
  if (ticketEnc === undefined || authEnc === undefined) return node(`${title}: not an AP-REQ with a ticket`)
  const candidates = keys.filter((k) => k.enctype === ticketEnc.etype && (ticketEnc.kvno === undefined || k.kvno === ticketEnc.kvno))
  if (candidates.length === 0) {
    return node(`${title}: no ${enctypeName(ticketEnc.etype)} key with kvno ${ticketEnc.kvno ?? "?"} in the keytab`)
  }
  let plain: Uint8Array | undefined
  let reason = ""
  for (const k of candidates) {
    const r = decrypt({ keytype: k.enctype, keyvalue: k.key }, 2, ticketEnc.cipher)
    if (Result.isSuccess(r)) {
      plain = r.success
      break
    }
    reason = r.failure
  }
  if (plain === undefined) return node(`${title}: the ticket does not decrypt (${reason})`)
  const children: Array<Tree> = []
  try {
    const part = single(plain)
    if (part === undefined) return node(`${title}: the ticket's plaintext is not DER`)
    children.push(renderKrb("ticket enc-part (EncTicketPart)", part, encTicketPartSpec(showSecrets)))
    const key = fields(fields(single(part.value)).get(1))
    const keytype = key.get(0) === undefined ? undefined : intOf(key.get(0)!)
    const keyvalue = key.get(1)?.value
    if (keytype !== undefined && keyvalue !== undefined) {
      const auth = decrypt({ keytype, keyvalue }, 11, authEnc.cipher)
      if (Result.isSuccess(auth)) {
        const a = single(auth.success)
        children.push(a === undefined ? node("authenticator: not DER") : renderKrb("authenticator (Authenticator)", a, authenticatorSpec(showSecrets)))
        auth.success.fill(0)
      } else {
        children.push(node(`authenticator: ${auth.failure}`))
      }
    }
  } finally {
    plain.fill(0)
  }
  return node(title, children)
}
