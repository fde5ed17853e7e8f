/**
 * The PAC of a real MIT ticket (krb5kdc 1.20+ puts PAC_CLIENT_INFO,
 * UPN_DNS_INFO and both signatures in every ticket): our initiator's AP-REQ
 * from the realm, its ticket decrypted with the service's keytab key, and
 * the EncTicketPart fed mutated to what the acceptor does after decrypting
 * a ticket (acceptor.ts: decodeEncTicketPart, then Pac.fromEncTicketPart
 * with the ticket's cname and authtime, then principalOf).
 */
import { Option, Result } from "effect"
import { Keytab, Pac } from "@effect-sspi/kerberos"
import { enctype } from "../../../kerberos/src/internal/crypto/encryptionType.ts"
import { unframe } from "../../../kerberos/src/internal/gss/framing.ts"
import { decodeApReq } from "../../../kerberos/src/internal/messages/ap.ts"
import { decodeEncTicketPart } from "../../../kerberos/src/internal/messages/ticket.ts"
import type { Outcome, Target } from "./runner.ts"

/** RFC 4120 7.5.1: key usage 2, the ticket's enc-part. */
const TICKET_USAGE = 2

/** The target for the ticket in `apReq` (a GSS-framed AP-REQ), decrypted with its key in `keytab`. */
export const mitPacTarget = (apReq: Uint8Array, keytab: Uint8Array): Target => {
  const ticket = Result.getOrThrow(decodeApReq(Result.getOrThrow(unframe(apReq)).message)).ticket
  const entry = Result.getOrThrow(Keytab.decode(keytab)).find((e) => e.enctype === ticket.encPart.etype)
  if (entry === undefined) throw new Error("no keytab key for the ticket's enctype")
  const serviceKey: Pac.ServiceKey = { enctype: entry.enctype, key: entry.key }
  const profile = Option.getOrThrow(enctype(entry.enctype))
  const encTicketPart = Result.getOrThrow(profile.decrypt(entry.key, TICKET_USAGE, ticket.encPart.cipher))

  const run = (b: Uint8Array): Outcome => {
    const t = decodeEncTicketPart(b)
    if (Result.isFailure(t)) return "typed"
    const pac = Pac.fromEncTicketPart(b, serviceKey, { cname: t.success.cname, authtime: t.success.authtime })
    if (Result.isFailure(pac)) return "typed"
    if (Option.isSome(pac.success)) Pac.principalOf(pac.success.value)
    return "ok"
  }
  const seed = Pac.fromEncTicketPart(encTicketPart, serviceKey, {
    cname: Result.getOrThrow(decodeEncTicketPart(encTicketPart)).cname,
    authtime: Result.getOrThrow(decodeEncTicketPart(encTicketPart)).authtime
  })
  if (!Result.isSuccess(seed) || Option.isNone(seed.success)) throw new Error("the MIT ticket carries no PAC that verifies")
  return { name: "PAC in an MIT ticket (EncTicketPart, Pac.fromEncTicketPart)", seeds: [encTicketPart], run }
}
