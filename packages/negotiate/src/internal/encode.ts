/**
 * SPNEGO token encoders (total). The initial token (NegTokenInit /
 * NegTokenInit2) is wrapped in the RFC 2743 framing with the SPNEGO OID;
 * NegTokenResp tokens are bare.
 *
 * @module
 */
import { Der, type DerNode, type Oid } from "@effect-sspi/asn1"
import { SPNEGO } from "./oids.ts"
import type { NegHints, NegotiationToken, NegTokenInit, NegTokenInit2, NegTokenResp } from "./tokens.ts"

const opt = <A>(n: number, a: A | undefined, f: (a: A) => DerNode): DerNode | undefined =>
  a === undefined ? undefined : Der.explicit(n, f(a))

const mechTypeList = (mechs: ReadonlyArray<Oid>): DerNode => Der.sequence(mechs.map(Der.oid))

/** DER of a MechTypeList alone: the octets a mechListMIC is computed over (RFC 4178 5). */
export const encodeMechTypeList = (mechs: ReadonlyArray<Oid>): Uint8Array => Der.encode(mechTypeList(mechs))

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)

const negHints = (h: NegHints): DerNode =>
  Der.sequence([
    opt(0, h.hintName, (name) => Der.generalString(latin1(name))),
    opt(1, h.hintAddress, Der.octetString)
  ])

const negTokenInit = (t: NegTokenInit): DerNode =>
  Der.explicit(
    0,
    Der.sequence([
      Der.explicit(0, mechTypeList(t.mechTypes)),
      opt(1, t.reqFlags, Der.namedBits),
      opt(2, t.mechToken, Der.octetString),
      opt(3, t.mechListMIC, Der.octetString)
    ])
  )

const negTokenInit2 = (t: NegTokenInit2): DerNode =>
  Der.explicit(
    0,
    Der.sequence([
      opt(0, t.mechTypes, mechTypeList),
      opt(1, t.reqFlags, Der.namedBits),
      opt(2, t.mechToken, Der.octetString),
      opt(3, t.negHints, negHints),
      opt(4, t.mechListMIC, Der.octetString)
    ])
  )

const negTokenResp = (t: NegTokenResp): DerNode =>
  Der.explicit(
    1,
    Der.sequence([
      opt(0, t.negState, Der.enumerated),
      opt(1, t.supportedMech, Der.oid),
      opt(2, t.responseToken, Der.octetString),
      opt(3, t.mechListMIC, Der.octetString)
    ])
  )

/**
 * Encodes a token for the wire: NegTokenInit / NegTokenInit2 inside the GSS
 * InitialContextToken framing with the SPNEGO OID, NegTokenResp bare.
 */
export const encodeToken = (token: NegotiationToken): Uint8Array => {
  switch (token._tag) {
    case "NegTokenInit":
      return Der.encode(Der.gssInitialContextToken(SPNEGO, negTokenInit(token)))
    case "NegTokenInit2":
      return Der.encode(Der.gssInitialContextToken(SPNEGO, negTokenInit2(token)))
    case "NegTokenResp":
      return Der.encode(negTokenResp(token))
  }
}
