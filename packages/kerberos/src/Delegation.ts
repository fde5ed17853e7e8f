/**
 * Credential delegation (RFC 4121 section 4.1.1): the initiator forwards the
 * user's TGT as a KRB-CRED when it asks for ISC_REQ_DELEGATE and the policy
 * allows it; the acceptor checks it and keeps it in the context, from which
 * {@link delegatedCredential} makes an outbound credential that acts as the
 * user (the double hop).
 *
 * ```ts
 * const pkg = yield* Kerberos.make(options)
 * const step = yield* pkg.accept(serverCred, undefined, request)   // ASC_RET_DELEGATE in step.attributes
 * const asUser = yield* Delegation.delegatedCredential(step.state)  // SEC_E_NO_CREDENTIALS when none
 * const next = yield* pkg.initialize(asUser, undefined, { ...request, targetName: "HTTP/backend" })
 * ```
 *
 * @since 0.2.0
 */
import type { Effect } from "effect"
import type { SecurityError } from "@effect-sspi/core"
import type { KerberosCredential } from "./internal/context/credential.ts"
import { delegatedCredential as fromState } from "./internal/context/delegation.ts"
import type { KerberosContext } from "./internal/context/state.ts"

export type { DelegationPolicy, DelegationRequest } from "./internal/context/delegation.ts"

/**
 * An outbound Kerberos credential holding a copy of the TGT the client
 * delegated to this acceptor context (its own copy of the key, zeroed by
 * the package's `freeCredentials`), or SEC_E_NO_CREDENTIALS when the client
 * delegated nothing (or the context was deleted).
 *
 * @since 0.2.0
 */
export const delegatedCredential = (state: KerberosContext): Effect.Effect<KerberosCredential, SecurityError.SspiError> =>
  fromState(state)

/**
 * Whether the client delegated a usable TGT to this acceptor context.
 *
 * @since 0.2.0
 */
export const isDelegated = (state: KerberosContext): boolean => state.delegated !== undefined
