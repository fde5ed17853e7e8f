/**
 * KDC exchanges (RFC 4120 sections 5.4.1 and 5.4.2): AS-REQ / TGS-REQ,
 * AS-REP / TGS-REP and EncKDCRepPart.
 *
 * @since 0.1.0
 */
import * as Der from "../asn1/der.ts"
import { copyBytes } from "../bytes.ts"
import {
  encodeEncryptedData,
  encodeEncryptionKey,
  encodePrincipalName,
  type EncryptedData,
  type EncryptionKey,
  type PrincipalName,
  readEncryptedData,
  readEncryptionKey,
  readPrincipalName
} from "./common.ts"
import { encodePaData, type PaData, readPaData } from "./padata.ts"
import { readTicket, type Ticket } from "./ticket.ts"

/** Message types. */
export const MessageType = {
  AS_REQ: 10,
  AS_REP: 11,
  TGS_REQ: 12,
  TGS_REP: 13,
  AP_REQ: 14,
  AP_REP: 15,
  KRB_ERROR: 30
} as const

/** KDCOptions bits (bit 0 is the most significant). */
export const KdcOptions = {
  FORWARDABLE: 0x40000000,
  FORWARDED: 0x20000000,
  RENEWABLE: 0x00800000,
  /** MS-SFU 2.2.3 / RFC 4120 KDCOptions bit 14: S4U2Proxy (the client name is the additional ticket's). */
  CNAME_IN_ADDL_TKT: 0x00020000,
  CANONICALIZE: 0x00010000,
  RENEWABLE_OK: 0x00000010
} as const

/** KDC-REQ-BODY. */
export interface KdcReqBody {
  readonly options: number
  readonly cname?: PrincipalName | undefined
  readonly realm: string
  readonly sname: PrincipalName
  readonly till: number
  readonly nonce: number
  readonly etypes: ReadonlyArray<number>
  /** additional-tickets [11] (S4U2Proxy's evidence ticket), encoded as received. */
  readonly additionalTickets?: ReadonlyArray<Ticket> | undefined
}

export const encodeKdcReqBody = (b: KdcReqBody): Uint8Array =>
  Der.encode(Der.sequence(
    Der.explicit(0, Der.flags32(b.options)),
    Der.explicit(1, b.cname === undefined ? undefined : encodePrincipalName(b.cname)),
    Der.explicit(2, Der.generalString(b.realm)),
    Der.explicit(3, encodePrincipalName(b.sname)),
    Der.explicit(5, Der.kerberosTime(b.till)),
    Der.explicit(7, Der.integer(b.nonce)),
    Der.explicit(8, Der.sequence(...b.etypes.map(Der.integer))),
    Der.explicit(11, b.additionalTickets === undefined ? undefined : Der.sequence(...b.additionalTickets.map((t) => Der.raw(t.der))))
  ))

/** AS-REQ or TGS-REQ with an already encoded body (the TGS checksum covers those exact bytes). */
export const encodeKdcReq = (msgType: 10 | 12, padata: ReadonlyArray<PaData>, body: Uint8Array): Uint8Array =>
  Der.encode(Der.application(
    msgType,
    Der.sequence(
      Der.explicit(1, Der.integer(5)),
      Der.explicit(2, Der.integer(msgType)),
      Der.explicit(3, padata.length === 0 ? undefined : Der.sequence(...padata.map(encodePaData))),
      Der.explicit(4, Der.raw(body))
    )
  ))

/** The parts of a KDC-REQ an acceptor-side test KDC needs. */
export interface KdcReq {
  readonly msgType: number
  readonly padata: ReadonlyArray<PaData>
  readonly body: KdcReqBody
}

export const decodeKdcReq = Der.decodeWith((bytes): KdcReq => {
  const node = Der.parse(bytes)
  const app = node.tag & 0x1f
  if (node.tag !== 0x6a && node.tag !== 0x6c) Der.fail("KDC-REQ: unexpected tag")
  const f = Der.fields(node, "KDC-REQ", app)
  const b = Der.fields(Der.need(f, 4, "KDC-REQ"), "KDC-REQ-BODY")
  const w = "KDC-REQ-BODY"
  return {
    msgType: Der.readInteger(Der.need(f, 2, "KDC-REQ")),
    padata: Der.opt(f, 3, (n) => Der.readSequenceOf(n, readPaData)) ?? [],
    body: {
      options: Der.readFlags(Der.need(b, 0, w)),
      cname: Der.opt(b, 1, readPrincipalName),
      realm: Der.readString(Der.need(b, 2, w)),
      sname: Der.opt(b, 3, readPrincipalName) ?? { nameType: 0, components: [] },
      till: Der.readTime(Der.need(b, 5, w)),
      nonce: Der.readUInt32(Der.need(b, 7, w)),
      etypes: Der.readSequenceOf(Der.need(b, 8, w), Der.readInteger)
    }
  }
})

/** AS-REP or TGS-REP. */
export interface KdcRep {
  readonly msgType: number
  readonly padata: ReadonlyArray<PaData>
  readonly crealm: string
  readonly cname: PrincipalName
  readonly ticket: Ticket
  readonly encPart: EncryptedData
}

export const encodeKdcRep = (msgType: 11 | 13, r: Omit<KdcRep, "msgType">): Uint8Array =>
  Der.encode(Der.application(
    msgType,
    Der.sequence(
      Der.explicit(0, Der.integer(5)),
      Der.explicit(1, Der.integer(msgType)),
      Der.explicit(2, r.padata.length === 0 ? undefined : Der.sequence(...r.padata.map(encodePaData))),
      Der.explicit(3, Der.generalString(r.crealm)),
      Der.explicit(4, encodePrincipalName(r.cname)),
      Der.explicit(5, Der.raw(r.ticket.der)),
      Der.explicit(6, encodeEncryptedData(r.encPart))
    )
  ))

export const readKdcRep = (node: Der.Node): KdcRep => {
  if (node.tag !== 0x6b && node.tag !== 0x6d) Der.fail("KDC-REP: unexpected tag")
  const f = Der.fields(node, "KDC-REP", node.tag & 0x1f)
  const w = "KDC-REP"
  return {
    msgType: Der.readInteger(Der.need(f, 1, w)),
    padata: Der.opt(f, 2, (n) => Der.readSequenceOf(n, readPaData)) ?? [],
    crealm: Der.readString(Der.need(f, 3, w)),
    cname: readPrincipalName(Der.need(f, 4, w)),
    ticket: readTicket(Der.need(f, 5, w)),
    encPart: readEncryptedData(Der.need(f, 6, w))
  }
}

export const decodeKdcRep = Der.decodeWith((bytes) => readKdcRep(Der.parse(bytes)))

/** EncKDCRepPart (EncASRepPart or EncTGSRepPart). */
export interface EncKdcRepPart {
  readonly key: EncryptionKey
  readonly nonce: number
  readonly flags: number
  readonly authtime: number
  readonly starttime?: number | undefined
  readonly endtime: number
  readonly renewTill?: number | undefined
  readonly srealm: string
  readonly sname: PrincipalName
  /** encrypted-pa-data [12] (RFC 6806 section 11: PA-REQ-ENC-PA-REP). */
  readonly encPadata?: ReadonlyArray<PaData> | undefined
}

export const encodeEncKdcRepPart = (app: 25 | 26, p: EncKdcRepPart): Uint8Array =>
  Der.encode(Der.application(
    app,
    Der.sequence(
      Der.explicit(0, encodeEncryptionKey(p.key)),
      Der.explicit(1, Der.sequence()),
      Der.explicit(2, Der.integer(p.nonce)),
      Der.explicit(4, Der.flags32(p.flags)),
      Der.explicit(5, Der.kerberosTime(p.authtime)),
      Der.explicit(6, p.starttime === undefined ? undefined : Der.kerberosTime(p.starttime)),
      Der.explicit(7, Der.kerberosTime(p.endtime)),
      Der.explicit(8, p.renewTill === undefined ? undefined : Der.kerberosTime(p.renewTill)),
      Der.explicit(9, Der.generalString(p.srealm)),
      Der.explicit(10, encodePrincipalName(p.sname)),
      Der.explicit(12, p.encPadata === undefined ? undefined : Der.sequence(...p.encPadata.map(encodePaData)))
    )
  ))

export const decodeEncKdcRepPart = Der.decodeWith((bytes): EncKdcRepPart => {
  const node = Der.parse(bytes)
  if (node.tag !== 0x79 && node.tag !== 0x7a) Der.fail("EncKDCRepPart: unexpected tag")
  const f = Der.fields(node, "EncKDCRepPart", node.tag & 0x1f)
  const w = "EncKDCRepPart"
  return {
    key: readEncryptionKey(Der.need(f, 0, w)),
    nonce: Der.readUInt32(Der.need(f, 2, w)),
    flags: Der.readFlags(Der.need(f, 4, w)),
    authtime: Der.readTime(Der.need(f, 5, w)),
    starttime: Der.opt(f, 6, Der.readTime),
    endtime: Der.readTime(Der.need(f, 7, w)),
    renewTill: Der.opt(f, 8, Der.readTime),
    srealm: Der.readString(Der.need(f, 9, w)),
    sname: readPrincipalName(Der.need(f, 10, w)),
    // copies: the plaintext they are read from is zeroed after decoding
    encPadata: Der.opt(f, 12, (n) => Der.readSequenceOf(n, (m) => ({ type: readPaData(m).type, value: copyBytes(readPaData(m).value) })))
  }
})
