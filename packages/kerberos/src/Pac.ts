/**
 * The PAC (MS-PAC) of a Kerberos ticket from Active Directory: who the
 * client is in the domain (user SID, groups, UPN, logon domain), decoded
 * from the ticket's authorization data and verified with the service key.
 *
 * ```ts
 * import { Pac } from "@effect-sspi/kerberos"
 * // after decrypting the ticket with the service key (encTicketPart: the plaintext DER):
 * const pac = Pac.fromEncTicketPart(encTicketPart, { enctype, key }, { cname, authtime })
 * // Result<Option<Pac.Pac>, SecurityError.InvalidToken | SecurityError.LogonDenied>
 * const who = Option.flatMap(Result.getOrThrow(pac), (p) => Option.fromUndefinedOr(Pac.principalOf(p)))
 * ```
 *
 * @since 0.1.0
 */
import type { Pac } from "./internal/pac/types.ts"

export {
  /** The AuthorizationData of a decrypted EncTicketPart (its DER); never throws. */
  authorizationDataOfEncTicketPart,
  type AuthorizationDataEntry,
  /** The same from the decrypted EncTicketPart's DER. */
  pacOfEncTicketPart as fromEncTicketPart,
  /** Decode, verify the server signature, check PAC_CLIENT_INFO: the acceptor's call. */
  pacOfTicket as fromTicket,
  type TicketClient
} from "./internal/pac/authData.ts"
export { decodePac as decode } from "./internal/pac/pactype.ts"
export { BufferType } from "./internal/pac/types.ts"
export type { ClientInfo, GroupMembership, LogonInfo, Pac, SidAndAttributes, Signature, UpnDnsInfo } from "./internal/pac/types.ts"
export { checkClientInfo, type ServiceKey, verifyKdcChecksum, verifyServerChecksum } from "./internal/pac/verify.ts"

/**
 * SE_GROUP_* attributes of a group SID (MS-PAC 2.2.1, MS-DTYP 2.4.2.4).
 *
 * @since 0.1.0
 */
export const GroupAttributes = {
  MANDATORY: 0x00000001,
  ENABLED_BY_DEFAULT: 0x00000002,
  ENABLED: 0x00000004,
  OWNER: 0x00000008,
  RESOURCE: 0x20000000
} as const

/**
 * The identity a PAC gives, shaped for a Principal: the user's SID, every
 * group SID with its attributes (domain groups, extra SIDs, resource
 * groups), the UPN and DNS domain where the PAC has UPN_DNS_INFO, the NetBIOS
 * logon domain and the account name.
 *
 * @since 0.1.0
 */
export interface PacPrincipal {
  readonly userSid: string
  readonly primaryGroupSid: string
  readonly groupSids: ReadonlyArray<{ readonly sid: string; readonly attributes: number }>
  readonly upn: string | undefined
  readonly dnsDomain: string | undefined
  readonly logonDomain: string
  readonly accountName: string
  readonly fullName: string | undefined
}

/**
 * The {@link PacPrincipal} of a verified PAC, or undefined when the PAC has
 * no KERB_VALIDATION_INFO (an MIT KDC's PAC: no SIDs to give).
 *
 * @since 0.1.0
 */
export const principalOf = (pac: Pac): PacPrincipal | undefined => {
  const li = pac.logonInfo
  return li === undefined ? undefined : {
    userSid: li.userSid,
    primaryGroupSid: li.primaryGroupSid,
    groupSids: li.groupSids,
    upn: pac.upnDnsInfo?.upn,
    dnsDomain: pac.upnDnsInfo?.dnsDomainName,
    logonDomain: li.logonDomainName,
    accountName: li.effectiveName,
    fullName: li.fullName === "" ? undefined : li.fullName
  }
}
