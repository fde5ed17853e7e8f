/**
 * KRB-CRED (RFC 4120 section 5.8): tickets and their session keys sent from
 * one party to another (credential forwarding, RFC 4121 section 4.1.1).
 *
 * @since 0.2.0
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
import { readTicket, type Ticket } from "./ticket.ts"

/** The key usage of EncKrbCredPart (RFC 4120 section 7.5.1). */
export const KRB_CRED_USAGE = 14

/** HostAddress (RFC 4120 section 5.2.5). */
export interface HostAddress {
  readonly addrType: number
  readonly address: Uint8Array
}

/** KRB-CRED: the tickets in clear, their keys in `encPart`. */
export interface KrbCred {
  readonly tickets: ReadonlyArray<Ticket>
  readonly encPart: EncryptedData
}

/** KrbCredInfo: one ticket's key and (optional) copies of its fields. `key.keyvalue` is secret. */
export interface KrbCredInfo {
  readonly key: EncryptionKey
  readonly prealm?: string | undefined
  readonly pname?: PrincipalName | undefined
  readonly flags?: number | undefined
  readonly authtime?: number | undefined
  readonly starttime?: number | undefined
  readonly endtime?: number | undefined
  readonly renewTill?: number | undefined
  readonly srealm?: string | undefined
  readonly sname?: PrincipalName | undefined
  readonly caddr?: ReadonlyArray<HostAddress> | undefined
}

/** EncKrbCredPart. */
export interface EncKrbCredPart {
  readonly ticketInfo: ReadonlyArray<KrbCredInfo>
  readonly nonce?: number | undefined
  readonly timestamp?: number | undefined
  readonly usec?: number | undefined
  readonly sAddress?: HostAddress | undefined
  readonly rAddress?: HostAddress | undefined
}

const encodeHostAddress = (a: HostAddress): Der.W =>
  Der.sequence(Der.explicit(0, Der.integer(a.addrType)), Der.explicit(1, Der.octets(a.address)))

const readHostAddress = (n: Der.Node): HostAddress => {
  const f = Der.fields(n, "HostAddress")
  return { addrType: Der.readInteger(Der.need(f, 0, "HostAddress")), address: Der.readOctets(Der.need(f, 1, "HostAddress")) }
}

const opt = <A>(v: A | undefined, f: (a: A) => Der.W): Der.W | undefined => v === undefined ? undefined : f(v)

/** KRB-CRED ::= [APPLICATION 22] SEQUENCE { pvno [0], msg-type [1], tickets [2], enc-part [3] }. */
export const encodeKrbCred = (c: KrbCred): Uint8Array =>
  Der.encode(Der.application(
    22,
    Der.sequence(
      Der.explicit(0, Der.integer(5)),
      Der.explicit(1, Der.integer(22)),
      Der.explicit(2, Der.sequence(...c.tickets.map((t) => Der.raw(t.der)))),
      Der.explicit(3, encodeEncryptedData(c.encPart))
    )
  ))

export const decodeKrbCred = Der.decodeWith((bytes): KrbCred => {
  const f = Der.fields(Der.parse(bytes), "KRB-CRED", 22)
  const w = "KRB-CRED"
  if (Der.readInteger(Der.need(f, 0, w)) !== 5 || Der.readInteger(Der.need(f, 1, w)) !== 22) {
    Der.fail("KRB-CRED: bad pvno or msg-type")
  }
  return {
    tickets: Der.readSequenceOf(Der.need(f, 2, w), readTicket),
    encPart: readEncryptedData(Der.need(f, 3, w))
  }
})

const encodeKrbCredInfo = (i: KrbCredInfo): Der.W =>
  Der.sequence(
    Der.explicit(0, encodeEncryptionKey(i.key)),
    Der.explicit(1, opt(i.prealm, Der.generalString)),
    Der.explicit(2, opt(i.pname, encodePrincipalName)),
    Der.explicit(3, opt(i.flags, Der.flags32)),
    Der.explicit(4, opt(i.authtime, Der.kerberosTime)),
    Der.explicit(5, opt(i.starttime, Der.kerberosTime)),
    Der.explicit(6, opt(i.endtime, Der.kerberosTime)),
    Der.explicit(7, opt(i.renewTill, Der.kerberosTime)),
    Der.explicit(8, opt(i.srealm, Der.generalString)),
    Der.explicit(9, opt(i.sname, encodePrincipalName)),
    Der.explicit(10, opt(i.caddr, (as) => Der.sequence(...as.map(encodeHostAddress))))
  )

const readKrbCredInfo = (n: Der.Node): KrbCredInfo => {
  const f = Der.fields(n, "KrbCredInfo")
  return {
    key: readEncryptionKey(Der.need(f, 0, "KrbCredInfo")),
    prealm: Der.opt(f, 1, Der.readString),
    pname: Der.opt(f, 2, readPrincipalName),
    flags: Der.opt(f, 3, Der.readFlags),
    authtime: Der.opt(f, 4, Der.readTime),
    starttime: Der.opt(f, 5, Der.readTime),
    endtime: Der.opt(f, 6, Der.readTime),
    renewTill: Der.opt(f, 7, Der.readTime),
    srealm: Der.opt(f, 8, Der.readString),
    sname: Der.opt(f, 9, readPrincipalName),
    caddr: Der.opt(f, 10, (s) => Der.readSequenceOf(s, readHostAddress))
  }
}

/** EncKrbCredPart ::= [APPLICATION 29] SEQUENCE { ticket-info [0], nonce [1], timestamp [2], usec [3], s-address [4], r-address [5] }. */
export const encodeEncKrbCredPart = (p: EncKrbCredPart): Uint8Array =>
  Der.encode(Der.application(
    29,
    Der.sequence(
      Der.explicit(0, Der.sequence(...p.ticketInfo.map(encodeKrbCredInfo))),
      Der.explicit(1, opt(p.nonce, Der.integer)),
      Der.explicit(2, opt(p.timestamp, Der.kerberosTime)),
      Der.explicit(3, opt(p.usec, Der.integer)),
      Der.explicit(4, opt(p.sAddress, encodeHostAddress)),
      Der.explicit(5, opt(p.rAddress, encodeHostAddress))
    )
  ))

export const decodeEncKrbCredPart = Der.decodeWith((bytes): EncKrbCredPart => {
  const f = Der.fields(Der.parse(bytes), "EncKrbCredPart", 29)
  const w = "EncKrbCredPart"
  return {
    ticketInfo: Der.readSequenceOf(Der.need(f, 0, w), readKrbCredInfo),
    nonce: Der.opt(f, 1, Der.readUInt32),
    timestamp: Der.opt(f, 2, Der.readTime),
    usec: Der.opt(f, 3, Der.readInteger),
    sAddress: Der.opt(f, 4, readHostAddress),
    rAddress: Der.opt(f, 5, readHostAddress)
  }
})
