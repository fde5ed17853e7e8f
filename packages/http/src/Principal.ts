/**
 * The authenticated client of a request, as a service that the server
 * middleware provides to handlers.
 *
 * @since 0.1.0
 */
import { Context } from "effect"

/**
 * Who the client is and how it authenticated.
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
}

/**
 * The authenticated principal of the current request.
 *
 * @since 0.1.0
 */
export class Principal extends Context.Service<Principal, PrincipalInfo>()("@effect-sspi/http/Principal") {}
