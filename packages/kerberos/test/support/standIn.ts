/**
 * A KDC stand-in for the timing unit tests ONLY: mints a service ticket and
 * an AP-REQ for a service key we make up, with chosen times, so TestClock
 * tests can drive ticket expiry and clock skew without a real KDC.
 */
import { randomBytes } from "node:crypto"
import { Option } from "effect"
import { enctype } from "../../src/internal/crypto/encryptionType.ts"
import { encodeKeytab } from "../../src/internal/files/keytab.ts"
import { frame, TokenId } from "../../src/internal/gss/framing.ts"
import { encodeGssChecksum, GSS_CHECKSUM_TYPE } from "../../src/internal/gss/checksum.ts"
import { ApOptions, encodeApReq, encodeAuthenticator } from "../../src/internal/messages/ap.ts"
import { decodeTicket, encodeEncTicketPart, encodeTicket } from "../../src/internal/messages/ticket.ts"
import { Result } from "effect"

const profile = Option.getOrThrow(enctype(18))
export const serviceKey = new Uint8Array(randomBytes(32))
const sname = { nameType: 2, components: ["HTTP", "localhost"] }
const realm = "TEST.REALM"

export const keytab = () =>
  encodeKeytab([{ principal: { name: sname, realm }, timestamp: 0, kvno: 1, enctype: 18, key: serviceKey }])

/** A framed AP-REQ for alice@TEST.REALM with the given times (epoch ms). */
export const apReq = (times: { readonly authtime: number; readonly endtime: number; readonly ctime: number }) => {
  const sessionKey = { keytype: 18, keyvalue: new Uint8Array(randomBytes(32)) }
  const cname = { nameType: 1, components: ["alice"] }
  const encPart = encodeEncTicketPart({
    flags: 0,
    key: sessionKey,
    crealm: realm,
    cname,
    authtime: times.authtime,
    endtime: times.endtime
  })
  const ticketDer = encodeTicket({ realm, sname, encPart: { etype: 18, kvno: 1, cipher: profile.encrypt(serviceKey, 2, encPart) } })
  const ticket = Result.getOrThrow(decodeTicket(ticketDer))
  const authenticator = encodeAuthenticator({
    crealm: realm,
    cname,
    cksum: { cksumtype: GSS_CHECKSUM_TYPE, checksum: encodeGssChecksum(new Uint8Array(16), 2 | 4 | 8 | 16 | 32) },
    cusec: 0,
    ctime: times.ctime,
    seqNumber: 7
  })
  return frame(
    TokenId.AP_REQ,
    encodeApReq({
      options: ApOptions.MUTUAL_REQUIRED,
      ticket,
      authenticator: { etype: 18, cipher: profile.encrypt(sessionKey.keyvalue, 11, authenticator) }
    })
  )
}
