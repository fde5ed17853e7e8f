/**
 * KRB-ERROR (RFC 4120 section 5.9.1) and the error codes this package acts on.
 *
 * @since 0.1.0
 */
import * as Der from "../asn1/der.ts"
import { encodePrincipalName, type PrincipalName, readPrincipalName } from "./common.ts"

/** Error codes (RFC 4120 section 7.5.9). */
export const ErrorCode = {
  KDC_ERR_C_PRINCIPAL_UNKNOWN: 6,
  KDC_ERR_S_PRINCIPAL_UNKNOWN: 7,
  KDC_ERR_NEVER_VALID: 11,
  KDC_ERR_POLICY: 12,
  KDC_ERR_BADOPTION: 13,
  KDC_ERR_ETYPE_NOSUPP: 14,
  KDC_ERR_CLIENT_REVOKED: 18,
  KDC_ERR_KEY_EXPIRED: 23,
  KDC_ERR_PREAUTH_FAILED: 24,
  KDC_ERR_PREAUTH_REQUIRED: 25,
  KRB_AP_ERR_BAD_INTEGRITY: 31,
  KRB_AP_ERR_TKT_EXPIRED: 32,
  KRB_AP_ERR_TKT_NYV: 33,
  KRB_AP_ERR_REPEAT: 34,
  KRB_AP_ERR_NOT_US: 35,
  KRB_AP_ERR_BADMATCH: 36,
  KRB_AP_ERR_SKEW: 37,
  KRB_AP_ERR_MODIFIED: 41,
  KRB_AP_ERR_BADKEYVER: 44,
  KRB_AP_ERR_NOKEY: 45,
  KRB_AP_ERR_MUT_FAIL: 46,
  KRB_ERR_GENERIC: 60,
  KRB_ERR_RESPONSE_TOO_BIG: 52,
  /** RFC 6806 section 7: the client belongs to another realm (crealm names it). */
  KDC_ERR_WRONG_REALM: 68
} as const

/** KRB-ERROR. */
export interface KrbError {
  readonly stime: number
  readonly susec: number
  readonly errorCode: number
  readonly crealm?: string | undefined
  readonly cname?: PrincipalName | undefined
  readonly realm: string
  readonly sname: PrincipalName
  readonly eText?: string | undefined
  readonly eData?: Uint8Array | undefined
}

export const encodeKrbError = (e: KrbError): Uint8Array =>
  Der.encode(Der.application(
    30,
    Der.sequence(
      Der.explicit(0, Der.integer(5)),
      Der.explicit(1, Der.integer(30)),
      Der.explicit(4, Der.kerberosTime(e.stime)),
      Der.explicit(5, Der.integer(e.susec)),
      Der.explicit(6, Der.integer(e.errorCode)),
      Der.explicit(7, e.crealm === undefined ? undefined : Der.generalString(e.crealm)),
      Der.explicit(8, e.cname === undefined ? undefined : encodePrincipalName(e.cname)),
      Der.explicit(9, Der.generalString(e.realm)),
      Der.explicit(10, encodePrincipalName(e.sname)),
      Der.explicit(11, e.eText === undefined ? undefined : Der.generalString(e.eText)),
      Der.explicit(12, e.eData === undefined ? undefined : Der.octets(e.eData))
    )
  ))

export const readKrbError = (node: Der.Node): KrbError => {
  const f = Der.fields(node, "KRB-ERROR", 30)
  const w = "KRB-ERROR"
  return {
    stime: Der.readTime(Der.need(f, 4, w)),
    susec: Der.readInteger(Der.need(f, 5, w)),
    errorCode: Der.readInteger(Der.need(f, 6, w)),
    crealm: Der.opt(f, 7, Der.readString),
    cname: Der.opt(f, 8, readPrincipalName),
    realm: Der.readString(Der.need(f, 9, w)),
    sname: readPrincipalName(Der.need(f, 10, w)),
    eText: Der.opt(f, 11, Der.readString),
    eData: Der.opt(f, 12, Der.readOctets)
  }
}

export const decodeKrbError = Der.decodeWith((bytes) => readKrbError(Der.parse(bytes)))
