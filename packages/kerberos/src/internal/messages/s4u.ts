/**
 * S4U2Self's PA-FOR-USER (MS-SFU section 2.2.1): the user a service asks a
 * ticket to itself for, with a keyed checksum over the name.
 *
 * @since 0.2.0
 */
import { createHash, createHmac } from "node:crypto"
import * as Der from "../asn1/der.ts"
import { encodeChecksum, encodePrincipalName, type EncryptionKey, type Principal } from "./common.ts"

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
