/**
 * RFC 6806 section 11 ("Negotiation of FAST and Detecting Modified
 * Requests"), the FAST-less form MIT krb5kdc and Heimdal (Samba) send: the
 * AS-REQ carries an empty PA-REQ-ENC-PA-REP; the KDC answers with the
 * enc-pa-rep flag and, in the reply's encrypted padata, a checksum of the
 * AS-REQ exactly as it received it, keyed with the reply key (key usage
 * KEY_USAGE_AS_REQ, 56). The client thereby knows the KDC saw the request it
 * sent (its cname, realm, options: canonicalize, etypes).
 *
 * @since 0.3.0
 */
import { Effect, Option, Result } from "effect"
import type { SecurityError } from "@effect-sspi/core"
import * as Der from "../asn1/der.ts"
import { enctype } from "../crypto/encryptionType.ts"
import { constantTimeEqual } from "../crypto/profile.ts"
import { type EncryptionKey, readChecksum } from "../messages/common.ts"
import type { EncKdcRepPart } from "../messages/kdc.ts"
import { PaType } from "../messages/padata.ts"
import { TicketFlags } from "../messages/ticket.ts"
import { invalidToken } from "../status.ts"

/** KEY_USAGE_AS_REQ (RFC 6806 section 11; RFC 6113 section 5.4.2's registry). */
export const AS_REQ_USAGE = 56

/** The empty PA-REQ-ENC-PA-REP an AS-REQ carries to ask for the proof. */
export const REQ_ENC_PA_REP = { type: PaType.REQ_ENC_PA_REP, value: new Uint8Array(0) } as const

const decodeChecksum = Der.decodeWith((bytes) => readChecksum(Der.parse(bytes)))

/**
 * Checks the reply's proof of `request` (the AS-REQ bytes sent). Whenever the
 * KDC sets enc-pa-rep, or sends the padata, the checksum must verify (RFC 6806
 * section 11: a modified request is refused; MIT's krb5int_fast_verify_nego).
 * `required` (the KDC changed the client's name, which canonicalization
 * allows, RFC 6806 section 5): without the proof the reply is refused too,
 * since nothing then shows the KDC answered the request as sent.
 * SEC_E_INVALID_TOKEN either way.
 */
export const checkEncPaRep = (
  part: EncKdcRepPart,
  request: Uint8Array,
  replyKey: EncryptionKey,
  required: string | undefined
): Effect.Effect<void, SecurityError.SspiError> =>
  Effect.suspend(() => {
    const pa = part.encPadata?.find((p) => p.type === PaType.REQ_ENC_PA_REP)
    if (pa === undefined) {
      if ((part.flags & TicketFlags.ENC_PA_REP) !== 0) {
        return Effect.fail(invalidToken("the AS reply sets enc-pa-rep without PA-REQ-ENC-PA-REP (RFC 6806 section 11)"))
      }
      return required === undefined
        ? Effect.void
        : Effect.fail(invalidToken(`${required}, and the reply does not prove the KDC saw our request (no PA-REQ-ENC-PA-REP, RFC 6806 section 11)`))
    }
    const checksum = decodeChecksum(pa.value)
    const profile = Option.getOrUndefined(enctype(replyKey.keytype))
    const verifies = Result.isSuccess(checksum) && profile !== undefined && checksum.success.cksumtype === profile.checksumType &&
      constantTimeEqual(profile.checksum(replyKey.keyvalue, AS_REQ_USAGE, request), checksum.success.checksum)
    return verifies
      ? Effect.void
      : Effect.fail(invalidToken("the AS request was modified on its way to the KDC (PA-REQ-ENC-PA-REP does not verify, RFC 6806 section 11)"))
  })
