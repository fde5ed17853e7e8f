/**
 * @effect-sspi/ntlm: the NTLM security package ([MS-NLMP]).
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Ntlm from "./Ntlm.ts"
/** @since 0.1.0 */
export * as UserStore from "./UserStore.ts"
/** @since 0.1.0 */
export * as NtlmMessage from "./NtlmMessage.ts"
/** @since 0.2.0 */
export * as DomainVerifier from "./DomainVerifier.ts"
