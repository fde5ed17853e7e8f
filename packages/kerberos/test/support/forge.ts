/**
 * Attack-test forgery: a stand-in KDC key for HTTP/localhost and
 * host/localhost (TEST.REALM) that mints tickets and AP-REQs with any field
 * an attacker (or a broken KDC) could choose. Test-only; the interop tests
 * use real MIT tokens wherever MIT can produce the case.
 */
import { randomBytes } from "node:crypto"
import { Option, Result } from "effect"
import { ChannelBindings } from "@effect-sspi/core"
import { enctype } from "../../src/internal/crypto/encryptionType.ts"
import { encodeKeytab } from "../../src/internal/files/keytab.ts"
import { encodeGssChecksum, GSS_CHECKSUM_TYPE } from "../../src/internal/gss/checksum.ts"
import { frame, TokenId } from "../../src/internal/gss/framing.ts"
import { ApOptions, encodeApReq, encodeAuthenticator } from "../../src/internal/messages/ap.ts"
import type { EncryptionKey } from "../../src/internal/messages/common.ts"
import { decodeTicket, encodeEncTicketPart, encodeTicket } from "../../src/internal/messages/ticket.ts"

export const aes256 = Option.getOrThrow(enctype(18))
export const REALM = "TEST.REALM"
const httpKey = new Uint8Array(randomBytes(32))
const hostKey = new Uint8Array(randomBytes(32))
const sname = (svc: string) => ({ nameType: 2, components: [svc, "localhost"] })

/** A keytab with HTTP/localhost (first) and host/localhost, kvno 2. */
export const keytab = (keyLength = 32) =>
  encodeKeytab([
    { principal: { name: sname("HTTP"), realm: REALM }, timestamp: 0, kvno: 2, enctype: 18, key: httpKey.slice(0, keyLength) },
    { principal: { name: sname("host"), realm: REALM }, timestamp: 0, kvno: 2, enctype: 18, key: hostKey }
  ])

/** As AD exports an account with two SPNs: HTTP/localhost and host/localhost under one key (HTTP's). */
export const keytabOneAccount = () =>
  encodeKeytab([
    { principal: { name: sname("HTTP"), realm: REALM }, timestamp: 0, kvno: 2, enctype: 18, key: httpKey },
    { principal: { name: sname("host"), realm: REALM }, timestamp: 0, kvno: 2, enctype: 18, key: httpKey }
  ])

/** The application data our tests bind to, and its hash. */
export const APP_DATA = new TextEncoder().encode("tls-server-end-point:0123456789abcdef")
export const GOOD_BINDINGS = ChannelBindings.hash(ChannelBindings.fromApplicationData(APP_DATA))

export interface ApReqOptions {
  readonly ctime: number
  readonly cusec?: number | undefined
  readonly authtime?: number | undefined
  readonly starttime?: number | undefined
  readonly endtime?: number | undefined
  readonly flags?: number | undefined
  readonly service?: "HTTP" | "host" | undefined
  readonly realm?: string | undefined
  readonly kvno?: number | undefined
  readonly sessionKey?: EncryptionKey | undefined
  readonly subkey?: EncryptionKey | undefined
  /** The 0x8003 Bnd field (default all zero), "none" (no checksum) or "other" (an RFC 3961 checksum instead). */
  readonly bindings?: Uint8Array | "none" | "other" | undefined
  readonly mutual?: boolean | undefined
  readonly ticketClient?: string | undefined
  readonly authenticatorClient?: string | undefined
}

/** GSS flags: mutual, replay, sequence, conf, integ. */
const GSS_FLAGS = 2 | 4 | 8 | 16 | 32

/** A framed AP-REQ for alice@TEST.REALM, with `o` deciding every field an attacker could. */
export const apReq = (o: ApReqOptions): Uint8Array => {
  const sessionKey = o.sessionKey ?? { keytype: 18, keyvalue: new Uint8Array(randomBytes(32)) }
  const realm = o.realm ?? REALM
  const encPart = encodeEncTicketPart({
    flags: o.flags ?? 0,
    key: sessionKey,
    crealm: REALM,
    cname: { nameType: 1, components: [o.ticketClient ?? "alice"] },
    authtime: o.authtime ?? o.ctime - 60_000,
    starttime: o.starttime,
    endtime: o.endtime ?? o.ctime + 3_600_000
  })
  const service = o.service ?? "HTTP"
  const key = service === "HTTP" ? httpKey : hostKey
  const ticket = Result.getOrThrow(decodeTicket(encodeTicket({
    realm,
    sname: sname(service),
    encPart: { etype: 18, kvno: o.kvno ?? 2, cipher: aes256.encrypt(key, 2, encPart) }
  })))
  const b = o.bindings ?? new Uint8Array(16)
  const authKey = sessionKey.keyvalue.length === 32 ? sessionKey.keyvalue : new Uint8Array(32)
  const authenticator = encodeAuthenticator({
    crealm: REALM,
    cname: { nameType: 1, components: [o.authenticatorClient ?? o.ticketClient ?? "alice"] },
    cksum: b === "none"
      ? undefined
      : b === "other"
      ? { cksumtype: 16, checksum: aes256.checksum(authKey, 10, new Uint8Array(0)) }
      : { cksumtype: GSS_CHECKSUM_TYPE, checksum: encodeGssChecksum(b, GSS_FLAGS) },
    cusec: o.cusec ?? 0,
    ctime: o.ctime,
    subkey: o.subkey,
    seqNumber: 7
  })
  return frame(
    TokenId.AP_REQ,
    encodeApReq({
      options: o.mutual === false ? 0 : ApOptions.MUTUAL_REQUIRED,
      ticket,
      authenticator: { etype: sessionKey.keytype, cipher: aes256.encrypt(authKey, 11, authenticator) }
    })
  )
}
