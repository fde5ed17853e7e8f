/**
 * S4U (MS-SFU): a service acting for a user without the user's password.
 * S4U2Self (protocol transition, section 3.2.5.1.1): a ticket to the service
 * itself for the user, requested with PA-FOR-USER. S4U2Proxy (constrained
 * delegation, section 3.2.5.2.1): with that ticket (or the user's own
 * ticket to the service) as evidence, a ticket to a back-end for the user.
 * Each result is an outbound credential whose client is the user.
 *
 * @since 0.2.0
 */
import { Effect } from "effect"
import { Flags, SecurityError } from "@effect-sspi/core"
import { tgsExchange, tgsExchangeReply, type TicketGrant } from "../kdc/client.ts"
import { formatPrincipal, type Principal, sameName } from "../messages/common.ts"
import { KdcOptions } from "../messages/kdc.ts"
import { encodePaForUser, encodePaPacOptions, PA_FOR_USER, PA_PAC_OPTIONS, PAC_OPTIONS_RBCD } from "../messages/s4u.ts"
import type { Settings } from "../settings.ts"
import { invalidToken } from "../status.ts"
import type { KerberosCredential } from "./credential.ts"
import { tgtFor } from "./initiator.ts"
import { paS4uX509User, s4uSelfClient } from "./s4uReply.ts"
import { wipeKey } from "../crypto/profile.ts"

type E = SecurityError.SspiError

const samePrincipal = (a: Principal, b: Principal) => a.realm === b.realm && sameName(a.name, b.name)

const asUser = (grant: TicketGrant): KerberosCredential => ({
  use: Flags.CredentialUse.OUTBOUND,
  client: grant.client,
  secret: undefined,
  tickets: [grant],
  serviceKeys: [],
  acceptAs: undefined
})

/**
 * S4U2Self: a forwardable (when the realm allows it) ticket from `user` to
 * the service `service` holds keys or tickets for, asked with PA-FOR-USER
 * and PA-S4U-X509-USER. The client reported is read from a protected field
 * (s4uReply.ts); the reply must be for the service (else SEC_E_INVALID_TOKEN).
 *
 * @since 0.2.0
 */
export const s4u2self = (
  settings: Settings,
  service: KerberosCredential,
  user: Principal,
  now: number
): Effect.Effect<KerberosCredential, E> =>
  Effect.gen(function*() {
    const self = service.client
    if (self === undefined) return yield* new SecurityError.NoCredentials({ detail: "S4U2Self needs the service's outbound credential" })
    const tgt = yield* tgtFor(settings, service, self, now)
    const reply = yield* tgsExchangeReply(settings.send, tgt, self, now, {
      options: KdcOptions.FORWARDABLE,
      // MS-SFU 3.1.5.1.1.1: PA-FOR-USER; 3.1.5.1.1.2: PA-S4U-X509-USER with it, bound to the nonce
      padata: (key, nonce) => [{ type: PA_FOR_USER, value: encodePaForUser(user, key) }, ...paS4uX509User(user, key, nonce)]
    })
    const grant = reply.grant
    const wipe = <A>(e: Effect.Effect<A, E>) => Effect.tapError(e, () => Effect.sync(() => wipeKey(grant.key.keyvalue)))
    // MS-SFU 3.1.5.1.2: the user from a protected field, the same as the clear-text cname
    const client = yield* wipe(s4uSelfClient(reply, tgt.key, user, service))
    // MS-SFU 3.1.5.1.1.1: a ticket to this service (the enc-part's sname, which the reply key protects)
    if (!samePrincipal(grant.server, self)) return yield* wipe(Effect.fail(invalidToken("the S4U2Self reply is not a ticket to this service")))
    return asUser({ ...grant, client })
  })

/**
 * S4U2Proxy: a ticket from the evidence ticket's client to `backend`,
 * requested with the service's TGT, KDC option CNAME-IN-ADDL-TKT and the
 * evidence as additional ticket. A KDC that does not allow it (KDC_ERR_BADOPTION,
 * KDC_ERR_POLICY) → SEC_E_DELEGATION_POLICY naming the back-end.
 *
 * @since 0.2.0
 */
export const s4u2proxy = (
  settings: Settings,
  service: KerberosCredential,
  evidence: TicketGrant,
  backend: Principal,
  now: number
): Effect.Effect<KerberosCredential, E> =>
  Effect.gen(function*() {
    const self = service.client
    if (self === undefined) return yield* new SecurityError.NoCredentials({ detail: "S4U2Proxy needs the service's outbound credential" })
    const tgt = yield* tgtFor(settings, service, self, now)
    const grant = yield* tgsExchange(settings.send, tgt, backend, now, {
      options: KdcOptions.FORWARDABLE | KdcOptions.CNAME_IN_ADDL_TKT,
      // MS-SFU 3.1.5.2.1: a client that supports resource-based constrained
      // delegation says so in PA-PAC-OPTIONS (as Windows clients always do)
      padata: () => [{ type: PA_PAC_OPTIONS, value: encodePaPacOptions(PAC_OPTIONS_RBCD) }],
      additionalTickets: [evidence.ticket]
    }).pipe(Effect.mapError((e) =>
      // MS-SFU 3.2.5.2.2: the KDC refuses a back-end the service may not delegate to
      // with KDC_ERR_BADOPTION (AD, Samba) or KDC_ERR_POLICY (MIT)
      /^KDC_ERR_(BADOPTION|POLICY)\b/.test(e.detail ?? "")
        ? new SecurityError.DelegationPolicy({ detail: `the KDC does not allow ${formatPrincipal(self)} to delegate to ${formatPrincipal(backend)} (${e.detail})` })
        : e
    ))
    // MS-SFU 3.1.5.2.1: the ticket is for the evidence's client
    if (!samePrincipal(grant.client, evidence.client)) {
      wipeKey(grant.key.keyvalue)
      return yield* invalidToken("the S4U2Proxy reply is not a ticket for the user")
    }
    return asUser(grant)
  })
