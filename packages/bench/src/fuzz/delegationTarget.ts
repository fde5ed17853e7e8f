/**
 * The Kerberos acceptor given a delegated credential: an AP-REQ with MIT's
 * real service ticket for HTTP/localhost (from the user's ccache after
 * `kvno`), whose authenticator (encrypted in the ticket's session key, key
 * usage 11) carries the 0x8003 checksum with GSS_C_DELEG_FLAG and the fuzz
 * input as its Deleg field (RFC 4121 4.1.1). The seed is the KRB-CRED our
 * initiator sends with the realm's TGT, made fresh for each input (its
 * timestamp must be within the clock skew), and each AP-REQ has its own
 * authenticator time (the replay cache refuses a repeated one).
 */
import { readFileSync } from "node:fs"
import { Option, Result } from "effect"
import { CredentialCache } from "@effect-sspi/kerberos"
import { makeKrbCred } from "../../../kerberos/src/internal/context/delegation.ts"
import { enctype } from "../../../kerberos/src/internal/crypto/encryptionType.ts"
import { encodeGssChecksum, GSS_CHECKSUM_TYPE, GssFlags } from "../../../kerberos/src/internal/gss/checksum.ts"
import { frame, TokenId } from "../../../kerberos/src/internal/gss/framing.ts"
import { ApOptions, encodeApReq, encodeAuthenticator } from "../../../kerberos/src/internal/messages/ap.ts"
import { decodeTicket } from "../../../kerberos/src/internal/messages/ticket.ts"
import type { Outcome, Target } from "./runner.ts"

/** RFC 4120 7.5.1: key usage 11, the AP-REQ authenticator. */
const AUTHENTICATOR_USAGE = 11
const FLAGS = GssFlags.DELEG | GssFlags.MUTUAL | GssFlags.REPLAY | GssFlags.SEQUENCE | GssFlags.CONF | GssFlags.INTEG

/**
 * The target, from the credential cache file `ccache` (the user's TGT and
 * the service ticket for `service`); `accept` feeds an AP-REQ to the acceptor.
 */
export const delegationTarget = (ccache: string, service: string, accept: (apReq: Uint8Array) => Outcome): Target => {
  const cache = Result.getOrThrow(CredentialCache.decode(new Uint8Array(readFileSync(ccache.replace(/^FILE:/, "")))))
  const find = (first: string) => cache.credentials.find((c) => c.server.name.components[0] === first)
  const tgt = find("krbtgt")
  const serviceTicket = cache.credentials.find((c) => c.server.name.components.join("/") === service)
  if (tgt === undefined || serviceTicket === undefined) throw new Error(`no TGT or ${service} ticket in the realm's ccache`)
  const forwarded = { ...tgt, ticket: Result.getOrThrow(decodeTicket(tgt.ticket)) }
  const ticket = Result.getOrThrow(decodeTicket(serviceTicket.ticket))
  const sessionKey = serviceTicket.key
  const profile = Option.getOrThrow(enctype(sessionKey.keytype))
  let cusec = 0

  const apReq = (deleg: Uint8Array): Uint8Array => {
    cusec = (cusec + 1) % 1_000_000
    const authenticator = encodeAuthenticator({
      crealm: serviceTicket.client.realm,
      cname: serviceTicket.client.name,
      cksum: { cksumtype: GSS_CHECKSUM_TYPE, checksum: encodeGssChecksum(new Uint8Array(16), FLAGS, deleg) },
      cusec,
      ctime: Date.now(),
      seqNumber: 1
    })
    return frame(TokenId.AP_REQ, encodeApReq({
      options: ApOptions.MUTUAL_REQUIRED,
      ticket,
      authenticator: { etype: sessionKey.keytype, cipher: profile.encrypt(sessionKey.keyvalue, AUTHENTICATOR_USAGE, authenticator) }
    }))
  }
  const krbCred = () => makeKrbCred(forwarded, profile, sessionKey, Date.now())
  if (accept(apReq(krbCred())) !== "ok") throw new Error("the AP-REQ with the real KRB-CRED is not accepted")
  return {
    name: "Kerberos acceptor, delegated TGT (RFC 4121 Deleg field, MIT service ticket)",
    seeds: [krbCred()],
    run: (b) => accept(apReq(b)),
    live: () => ({ token: krbCred(), feed: (b) => accept(apReq(b)) })
  }
}
