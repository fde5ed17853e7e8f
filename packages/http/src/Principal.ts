/**
 * The authenticated client of a request, as a service that the server
 * middleware provides to handlers.
 *
 * @since 0.1.0
 */
import { Context } from "effect"
import type { SecurityPackage } from "@effect-sspi/core"

/**
 * Who the client is and how it authenticated.
 *
 * The domain fields (`userSid`, `groupSids`, `upn`, `dnsDomain`,
 * `logonDomain`, and the whole `logon`) come from the context's `LogonInfo`
 * attribute, queried once when the handshake finished: Kerberos answers it
 * from the PAC (an Active Directory KDC), NTLM when the domain verified the
 * logon. They are absent when the logon carried no identity (an MIT KDC, a
 * local user store).
 *
 * @since 0.1.0
 */
export interface PrincipalInfo {
  /** The client's name as the package reports it (SECPKG_ATTR_NAMES), e.g. `EXAMPLE\alice`. */
  readonly name: string
  /** The HTTP scheme used, e.g. `NTLM` or `Negotiate`. */
  readonly scheme: string
  /** The security package that ran the handshake. */
  readonly packageName: string
  /** The negotiated ASC_RET_* bits. */
  readonly attributes: number
  /** The user's SID (`S-1-5-21-…`). @since 0.2.0 */
  readonly userSid?: string | undefined
  /** Every group SID with its SE_GROUP_* attributes. @since 0.2.0 */
  readonly groupSids?: ReadonlyArray<{ readonly sid: string; readonly attributes: number }> | undefined
  /** The user principal name, e.g. `alice@corp.test`. @since 0.2.0 */
  readonly upn?: string | undefined
  /** The DNS domain, e.g. `CORP.TEST`. @since 0.2.0 */
  readonly dnsDomain?: string | undefined
  /** The NetBIOS logon domain, e.g. `CORP`. @since 0.2.0 */
  readonly logonDomain?: string | undefined
  /** The whole logon identity (primary group, account name, …). @since 0.2.0 */
  readonly logon?: SecurityPackage.LogonIdentity | undefined
}

/**
 * The Principal fields of a logon identity (none when `identity` is undefined).
 *
 * @since 0.2.0
 */
export const identityFields = (
  identity: SecurityPackage.LogonIdentity | undefined
): Pick<PrincipalInfo, "userSid" | "groupSids" | "upn" | "dnsDomain" | "logonDomain" | "logon"> =>
  identity === undefined ? {} : {
    logon: identity,
    userSid: identity.userSid,
    groupSids: identity.groupSids,
    ...(identity.upn !== undefined ? { upn: identity.upn } : {}),
    ...(identity.dnsDomain !== undefined ? { dnsDomain: identity.dnsDomain } : {}),
    ...(identity.logonDomain !== undefined ? { logonDomain: identity.logonDomain } : {})
  }

/**
 * The authenticated principal of the current request.
 *
 * @since 0.1.0
 */
export class Principal extends Context.Service<Principal, PrincipalInfo>()("@effect-sspi/http/Principal") {}
