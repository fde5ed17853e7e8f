/**
 * `sspi decode --password PW [--show-secrets]`: a KDC's AS-REP enc-part
 * decrypted with the client's long-term key (RFC 4120 section 3.1.5: key
 * usage 3), the key derived from the password by RFC 3961 string-to-key
 * (`Keytab.stringToKey` of the Kerberos package) with the salt and
 * s2kparams of a PA-ETYPE-INFO2 for the reply's enctype — the AS-REP's own
 * padata, else the last KRB-ERROR's METHOD-DATA or AS-REQ's padata in the
 * same input — and the realm+principal default salt otherwise (RFC 4120
 * section 4, of the reply's crealm and cname, as MIT's kinit). The
 * EncASRepPart is shown by name (session key by size unless
 * --show-secrets); the key and the plaintext are zeroed once shown.
 */
import { TagClass, type Tlv, UniversalTag } from "@effect-sspi/asn1"
import type { Keytab } from "@effect-sspi/kerberos"
import { Effect, type Redacted, Result } from "effect"
import { app, fields } from "./decodeDecrypt.ts"
import { elements, single } from "./derElements.ts"
import { enctypeName, ticketFlagBits } from "./kerberosNames.ts"
import { encKdcRepPartSpec, intOf, renderKrb } from "./krbSchema.ts"
import { node, type Tree } from "./tree.ts"

/** One PA-ETYPE-INFO2 entry (RFC 4120 section 5.2.7.5). */
export interface EtypeInfo2 {
  readonly etype: number
  readonly salt?: string | undefined
  readonly s2kparams?: Uint8Array | undefined
}

const text = (t: Tlv | undefined) => t === undefined ? undefined : Buffer.from(t.value).toString("utf8")

/** The ETYPE-INFO2 entries of a SEQUENCE OF PA-DATA (PA-ETYPE-INFO2 is padata-type 19). */
const etypeInfo2Of = (padata: Tlv | undefined): ReadonlyArray<EtypeInfo2> => {
  const list = padata === undefined || padata.tagNumber !== UniversalTag.Sequence ? undefined : elements(padata.value)
  for (const pa of list !== undefined && Result.isSuccess(list) ? list.success : []) {
    const f = fields(pa)
    const type = f.get(1) === undefined ? undefined : intOf(f.get(1)!)
    const value = f.get(2)
    if (type !== 19 || value === undefined || value.tagNumber !== UniversalTag.OctetString) continue
    const entries = single(value.value)
    const items = entries === undefined ? undefined : elements(entries.value)
    if (items === undefined || Result.isFailure(items)) return []
    return items.success.flatMap((e) => {
      const g = fields(e)
      const etype = g.get(0) === undefined ? undefined : intOf(g.get(0)!)
      return etype === undefined ? [] : [{ etype, salt: text(g.get(1)), s2kparams: g.get(2)?.value }]
    })
  }
  return []
}

/**
 * The ETYPE-INFO2 a token offers for a later AS-REP: a KRB-ERROR's
 * METHOD-DATA (e-data, RFC 4120 section 5.9.1) or an AS-REQ's padata;
 * undefined for other tokens.
 */
export const etypeInfoOf = (bytes: Uint8Array): ReadonlyArray<EtypeInfo2> | undefined => {
  const top = single(bytes)
  const krbError = app(top, 30)
  if (krbError !== undefined) {
    const eData = fields(krbError).get(12)
    const methods = eData === undefined || eData.tagNumber !== UniversalTag.OctetString ? undefined : single(eData.value)
    return etypeInfo2Of(methods)
  }
  const asReq = app(top, 10)
  return asReq === undefined ? undefined : etypeInfo2Of(fields(asReq).get(3))
}

/** Whether `bytes` is an AS-REP ([APPLICATION 11]). */
export const isAsRep = (bytes: Uint8Array): boolean => app(single(bytes), 11) !== undefined

/**
 * The AS-REP's enc-part decrypted with the password's key, as a tree; a
 * failure (one line for people) when it does not decrypt or is not an
 * EncASRepPart. `earlier`: the ETYPE-INFO2 of the KRB-ERROR or AS-REQ
 * before it in the input.
 */
export const decryptAsRep = (
  kerberos: Pick<typeof Keytab, "stringToKey" | "decrypt" | "defaultSalt">,
  bytes: Uint8Array,
  password: Redacted.Redacted<string>,
  earlier: ReadonlyArray<EtypeInfo2>,
  showSecrets: boolean
): Effect.Effect<Result.Result<Tree, string>> =>
  Effect.gen(function*() {
    const rep = fields(app(single(bytes), 11))
    const enc = fields(rep.get(6))
    const etype = enc.get(0) === undefined ? undefined : intOf(enc.get(0)!)
    const cipher = enc.get(2)?.value
    const crealm = text(rep.get(3))
    const cname = fields(rep.get(4))
    const components = cname.get(1) === undefined ? undefined : elements(cname.get(1)!.value)
    if (etype === undefined || cipher === undefined || crealm === undefined || components === undefined || Result.isFailure(components)) {
      return Result.fail("--password: the AS-REP has no enc-part, crealm or cname")
    }
    const principal = {
      realm: crealm,
      name: { nameType: cname.get(0) === undefined ? 1 : intOf(cname.get(0)!) ?? 1, components: components.success.map((c) => text(c)!) }
    }
    // RFC 4120 section 3.1.3: the KDC's PA-ETYPE-INFO2 for the reply's enctype names the salt; else the default salt
    const info = [...etypeInfo2Of(rep.get(2)), ...earlier].find((e) => e.etype === etype)
    const salt = info?.salt ?? kerberos.defaultSalt(principal)
    const saltSource = info?.salt !== undefined ? "PA-ETYPE-INFO2" : "default salt of the reply's client"
    const title = `decrypted with the password (${enctypeName(etype)}, salt ${JSON.stringify(salt)} from the ${saltSource}${info?.s2kparams !== undefined ? `, s2kparams ${Buffer.from(info.s2kparams).toString("hex")}` : ""})`
    const key = yield* Effect.result(kerberos.stringToKey(etype, password, salt, info?.s2kparams))
    if (Result.isFailure(key)) return Result.fail(`--password: no key for the AS-REP: ${key.failure.detail ?? key.failure._tag}`)
    // RFC 4120 section 3.1.5: the enc-part is encrypted with the client's key, key usage 3; its integrity check says whether the password is right
    const plain = kerberos.decrypt({ keytype: etype, keyvalue: key.success }, 3, cipher)
    key.success.fill(0)
    if (Result.isFailure(plain)) {
      return Result.fail(`--password: the AS-REP's enc-part does not decrypt with the password (KRB_AP_ERR_BAD_INTEGRITY: wrong password, or salt ${JSON.stringify(salt)} is not the account's)`)
    }
    try {
      const part = single(plain.success)
      // RFC 4120 section 5.4.2: EncASRepPart is [APPLICATION 25]; "some implementations unconditionally send an encrypted EncTGSRepPart" (26)
      const tag = part !== undefined && part.tagClass === TagClass.Application ? part.tagNumber : undefined
      const inner = tag === 25 || tag === 26 ? single(part!.value) : undefined
      if (inner === undefined) return Result.fail("--password: the AS-REP's enc-part decrypts but is not an EncASRepPart")
      return Result.succeed(node(title, [renderKrb(tag === 25 ? "enc-part (EncASRepPart)" : "enc-part (EncTGSRepPart: [APPLICATION 26], as MIT sends in an AS-REP)", inner, encKdcRepPartSpec(showSecrets))]))
    } finally {
      plain.success.fill(0)
    }
  })
