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
import { Clock, Effect } from "effect"
import { SecurityError } from "@effect-sspi/core"
import type { KerberosCredential } from "./internal/context/credential.ts"
import { credentialAuthData, type DelegatedAuthData, delegatedCredential as fromState } from "./internal/context/delegation.ts"
import { s4u2proxy, s4u2self } from "./internal/context/s4u.ts"
import type { KerberosContext } from "./internal/context/state.ts"
import { parsePrincipal } from "./internal/messages/common.ts"
import { type KerberosOptions, resolveSettings } from "./internal/settings.ts"

export type { DelegatedAuthData, DelegatedTickets, DelegationPolicy, DelegationRequest } from "./internal/context/delegation.ts"
export {
  /**
   * The context's delegated TGT as authData for AcquireCredentialsHandle
   * (OUTBOUND), or SEC_E_NO_CREDENTIALS: the value a `DelegatedCredential`
   * context attribute answers.
   *
   * @since 0.2.0
   */
  delegatedAuthData,
  /**
   * The client and a copy of the tickets for a credential acquired with
   * {@link DelegatedAuthData}; SEC_E_NO_CREDENTIALS once the source (context
   * or credential) is released.
   *
   * @since 0.2.0
   */
  fromDelegatedAuthData,
  /**
   * Whether authData is {@link DelegatedAuthData}.
   *
   * @since 0.2.0
   */
  isDelegatedAuthData
} from "./internal/context/delegation.ts"

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

const realmOf = (service: KerberosCredential) => service.client?.realm ?? ""

/**
 * S4U2Self (MS-SFU protocol transition): with the service's own outbound
 * credential (keytab keys or password of the service principal), a ticket
 * from `user` ("alice" or "alice@REALM") to the service itself, as an
 * outbound credential whose client is the user. `options` are the package's
 * (krb5.conf, KDCs).
 *
 * @since 0.2.0
 */
export const impersonate = (
  options: KerberosOptions,
  service: KerberosCredential,
  user: string
): Effect.Effect<KerberosCredential, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const settings = yield* resolveSettings(options)
    const now = yield* Clock.currentTimeMillis
    return yield* s4u2self(settings, service, parsePrincipal(user, realmOf(service)), now)
  })

/**
 * S4U2Proxy (MS-SFU constrained delegation): with the service's own outbound
 * credential and `evidence` (the credential {@link impersonate} returned), a
 * ticket from the user to `backend` ("svc/host"), as an outbound credential
 * whose client is the user. A back-end the realm does not allow →
 * SEC_E_DELEGATION_POLICY naming it.
 *
 * @since 0.2.0
 */
export const proxy = (
  options: KerberosOptions,
  service: KerberosCredential,
  evidence: KerberosCredential,
  backend: string
): Effect.Effect<KerberosCredential, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const self = service.client
    const ticket = evidence.tickets.find((t) => self !== undefined && t.server.realm === self.realm && t.server.name.components.join("/") === self.name.components.join("/"))
    if (ticket === undefined) return yield* new SecurityError.NoCredentials({ detail: "the evidence holds no ticket to this service" })
    const settings = yield* resolveSettings(options)
    const now = yield* Clock.currentTimeMillis
    return yield* s4u2proxy(settings, service, ticket, parsePrincipal(backend, realmOf(service), 3), now)
  })

/**
 * The value `SspiServer.delegated` gives and `SspiClient.delegated` takes
 * (core's `DelegatedCredential` context attribute: `{ packageName:
 * "Kerberos", authData }`), made of an outbound credential that acts for a
 * user: {@link proxy}'s (S4U2Proxy), {@link impersonate}'s, or
 * {@link delegatedCredential}'s. Only its tickets of the user go into it
 * (never the service's password or keys); acquiring it copies them, so it
 * must be acquired before `credential` is freed (afterwards:
 * SEC_E_NO_CREDENTIALS). SEC_E_NO_CREDENTIALS when `credential` holds no
 * ticket of its client.
 *
 * ```ts
 * const asUser = yield* Delegation.proxy(options, service, yield* Delegation.impersonate(options, service, "alice"), "HTTP/backend")
 * const credential = yield* Delegation.asDelegatedCredential(asUser)
 * const client = httpClient.pipe(SspiClient.withAuthentication({ schemes: ["Negotiate"], credentials: SspiClient.delegated(credential), targetName: () => "HTTP/backend" }))
 * ```
 *
 * @since 0.3.0
 */
export const asDelegatedCredential = (
  credential: KerberosCredential
): Effect.Effect<{ readonly packageName: "Kerberos"; readonly authData: DelegatedAuthData }, SecurityError.SspiError> =>
  Effect.map(credentialAuthData(credential), (authData) => ({ packageName: "Kerberos" as const, authData }))
