/**
 * Client/server authentication (RFC 4120 section 5.5): AP-REQ,
 * Authenticator, AP-REP and EncAPRepPart.
 *
 * @since 0.1.0
 */
import * as Der from "../asn1/der.ts"
import {
  type Checksum,
  encodeChecksum,
  encodeEncryptedData,
  encodeEncryptionKey,
  encodePrincipalName,
  type EncryptedData,
  type EncryptionKey,
  type PrincipalName,
  readChecksum,
  readEncryptedData,
  readEncryptionKey,
  readPrincipalName
} from "./common.ts"
import { readTicket, type Ticket } from "./ticket.ts"

/** APOptions bits. */
export const ApOptions = { USE_SESSION_KEY: 0x40000000, MUTUAL_REQUIRED: 0x20000000 } as const

/** AP-REQ. */
export interface ApReq {
  readonly options: number
  readonly ticket: Ticket
  readonly authenticator: EncryptedData
}

export const encodeApReq = (r: ApReq): Uint8Array =>
  Der.encode(Der.application(
    14,
    Der.sequence(
      Der.explicit(0, Der.integer(5)),
      Der.explicit(1, Der.integer(14)),
      Der.explicit(2, Der.flags32(r.options)),
      Der.explicit(3, Der.raw(r.ticket.der)),
      Der.explicit(4, encodeEncryptedData(r.authenticator))
    )
  ))

export const decodeApReq = Der.decodeWith((bytes): ApReq => {
  const f = Der.fields(Der.parse(bytes), "AP-REQ", 14)
  const w = "AP-REQ"
  if (Der.readInteger(Der.need(f, 0, w)) !== 5 || Der.readInteger(Der.need(f, 1, w)) !== 14) {
    Der.fail("AP-REQ: bad pvno or msg-type")
  }
  return {
    options: Der.readFlags(Der.need(f, 2, w)),
    ticket: readTicket(Der.need(f, 3, w)),
    authenticator: readEncryptedData(Der.need(f, 4, w))
  }
})

/** Authenticator. */
export interface Authenticator {
  readonly crealm: string
  readonly cname: PrincipalName
  readonly cksum?: Checksum | undefined
  readonly cusec: number
  readonly ctime: number
  readonly subkey?: EncryptionKey | undefined
  readonly seqNumber?: number | undefined
}

export const encodeAuthenticator = (a: Authenticator): Uint8Array =>
  Der.encode(Der.application(
    2,
    Der.sequence(
      Der.explicit(0, Der.integer(5)),
      Der.explicit(1, Der.generalString(a.crealm)),
      Der.explicit(2, encodePrincipalName(a.cname)),
      Der.explicit(3, a.cksum === undefined ? undefined : encodeChecksum(a.cksum)),
      Der.explicit(4, Der.integer(a.cusec)),
      Der.explicit(5, Der.kerberosTime(a.ctime)),
      Der.explicit(6, a.subkey === undefined ? undefined : encodeEncryptionKey(a.subkey)),
      Der.explicit(7, a.seqNumber === undefined ? undefined : Der.integer(a.seqNumber))
    )
  ))

export const decodeAuthenticator = Der.decodeWith((bytes): Authenticator => {
  const f = Der.fields(Der.parse(bytes), "Authenticator", 2)
  const w = "Authenticator"
  if (Der.readInteger(Der.need(f, 0, w)) !== 5) Der.fail("Authenticator: bad vno")
  return {
    crealm: Der.readString(Der.need(f, 1, w)),
    cname: readPrincipalName(Der.need(f, 2, w)),
    cksum: Der.opt(f, 3, readChecksum),
    cusec: Der.readInteger(Der.need(f, 4, w)),
    ctime: Der.readTime(Der.need(f, 5, w)),
    subkey: Der.opt(f, 6, readEncryptionKey),
    seqNumber: Der.opt(f, 7, Der.readUInt32)
  }
})

/** AP-REP. */
export const encodeApRep = (encPart: EncryptedData): Uint8Array =>
  Der.encode(Der.application(
    15,
    Der.sequence(
      Der.explicit(0, Der.integer(5)),
      Der.explicit(1, Der.integer(15)),
      Der.explicit(2, encodeEncryptedData(encPart))
    )
  ))

export const decodeApRep = Der.decodeWith((bytes): EncryptedData => {
  const f = Der.fields(Der.parse(bytes), "AP-REP", 15)
  if (Der.readInteger(Der.need(f, 1, "AP-REP")) !== 15) Der.fail("AP-REP: bad msg-type")
  return readEncryptedData(Der.need(f, 2, "AP-REP"))
})

/** EncAPRepPart. */
export interface EncApRepPart {
  readonly ctime: number
  readonly cusec: number
  readonly subkey?: EncryptionKey | undefined
  readonly seqNumber?: number | undefined
}

export const encodeEncApRepPart = (p: EncApRepPart): Uint8Array =>
  Der.encode(Der.application(
    27,
    Der.sequence(
      Der.explicit(0, Der.kerberosTime(p.ctime)),
      Der.explicit(1, Der.integer(p.cusec)),
      Der.explicit(2, p.subkey === undefined ? undefined : encodeEncryptionKey(p.subkey)),
      Der.explicit(3, p.seqNumber === undefined ? undefined : Der.integer(p.seqNumber))
    )
  ))

export const decodeEncApRepPart = Der.decodeWith((bytes): EncApRepPart => {
  const f = Der.fields(Der.parse(bytes), "EncAPRepPart", 27)
  const w = "EncAPRepPart"
  return {
    ctime: Der.readTime(Der.need(f, 0, w)),
    cusec: Der.readInteger(Der.need(f, 1, w)),
    subkey: Der.opt(f, 2, readEncryptionKey),
    seqNumber: Der.opt(f, 3, Der.readUInt32)
  }
})
