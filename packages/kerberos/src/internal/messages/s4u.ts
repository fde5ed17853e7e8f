/**
 * S4U2Self's PA-FOR-USER (MS-SFU section 2.2.1): the user a service asks a
 * ticket to itself for, with a keyed checksum over the name; PA-S4U-X509-USER
 * (section 2.2.2), the same user bound to the request's nonce, which a KDC
 * that knows it echoes, signed, in its reply; PA-PAC-OPTIONS (MS-KILE 2.2.10).
 *
 * @since 0.2.0
 */
import { createHash, createHmac } from "node:crypto"
import * as Der from "../asn1/der.ts"
import { copyBytes } from "../bytes.ts"
import {
  type Checksum,
  encodeChecksum,
  encodePrincipalName,
  type EncryptionKey,
  type Principal,
  type PrincipalName,
  readChecksum,
  readPrincipalName
} from "./common.ts"

/** PA-DATA type of PA-FOR-USER (MS-SFU 2.2.1). */
export const PA_FOR_USER = 129
/** KERB_CHECKSUM_HMAC_MD5, RFC 4757 section 4, keyed with any key (MS-SFU 2.2.1). */
export const HMAC_MD5 = -138
/** The key usage of the PA-FOR-USER checksum (MS-SFU 2.2.1). */
export const FOR_USER_USAGE = 17

const hmacMd5 = (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac("md5", key).update(data).digest())

/** RFC 4757 section 4 HMAC-MD5 checksum (Ksign = HMAC(key, "signaturekey\0")), for a key of any length. */
export const hmacMd5Checksum = (key: Uint8Array, usage: number, data: Uint8Array): Uint8Array => {
  const ksign = hmacMd5(key, new TextEncoder().encode("signaturekey\0"))
  const usageBytes = new Uint8Array(4)
  new DataView(usageBytes.buffer).setUint32(0, usage, true)
  const digest = new Uint8Array(createHash("md5").update(usageBytes).update(data).digest())
  return hmacMd5(ksign, digest)
}

/** S4UByteArray (MS-SFU 2.2.1): name-type (4 bytes, little-endian), the name strings, the realm, the auth-package. */
export const s4uByteArray = (user: Principal, authPackage: string): Uint8Array => {
  const text = new TextEncoder().encode(user.name.components.join("") + user.realm + authPackage)
  const out = new Uint8Array(4 + text.length)
  new DataView(out.buffer).setInt32(0, user.name.nameType, true)
  out.set(text, 4)
  return out
}

/** PA-FOR-USER ::= SEQUENCE { userName [0], userRealm [1], cksum [2], auth-package [3] }, checksummed with the TGT session key. */
export const encodePaForUser = (user: Principal, tgtKey: EncryptionKey): Uint8Array =>
  Der.encode(Der.sequence(
    Der.explicit(0, encodePrincipalName(user.name)),
    Der.explicit(1, Der.generalString(user.realm)),
    Der.explicit(2, encodeChecksum({ cksumtype: HMAC_MD5, checksum: hmacMd5Checksum(tgtKey.keyvalue, FOR_USER_USAGE, s4uByteArray(user, "Kerberos")) })),
    Der.explicit(3, Der.generalString("Kerberos"))
  ))

/** PA-DATA type of PA-PAC-OPTIONS (MS-KILE 2.2.10). */
export const PA_PAC_OPTIONS = 167
/** PAC-OPTIONS-FLAGS bit 3, resource-based-constrained-delegation (MS-KILE 2.2.10; MS-SFU 3.1.5.2.1). */
export const PAC_OPTIONS_RBCD = 0x10000000

/** PA-PAC-OPTIONS ::= SEQUENCE { KerberosFlags [0] }. */
export const encodePaPacOptions = (flags: number): Uint8Array => Der.encode(Der.sequence(Der.explicit(0, Der.flags32(flags))))

/** PA-DATA type of PA-S4U-X509-USER (MS-SFU 2.2.2). */
export const PA_S4U_X509_USER = 130
/** S4UUserID options (MS-SFU 2.2.2): the KDC checks the user's logon hours. */
export const S4U_OPTS_CHECK_LOGON_HOURS = 0x40000000
/**
 * S4UUserID options (MS-SFU 2.2.2, "signed-with-kun-27"; MIT's
 * KRB5_S4U_OPTS_USE_REPLY_KEY_USAGE): in a request, asks the KDC to sign its
 * reply's PA-S4U-X509-USER with key usage 27; in a reply, says it did.
 */
export const S4U_OPTS_USE_REPLY_KEY_USAGE = 0x20000000
/** Key usage of the request's PA-S4U-X509-USER checksum (MS-SFU 2.2.2; RFC 4120 7.5.1's registry). */
export const S4U_X509_USER_REQUEST_USAGE = 26
/** Key usage of the reply's PA-S4U-X509-USER checksum when signed-with-kun-27 (MS-SFU 2.2.2). */
export const S4U_X509_USER_REPLY_USAGE = 27

/**
 * S4UUserID (MS-SFU 2.2.2) without a certificate: the request's nonce, the
 * user's name and realm, the options.
 *
 * @since 0.3.0
 */
export interface S4uUserId {
  readonly nonce: number
  readonly cname: PrincipalName | undefined
  readonly crealm: string
  readonly options: number | undefined
}

/** The DER of an S4UUserID (the bytes its checksum covers). */
export const encodeS4uUserId = (u: S4uUserId): Uint8Array =>
  Der.encode(Der.sequence(
    Der.explicit(0, Der.integer(u.nonce)),
    Der.explicit(1, u.cname === undefined ? undefined : encodePrincipalName(u.cname)),
    Der.explicit(2, Der.generalString(u.crealm)),
    Der.explicit(4, u.options === undefined ? undefined : Der.flags32(u.options))
  ))

/** PA-S4U-X509-USER ::= SEQUENCE { user-id [0] S4UUserID, checksum [1] Checksum } (user-id given as its DER). */
export const encodePaS4uX509User = (userId: Uint8Array, checksum: Checksum): Uint8Array =>
  Der.encode(Der.sequence(Der.explicit(0, Der.raw(userId)), Der.explicit(1, encodeChecksum(checksum))))

/**
 * A decoded PA-S4U-X509-USER, with the user-id's bytes as received (what
 * the checksum covers: DER is canonical, so no re-encoding is needed).
 *
 * @since 0.3.0
 */
export interface PaS4uX509User {
  readonly userId: S4uUserId
  readonly userIdDer: Uint8Array
  readonly checksum: Checksum
}

/** Decodes a PA-S4U-X509-USER (a subject-certificate [3] is skipped). */
export const decodePaS4uX509User = Der.decodeWith((bytes): PaS4uX509User => {
  const w = "PA-S4U-X509-USER"
  const f = Der.fields(Der.parse(bytes), w)
  const idNode = Der.need(f, 0, w)
  const id = Der.fields(idNode, "S4UUserID")
  return {
    userId: {
      nonce: Der.readUInt32(Der.need(id, 0, "S4UUserID")),
      cname: Der.opt(id, 1, readPrincipalName),
      crealm: Der.readString(Der.need(id, 2, "S4UUserID")),
      options: Der.opt(id, 4, Der.readFlags)
    },
    userIdDer: copyBytes(idNode.tlv.encoded),
    checksum: readChecksum(Der.need(f, 1, w))
  }
})
