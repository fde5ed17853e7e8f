/**
 * Ticket and EncTicketPart (RFC 4120 section 5.3). A decoded ticket keeps
 * its exact DER so that it is forwarded byte for byte.
 *
 * @since 0.1.0
 */
import * as Der from "../asn1/der.ts"
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
import { copyBytes } from "../bytes.ts"

/** Ticket. */
export interface Ticket {
  readonly realm: string
  readonly sname: PrincipalName
  readonly encPart: EncryptedData
  /** The ticket's DER, as received. */
  readonly der: Uint8Array
}

export const encodeTicket = (t: Omit<Ticket, "der">): Uint8Array =>
  Der.encode(Der.application(
    1,
    Der.sequence(
      Der.explicit(0, Der.integer(5)),
      Der.explicit(1, Der.generalString(t.realm)),
      Der.explicit(2, encodePrincipalName(t.sname)),
      Der.explicit(3, encodeEncryptedData(t.encPart))
    )
  ))

export const readTicket = (node: Der.Node): Ticket => {
  const f = Der.fields(node, "Ticket", 1)
  if (Der.readInteger(Der.need(f, 0, "Ticket")) !== 5) Der.fail("Ticket: tkt-vno is not 5")
  return {
    realm: Der.readString(Der.need(f, 1, "Ticket")),
    sname: readPrincipalName(Der.need(f, 2, "Ticket")),
    encPart: readEncryptedData(Der.need(f, 3, "Ticket")),
    der: copyBytes(node.tlv.encoded)
  }
}

/**
 * TicketFlags bits (RFC 4120 section 5.3), bit 0 the most significant of the
 * 32-bit value.
 */
export const TicketFlags = {
  FORWARDABLE: 0x40000000,
  FORWARDED: 0x20000000,
  PROXIABLE: 0x10000000,
  PROXY: 0x08000000,
  MAY_POSTDATE: 0x04000000,
  POSTDATED: 0x02000000,
  INVALID: 0x01000000,
  RENEWABLE: 0x00800000,
  INITIAL: 0x00400000,
  PRE_AUTHENT: 0x00200000,
  HW_AUTHENT: 0x00100000,
  TRANSITED_POLICY_CHECKED: 0x00080000,
  OK_AS_DELEGATE: 0x00040000,
  /** RFC 6806 section 11 (EncKDCRepPart flags): the reply's encrypted padata proves the request. */
  ENC_PA_REP: 0x00010000
} as const

/** EncTicketPart (the fields an acceptor uses). */
export interface EncTicketPart {
  readonly flags: number
  readonly key: EncryptionKey
  readonly crealm: string
  readonly cname: PrincipalName
  readonly authtime: number
  readonly starttime?: number | undefined
  readonly endtime: number
  readonly renewTill?: number | undefined
  /** authorization-data [10] (encoded when given; not read back: see pac/authData.ts). */
  readonly authorizationData?: ReadonlyArray<{ readonly adType: number; readonly adData: Uint8Array }> | undefined
}

export const encodeEncTicketPart = (t: EncTicketPart): Uint8Array =>
  Der.encode(Der.application(
    3,
    Der.sequence(
      Der.explicit(0, Der.flags32(t.flags)),
      Der.explicit(1, encodeEncryptionKey(t.key)),
      Der.explicit(2, Der.generalString(t.crealm)),
      Der.explicit(3, encodePrincipalName(t.cname)),
      Der.explicit(4, Der.sequence(Der.explicit(0, Der.integer(1)), Der.explicit(1, Der.octets(new Uint8Array(0))))),
      Der.explicit(5, Der.kerberosTime(t.authtime)),
      Der.explicit(6, t.starttime === undefined ? undefined : Der.kerberosTime(t.starttime)),
      Der.explicit(7, Der.kerberosTime(t.endtime)),
      Der.explicit(8, t.renewTill === undefined ? undefined : Der.kerberosTime(t.renewTill)),
      Der.explicit(
        10,
        t.authorizationData === undefined
          ? undefined
          : Der.sequence(...t.authorizationData.map((e) => Der.sequence(Der.explicit(0, Der.integer(e.adType)), Der.explicit(1, Der.octets(e.adData)))))
      )
    )
  ))

export const readEncTicketPart = (node: Der.Node): EncTicketPart => {
  const f = Der.fields(node, "EncTicketPart", 3)
  const w = "EncTicketPart"
  return {
    flags: Der.readFlags(Der.need(f, 0, w)),
    key: readEncryptionKey(Der.need(f, 1, w)),
    crealm: Der.readString(Der.need(f, 2, w)),
    cname: readPrincipalName(Der.need(f, 3, w)),
    authtime: Der.readTime(Der.need(f, 5, w)),
    starttime: Der.opt(f, 6, Der.readTime),
    endtime: Der.readTime(Der.need(f, 7, w)),
    renewTill: Der.opt(f, 8, Der.readTime)
  }
}

export const decodeTicket = Der.decodeWith((bytes) => readTicket(Der.parse(bytes)))
export const decodeEncTicketPart = Der.decodeWith((bytes) => readEncTicketPart(Der.parse(bytes)))
