/**
 * The checks an acceptor makes on a PAC (MS-PAC 2.8.1, 2.7; MS-KILE
 * 3.4.5.3): the server signature with the service key, and PAC_CLIENT_INFO
 * against the ticket. Each failure is SEC_E_LOGON_DENIED.
 *
 * @since 0.1.0
 */
import { SecurityError } from "@effect-sspi/core"
import { Filetime } from "@effect-sspi/ndr"
import { Option, Result } from "effect"
import { copyBytes } from "../bytes.ts"
import { enctype } from "../crypto/encryptionType.ts"
import type { PrincipalName } from "../messages/common.ts"
import type { Pac, Signature } from "./types.ts"

/** KERB_NON_KERB_CKSUM_SALT (MS-PAC 2.8): the key usage of PAC signatures. */
export const PAC_CHECKSUM_USAGE = 17

/** A long-term key: the enctype and its bytes. */
export interface ServiceKey {
  readonly enctype: number
  readonly key: Uint8Array
}

const denied = (detail: string) => new SecurityError.LogonDenied({ detail: `PAC: ${detail}` })

/**
 * The PAC with the Signature fields of the server and KDC signatures zeroed
 * (MS-PAC 2.8.1: what the server signature is computed over).
 */
const zeroedSignatures = (pac: Pac): Uint8Array => {
  // a copy (Buffer's slice would be a view, and zeroing it would erase the received signatures)
  const copy = copyBytes(pac.bytes)
  for (const s of [pac.serverChecksum, pac.kdcChecksum]) copy.fill(0, s.offset, s.offset + s.signature.length)
  return copy
}

const verifyWith = (signature: Signature, key: ServiceKey, data: Uint8Array): boolean =>
  Option.match(enctype(key.enctype), {
    onNone: () => false,
    // MS-PAC 2.8.1: the server signature uses the checksum type of the key the
    // ticket is encrypted with (HMAC-SHA1-96-AES128/256 per RFC 3962,
    // HMAC-MD5 per RFC 4757 for RC4), keyed usage 17; compared in constant time.
    onSome: (profile) =>
      profile.checksumType === signature.type &&
      profile.verifyChecksum(key.key, PAC_CHECKSUM_USAGE, data, signature.signature)
  })

/**
 * Verifies the server signature of `pac` with the service key (the key that
 * decrypted the ticket). A PAC whose signature fails, or whose signature type
 * is not the key's, is SEC_E_LOGON_DENIED (MS-KILE 3.4.5.3: "the PAC MUST be
 * validated").
 *
 * @since 0.1.0
 */
export const verifyServerChecksum = (pac: Pac, serviceKey: ServiceKey): Result.Result<void, SecurityError.LogonDenied> =>
  verifyWith(pac.serverChecksum, serviceKey, zeroedSignatures(pac))
    ? Result.void
    : Result.fail(denied("the server signature does not verify with the service key"))

/**
 * Verifies the KDC signature (MS-PAC 2.8.2: a checksum over the server
 * signature's bytes with the krbtgt key). Only a KDC (or a test holding the
 * krbtgt key) can do this.
 *
 * @since 0.1.0
 */
export const verifyKdcChecksum = (pac: Pac, krbtgtKey: ServiceKey): Result.Result<void, SecurityError.LogonDenied> =>
  verifyWith(pac.kdcChecksum, krbtgtKey, pac.serverChecksum.signature)
    ? Result.void
    : Result.fail(denied("the KDC signature does not verify with the krbtgt key"))

/**
 * MS-PAC 2.7 / MS-KILE 3.4.5.3: PAC_CLIENT_INFO must name the ticket's client
 * (the name without the realm) and carry its authtime (ClientId, a FILETIME,
 * compared at the KerberosTime's one-second precision). A PAC copied into
 * another client's ticket fails here.
 *
 * @since 0.1.0
 */
export const checkClientInfo = (
  pac: Pac,
  cname: PrincipalName,
  authtime: number
): Result.Result<void, SecurityError.LogonDenied> => {
  const pacSeconds = Math.floor(Filetime.toEpochMillis(pac.clientInfo.clientId) / 1000)
  if (pacSeconds !== Math.floor(authtime / 1000)) return Result.fail(denied("PAC_CLIENT_INFO time is not the ticket's authtime"))
  if (pac.clientInfo.name !== cname.components.join("/")) return Result.fail(denied("PAC_CLIENT_INFO name is not the ticket's client"))
  return Result.void
}
