/**
 * NTLM verified by the domain: the service through which the NTLM acceptor
 * hands a client's NTLMv2 response to a domain controller instead of
 * checking it against a password it holds (MS-APDS 3.1.5.1, pass-through
 * network logon). Its shape is `NetlogonClient.verifyNetworkLogon`'s
 * (`@effect-sspi/netlogon`), so that the glue is one line; this package does
 * not import netlogon (nor netlogon this one):
 *
 * ```ts
 * const verifierLayer = Layer.effect(
 *   Ntlm.DomainVerifier.DomainVerifier,
 *   Effect.map(Effect.service(NetlogonClient.NetlogonClient), (c) => ({ verify: c.verifyNetworkLogon }))
 * ).pipe(Layer.provide(NetlogonClient.layer({ dc, domain, machineAccount, machinePassword })))
 * ```
 *
 * @since 0.2.0
 */
import { Context } from "effect"
import type { Effect } from "effect"
import type { SecurityError } from "@effect-sspi/core"

/**
 * What the acceptor passes on: the names and the raw responses of the
 * client's AUTHENTICATE and the server challenge of our CHALLENGE.
 *
 * @since 0.2.0
 */
export interface VerifyRequest {
  readonly domain: string
  readonly user: string
  readonly workstation: string
  readonly serverChallenge: Uint8Array
  readonly ntResponse: Uint8Array
  readonly lmResponse: Uint8Array
}

/**
 * The domain's answer for a successful logon.
 *
 * @since 0.2.0
 */
export interface VerifyResult {
  /**
   * The user session key (for NTLMv2 the SessionBaseKey, MS-NLMP 3.3.2),
   * which the acceptor uses as the key exchange key. The acceptor zeroes it.
   */
  readonly userSessionKey: Uint8Array
  readonly validation: {
    /** The account name as the domain has it. */
    readonly user: string
    readonly fullName?: string | undefined
    /** NetBIOS name of the logon domain (`CORP`). */
    readonly logonDomain: string
    readonly dnsDomain?: string | undefined
    readonly upn?: string | undefined
    readonly userSid: string
    readonly primaryGroupSid: string
    /** Domain groups then extra SIDs, with their SE_GROUP_* attributes. */
    readonly groupSids: ReadonlyArray<{ readonly sid: string; readonly attributes: number }>
  }
}

/**
 * The typed failures of a verification: SEC_E_LOGON_DENIED (wrong password
 * and unknown user alike; disabled, locked or expired accounts naming the
 * condition), SEC_E_NO_AUTHENTICATING_AUTHORITY (the DC cannot be reached or
 * refuses the secure channel: never reported as a wrong password),
 * SEC_E_INVALID_TOKEN, SEC_E_INVALID_PARAMETER, SEC_E_INTERNAL_ERROR.
 *
 * @since 0.2.0
 */
export type VerifyError =
  | SecurityError.InvalidParameter
  | SecurityError.LogonDenied
  | SecurityError.NoAuthenticatingAuthority
  | SecurityError.InvalidToken
  | SecurityError.InternalError

/**
 * The domain verifier service. Give it to the package with
 * `Ntlm.withDomainVerifier()` (from the context) or `Ntlm.make({ domainVerifier })`.
 *
 * @since 0.2.0
 */
export class DomainVerifier extends Context.Service<DomainVerifier, {
  readonly verify: (request: VerifyRequest) => Effect.Effect<VerifyResult, VerifyError>
}>()("@effect-sspi/ntlm/DomainVerifier") {}
