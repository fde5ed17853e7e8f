/**
 * @effect-sspi/negotiate: SPNEGO over Kerberos and NTLM.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Negotiate from "./Negotiate.ts"
/** @since 0.1.0 */
export * as SpnegoToken from "./SpnegoToken.ts"
