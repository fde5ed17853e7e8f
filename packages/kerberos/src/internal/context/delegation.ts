/**
 * Credential delegation (RFC 4121 section 4.1.1): the initiator's policy
 * (curl's `--delegation none|policy|always`), the KRB-CRED it sends with a
 * forwarded TGT, the acceptor's checks of a received KRB-CRED, and the
 * outbound credential made of a delegated TGT.
 *
 * @since 0.2.0
 */
import { Effect, Option, Result } from "effect"
import { Flags, type SecurityPackage, SecurityError } from "@effect-sspi/core"
import { enctype } from "../crypto/encryptionType.ts"
import { checkKey } from "../crypto/keys.ts"
import type { EncryptionProfile } from "../crypto/profile.ts"
import type { TicketGrant } from "../kdc/client.ts"
import { type EncryptionKey, type Principal, sameName } from "../messages/common.ts"
import { decodeEncKrbCredPart, decodeKrbCred, encodeEncKrbCredPart, encodeKrbCred, KRB_CRED_USAGE, type KrbCredInfo } from "../messages/cred.ts"
import { ErrorCode } from "../messages/error.ts"
import { TicketFlags } from "../messages/ticket.ts"
import { invalidToken, krbFailure } from "../status.ts"
import { copyBytes } from "../bytes.ts"
import type { KerberosCredential } from "./credential.ts"
import type { KerberosContext } from "./state.ts"
import { withinSkew } from "./replay.ts"
import { wipeKey } from "../crypto/profile.ts"

type E = SecurityError.SspiError

/**
 * When the initiator forwards the user's TGT: never; when it asks for
 * delegation (ISC_REQ_DELEGATE) and the service ticket has OK-AS-DELEGATE
 * (the realm's policy, as Windows does); or whenever it asks, whatever the
 * realm says (curl `--delegation always`, GSS_C_DELEG_FLAG).
 *
 * @since 0.2.0
 */
export type DelegationPolicy = SecurityPackage.DelegationPolicy

/**
 * A handshake request's delegation policy: core's `HandshakeRequest.delegation`
 * (kept as a name for callers of the package-level API).
 *
 * @since 0.2.0
 */
export type DelegationRequest = Pick<SecurityPackage.HandshakeRequest, "delegation">

/** The policy in force: the request's own, else ISC_REQ_DELEGATE → "policy", else "none". */
export const policyOf = (request: SecurityPackage.HandshakeRequest & DelegationRequest): DelegationPolicy =>
  request.delegation ?? ((request.contextReq & Flags.IscReq.DELEGATE) !== 0 ? "policy" : "none")

/** Whether to delegate to the service of `ticket` under `policy` (OK-AS-DELEGATE: RFC 4120 section 2.8). */
export const delegates = (policy: DelegationPolicy, ticket: TicketGrant): boolean =>
  policy === "always" || (policy === "policy" && (ticket.flags & TicketFlags.OK_AS_DELEGATE) !== 0)

const isTgtName = (p: Principal) => p.name.components.length === 2 && p.name.components[0] === "krbtgt"

/**
 * The KRB-CRED carrying `forwarded` (RFC 4120 section 5.8), its enc-part
 * encrypted in `key` (the AP-REQ's session key, RFC 4121 section 4.1.1) with
 * key usage 14.
 */
export const makeKrbCred = (forwarded: TicketGrant, profile: EncryptionProfile, key: EncryptionKey, now: number): Uint8Array => {
  const part = encodeEncKrbCredPart({
    ticketInfo: [{
      key: forwarded.key,
      prealm: forwarded.client.realm,
      pname: forwarded.client.name,
      flags: forwarded.flags,
      authtime: forwarded.authtime,
      starttime: forwarded.starttime,
      endtime: forwarded.endtime,
      srealm: forwarded.server.realm,
      sname: forwarded.server.name
    }],
    timestamp: Math.floor(now / 1000) * 1000,
    usec: (now % 1000) * 1000
  })
  const cipher = profile.encrypt(key.keyvalue, KRB_CRED_USAGE, part)
  part.fill(0)
  return encodeKrbCred({ tickets: [forwarded.ticket], encPart: { etype: key.keytype, cipher } })
}

/**
 * What the acceptor makes of a KRB-CRED: a delegated TGT, or nothing (the
 * context goes on without ASC_RET_DELEGATE) with the reason.
 *
 * @since 0.2.0
 */
export type Delegation =
  | { readonly _tag: "Delegated"; readonly tgt: TicketGrant }
  | { readonly _tag: "Dropped"; readonly reason: string }

const dropped = (info: KrbCredInfo, reason: string): Delegation => {
  wipeKey(info.key.keyvalue)
  return { _tag: "Dropped", reason }
}

/**
 * Decodes and checks the Deleg field of an authenticated AP-REQ. `keys` are
 * the keys the initiator may have used (its subkey, the session key);
 * `client` is the ticket's client. Refused with a typed error: a malformed
 * KRB-CRED (SEC_E_INVALID_TOKEN), one not encrypted (RFC 4121 section 4.1.1:
 * the KRB-CRED is encrypted; SEC_E_INVALID_TOKEN), one that does not decrypt
 * (SEC_E_LOGON_DENIED), one for another client (SEC_E_INVALID_TOKEN), one
 * that is not a TGT (SEC_E_INVALID_TOKEN), a timestamp outside the skew
 * (SEC_E_TIME_SKEW). Dropped (the logon stands): an expired or not yet valid
 * TGT, or one bound to addresses.
 */
export const readDelegation = (
  deleg: Uint8Array,
  keys: ReadonlyArray<EncryptionKey>,
  client: Principal,
  now: number,
  skew: number
): Effect.Effect<Delegation, E> =>
  Effect.gen(function*() {
    const cred = decodeKrbCred(deleg)
    if (Result.isFailure(cred)) return yield* invalidToken(`malformed KRB-CRED: ${cred.failure.reason}`)
    const { encPart, tickets } = cred.success
    // RFC 4121 section 4.1.1: the KRB-CRED is encrypted in the session key or subkey;
    // a null encryption (etype 0, as some old clients sent) is refused
    const candidates = keys.filter((k) => k.keytype === encPart.etype)
    if (candidates.length === 0) return yield* invalidToken("the KRB-CRED is not encrypted in the session key or subkey")
    let plain: Uint8Array | undefined
    for (const k of candidates) {
      const p = Option.getOrUndefined(enctype(k.keytype))?.decrypt(k.keyvalue, KRB_CRED_USAGE, encPart.cipher)
      if (p !== undefined && Result.isSuccess(p)) {
        plain = p.success
        break
      }
    }
    // RFC 4120 section 3.6.1: KRB_AP_ERR_BAD_INTEGRITY when the enc-part does not decrypt
    if (plain === undefined) return yield* krbFailure(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, "ap", "KRB-CRED")
    const part = decodeEncKrbCredPart(plain)
    plain.fill(0)
    if (Result.isFailure(part)) return yield* invalidToken(`malformed EncKrbCredPart: ${part.failure.reason}`)
    const infos = part.success.ticketInfo
    const wipe = () => infos.forEach((i) => wipeKey(i.key.keyvalue))
    const refuse = (error: E) => Effect.andThen(Effect.sync(wipe), Effect.fail(error))
    // RFC 4120 section 5.8.1: ticket-info[i] holds the key of tickets[i]; one TGT is delegated
    if (tickets.length !== 1 || infos.length !== 1) return yield* refuse(invalidToken("the KRB-CRED must carry exactly one ticket"))
    const info = infos[0]!
    const ticket = tickets[0]!
    // RFC 3961 section 3: the key has its enctype's length
    if (Result.isFailure(checkKey(info.key))) return yield* refuse(invalidToken("KRB-CRED: bad key"))
    // the delegated TGT is the authenticated client's own (RFC 4120 section 3.2.3's rule for the
    // authenticator, applied to the forwarded credential): another principal is refused
    if (info.pname === undefined || info.prealm === undefined || info.prealm !== client.realm || !sameName(info.pname, client.name)) {
      return yield* refuse(krbFailure(ErrorCode.KRB_AP_ERR_BADMATCH, "ap", "the delegated ticket is not the client's"))
    }
    // a TGT of the client's own realm (krbtgt/CLIENT.REALM@CLIENT.REALM), the same service
    // as the ticket it describes: a cross-realm "TGT" would be kept as delegated and fail later
    const server: Principal | undefined = info.sname === undefined || info.srealm === undefined
      ? undefined
      : { name: info.sname, realm: info.srealm }
    if (
      server === undefined || !isTgtName(server) || !sameName(server.name, ticket.sname) || server.realm !== ticket.realm ||
      server.realm !== client.realm || server.name.components[1] !== client.realm
    ) {
      return yield* refuse(invalidToken("the delegated ticket is not a ticket-granting ticket"))
    }
    // RFC 4120 section 3.6.1: a timestamp, when present, within the allowable skew
    if (part.success.timestamp !== undefined && !withinSkew(part.success.timestamp, now, skew)) {
      return yield* refuse(krbFailure(ErrorCode.KRB_AP_ERR_SKEW, "ap", "KRB-CRED timestamp"))
    }
    // RFC 4120 section 5.3: usable only between starttime and endtime (with the skew)
    if (info.endtime === undefined || now - info.endtime > skew) return dropped(info, "the delegated ticket has expired")
    const start = info.starttime ?? info.authtime ?? now
    if (start - skew > now) return dropped(info, "the delegated ticket is not yet valid")
    // RFC 4120 section 5.3 caddr: an address-bound TGT is only usable from those addresses,
    // which this process cannot know are its own
    if (info.caddr !== undefined && info.caddr.length > 0) return dropped(info, "the delegated ticket is bound to addresses")
    return {
      _tag: "Delegated",
      tgt: {
        client,
        server,
        ticket,
        key: info.key,
        authtime: info.authtime ?? start,
        starttime: start,
        endtime: info.endtime,
        flags: info.flags ?? 0
      }
    }
  })

/** No tickets, or a key zeroed (the source was released). */
const released = (tickets: ReadonlyArray<TicketGrant>) => tickets.length === 0 || tickets.some((t) => t.key.keyvalue.every((b) => b === 0))

/**
 * Tickets that act for a user, opaque, as authData for
 * AcquireCredentialsHandle (OUTBOUND): a context's delegated TGT (what a
 * `DelegatedCredential` context attribute hands the caller), or the tickets
 * of an outbound credential acting for a user (S4U2Proxy's). It refers to
 * the source's tickets; acquiring copies them, so releasing the source
 * first (deleting the context, freeing the credential: keys zeroed) leaves
 * nothing to acquire.
 *
 * @since 0.2.0
 */
export class DelegatedTickets {
  readonly #tickets: ReadonlyArray<TicketGrant>
  constructor(tickets: ReadonlyArray<TicketGrant>) {
    this.#tickets = [...tickets]
  }
  /** Copies with their own keys, or undefined once the source has been released (a key zeroed). */
  copy(): Array<TicketGrant> | undefined {
    const all = this.#tickets
    if (released(all)) return undefined
    return all.map((t) => ({ ...t, key: { keytype: t.key.keytype, keyvalue: copyBytes(t.key.keyvalue) } }))
  }
  toJSON() {
    return "DelegatedTickets(<redacted>)"
  }
}

/**
 * authData carrying tickets that act for a user (a delegated TGT, S4U2Proxy's ticket).
 *
 * @since 0.2.0
 */
export interface DelegatedAuthData {
  readonly delegated: DelegatedTickets
}

const none = () => new SecurityError.NoCredentials({ detail: "the client delegated no credential (or the context was deleted)" })

/** The context's delegated TGT as authData, or SEC_E_NO_CREDENTIALS. */
export const delegatedAuthData = (state: KerberosContext): Effect.Effect<DelegatedAuthData, E> =>
  state.role === "acceptor" && state.delegated !== undefined
    ? Effect.succeed({ delegated: new DelegatedTickets([state.delegated]) })
    : Effect.fail(none())

/**
 * The tickets of an outbound credential acting for its client (S4U2Proxy's,
 * S4U2Self's, a delegated TGT's) as authData, or SEC_E_NO_CREDENTIALS when it
 * holds no ticket of its client (or was freed). Its keys, password or
 * keytab are never passed on: only tickets.
 */
export const credentialAuthData = (credential: KerberosCredential): Effect.Effect<DelegatedAuthData, E> => {
  const client = credential.client
  const tickets = client === undefined
    ? []
    : credential.tickets.filter((t) => t.client.realm === client.realm && sameName(t.client.name, client.name))
  return (credential.use & Flags.CredentialUse.OUTBOUND) !== 0 && !released(tickets)
    ? Effect.succeed({ delegated: new DelegatedTickets(tickets) })
    : Effect.fail(new SecurityError.NoCredentials({ detail: "the credential holds no ticket acting for its client (or was freed)" }))
}

/** Whether AcquireCredentialsHandle's authData is a {@link DelegatedAuthData}. */
export const isDelegatedAuthData = (a: unknown): a is DelegatedAuthData =>
  typeof a === "object" && a !== null && "delegated" in a && (a as DelegatedAuthData).delegated instanceof DelegatedTickets

/** The client and a copy of the tickets of an outbound credential made of delegated authData, or SEC_E_NO_CREDENTIALS. */
export const fromDelegatedAuthData = (a: DelegatedAuthData): Effect.Effect<{ readonly client: Principal; readonly tickets: Array<TicketGrant> }, E> => {
  const tickets = a.delegated.copy()
  return tickets === undefined ? Effect.fail(none()) : Effect.succeed({ client: tickets[0]!.client, tickets })
}

/**
 * An outbound credential holding a copy of the context's delegated TGT
 * (acquire-free: the caller frees it with the package's `freeCredentials`),
 * or SEC_E_NO_CREDENTIALS when the client delegated nothing.
 *
 * @since 0.2.0
 */
export const delegatedCredential = (state: KerberosContext): Effect.Effect<KerberosCredential, E> =>
  Effect.flatMap(Effect.flatMap(delegatedAuthData(state), fromDelegatedAuthData), ({ client, tickets }) =>
    Effect.succeed({
      use: Flags.CredentialUse.OUTBOUND,
      client,
      secret: undefined,
      tickets,
      serviceKeys: [],
      acceptAs: undefined
    }))
