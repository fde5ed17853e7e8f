/**
 * The small RFC 4120 types every message uses: PrincipalName, EncryptionKey,
 * EncryptedData, Checksum, and the principal "name/inst@REALM" syntax.
 *
 * @since 0.1.0
 */
import * as Der from "../asn1/der.ts"
import { copyBytes } from "../bytes.ts"

/** Name types (RFC 4120 section 6.2). */
export const NameType = { UNKNOWN: 0, PRINCIPAL: 1, SRV_INST: 2, SRV_HST: 3, ENTERPRISE: 10 } as const

/** PrincipalName. */
export interface PrincipalName {
  readonly nameType: number
  readonly components: ReadonlyArray<string>
}

/** EncryptionKey. `keyvalue` is secret: callers zero it when done. */
export interface EncryptionKey {
  readonly keytype: number
  readonly keyvalue: Uint8Array
}

/** EncryptedData. */
export interface EncryptedData {
  readonly etype: number
  readonly kvno?: number | undefined
  readonly cipher: Uint8Array
}

/** Checksum. */
export interface Checksum {
  readonly cksumtype: number
  readonly checksum: Uint8Array
}

/** A principal with its realm. */
export interface Principal {
  readonly name: PrincipalName
  readonly realm: string
}

export const encodePrincipalName = (p: PrincipalName): Der.W =>
  Der.sequence(
    Der.explicit(0, Der.integer(p.nameType)),
    Der.explicit(1, Der.sequence(...p.components.map(Der.generalString)))
  )

export const readPrincipalName = (node: Der.Node): PrincipalName => {
  const f = Der.fields(node, "PrincipalName")
  return {
    nameType: Der.readInteger(Der.need(f, 0, "PrincipalName")),
    components: Der.readSequenceOf(Der.need(f, 1, "PrincipalName"), Der.readString)
  }
}

export const encodeEncryptionKey = (k: EncryptionKey): Der.W =>
  Der.sequence(Der.explicit(0, Der.integer(k.keytype)), Der.explicit(1, Der.octets(k.keyvalue)))

export const readEncryptionKey = (node: Der.Node): EncryptionKey => {
  const f = Der.fields(node, "EncryptionKey")
  return {
    keytype: Der.readInteger(Der.need(f, 0, "EncryptionKey")),
    keyvalue: copyBytes(Der.readOctets(Der.need(f, 1, "EncryptionKey")))
  }
}

export const encodeEncryptedData = (e: EncryptedData): Der.W =>
  Der.sequence(
    Der.explicit(0, Der.integer(e.etype)),
    Der.explicit(1, e.kvno === undefined ? undefined : Der.integer(e.kvno)),
    Der.explicit(2, Der.octets(e.cipher))
  )

export const readEncryptedData = (node: Der.Node): EncryptedData => {
  const f = Der.fields(node, "EncryptedData")
  return {
    etype: Der.readInteger(Der.need(f, 0, "EncryptedData")),
    kvno: Der.opt(f, 1, Der.readUInt32),
    cipher: Der.readOctets(Der.need(f, 2, "EncryptedData"))
  }
}

export const encodeChecksum = (c: Checksum): Der.W =>
  Der.sequence(Der.explicit(0, Der.integer(c.cksumtype)), Der.explicit(1, Der.octets(c.checksum)))

export const readChecksum = (node: Der.Node): Checksum => {
  const f = Der.fields(node, "Checksum")
  return {
    cksumtype: Der.readInteger(Der.need(f, 0, "Checksum")),
    checksum: copyBytes(Der.readOctets(Der.need(f, 1, "Checksum")))
  }
}

/** "a/b@REALM" → components and realm (no realm → `defaultRealm`); `\` escapes. */
export const parsePrincipal = (text: string, defaultRealm: string, nameType: number = NameType.PRINCIPAL): Principal => {
  const components: Array<string> = []
  let current = ""
  let realm: string | undefined
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === "\\" && i + 1 < text.length) current += text[++i]
    else if (ch === "/" && realm === undefined) {
      components.push(current)
      current = ""
    } else if (ch === "@" && realm === undefined) {
      components.push(current)
      current = ""
      realm = ""
    } else if (realm !== undefined) realm += ch
    else current += ch
  }
  if (realm === undefined) components.push(current)
  return { name: { nameType, components }, realm: realm === undefined || realm === "" ? defaultRealm : realm }
}

/**
 * A client name as MIT's `krb5_parse_name` with KRB5_PRINCIPAL_PARSE_ENTERPRISE
 * (`kinit -E`) and as Windows takes a UPN: an enterprise name (RFC 6806
 * section 5, name type 10) is one component, everything before the last
 * unescaped '@' ("alice@corp.test@CORP.TEST" → "alice@corp.test" in
 * CORP.TEST). A name with two unescaped '@' is enterprise by itself;
 * `enterprise: true` makes "alice@corp.test" one too (the whole string is the
 * name, the realm is the default realm).
 */
export const parseClientPrincipal = (text: string, defaultRealm: string, enterprise = false): Principal => {
  let last = -1
  let count = 0
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++
    else if (text[i] === "@") {
      last = i
      count++
    }
  }
  if (!enterprise && count < 2) return parsePrincipal(text, defaultRealm)
  const unescape = (t: string) => t.replace(/\\(.)/g, "$1")
  const [name, realm] = enterprise && count < 2 ? [text, ""] : [text.slice(0, last), text.slice(last + 1)]
  return { name: { nameType: NameType.ENTERPRISE, components: [unescape(name)] }, realm: realm === "" ? defaultRealm : unescape(realm) }
}

/** "a/b@REALM". */
export const formatPrincipal = (p: Principal): string => `${p.name.components.join("/")}@${p.realm}`

/** Whether two names have the same components (name types are not compared, as MIT does). */
export const sameName = (a: PrincipalName, b: PrincipalName): boolean =>
  a.components.length === b.components.length && a.components.every((c, i) => c === b.components[i])
