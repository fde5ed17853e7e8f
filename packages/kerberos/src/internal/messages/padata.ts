/**
 * PA-DATA and the pre-authentication payloads used here: PA-ENC-TIMESTAMP
 * (PA-ENC-TS-ENC), ETYPE-INFO2 and METHOD-DATA (RFC 4120 section 5.2.7).
 *
 * @since 0.1.0
 */
import * as Der from "../asn1/der.ts"

/** PA-DATA types. */
export const PaType = {
  TGS_REQ: 1,
  ENC_TIMESTAMP: 2,
  ETYPE_INFO: 11,
  ETYPE_INFO2: 19,
  PAC_REQUEST: 128,
  /** RFC 6806 section 11: empty in an AS-REQ; in the reply's encrypted padata, a Checksum of the AS-REQ. */
  REQ_ENC_PA_REP: 149
} as const

/** PA-DATA. */
export interface PaData {
  readonly type: number
  readonly value: Uint8Array
}

export const encodePaData = (p: PaData): Der.W =>
  Der.sequence(Der.explicit(1, Der.integer(p.type)), Der.explicit(2, Der.octets(p.value)))

export const readPaData = (node: Der.Node): PaData => {
  const f = Der.fields(node, "PA-DATA")
  return { type: Der.readInteger(Der.need(f, 1, "PA-DATA")), value: Der.readOctets(Der.need(f, 2, "PA-DATA")) }
}

/** METHOD-DATA (a KRB-ERROR's e-data for KDC_ERR_PREAUTH_REQUIRED). */
export const decodeMethodData = Der.decodeWith((bytes) => Der.readSequenceOf(Der.parse(bytes), readPaData))

/** PA-ENC-TS-ENC. */
export const encodePaEncTsEnc = (ms: number): Uint8Array =>
  Der.encode(Der.sequence(
    Der.explicit(0, Der.kerberosTime(ms)),
    Der.explicit(1, Der.integer((ms % 1000) * 1000))
  ))

/** The timestamp (ms) of a PA-ENC-TS-ENC. */
export const decodePaEncTsEnc = Der.decodeWith((bytes) => {
  const f = Der.fields(Der.parse(bytes), "PA-ENC-TS-ENC")
  const usec = Der.opt(f, 1, Der.readInteger) ?? 0
  return Der.readTime(Der.need(f, 0, "PA-ENC-TS-ENC")) + Math.floor(usec / 1000)
})

/** ETYPE-INFO2-ENTRY. */
export interface EtypeInfo2Entry {
  readonly etype: number
  readonly salt?: string | undefined
  readonly s2kparams?: Uint8Array | undefined
}

export const encodeEtypeInfo2 = (entries: ReadonlyArray<EtypeInfo2Entry>): Uint8Array =>
  Der.encode(Der.sequence(...entries.map((e) =>
    Der.sequence(
      Der.explicit(0, Der.integer(e.etype)),
      Der.explicit(1, e.salt === undefined ? undefined : Der.generalString(e.salt)),
      Der.explicit(2, e.s2kparams === undefined ? undefined : Der.octets(e.s2kparams))
    )
  )))

export const decodeEtypeInfo2 = Der.decodeWith((bytes) =>
  Der.readSequenceOf(Der.parse(bytes), (node): EtypeInfo2Entry => {
    const f = Der.fields(node, "ETYPE-INFO2-ENTRY")
    return {
      etype: Der.readInteger(Der.need(f, 0, "ETYPE-INFO2-ENTRY")),
      salt: Der.opt(f, 1, Der.readString),
      s2kparams: Der.opt(f, 2, Der.readOctets)
    }
  })
)
