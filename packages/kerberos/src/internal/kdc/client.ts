/**
 * The KDC client: the AS exchange with PA-ENC-TIMESTAMP pre-authentication
 * (answering KDC_ERR_PREAUTH_REQUIRED with the ETYPE-INFO2 salt and
 * parameters) and the TGS exchange for a service ticket (RFC 4120 sections
 * 3.1 and 3.3).
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { Effect, Option, Redacted, Result } from "effect"
import { SecurityError } from "@effect-sspi/core"
import { enctype } from "../crypto/encryptionType.ts"
import { checkKey } from "../crypto/keys.ts"
import type { EncryptionProfile } from "../crypto/profile.ts"
import * as Der from "../asn1/der.ts"
import { type EncryptionKey, formatPrincipal, NameType, type Principal, sameName } from "../messages/common.ts"
import { encodeApReq, encodeAuthenticator } from "../messages/ap.ts"
import { decodeKrbError, ErrorCode, type KrbError } from "../messages/error.ts"
import {
  decodeEncKdcRepPart,
  type EncKdcRepPart,
  encodeKdcReq,
  encodeKdcReqBody,
  KdcOptions,
  type KdcRep,
  readKdcRep
} from "../messages/kdc.ts"
import {
  decodeEtypeInfo2,
  decodeMethodData,
  encodePaEncTsEnc,
  type EtypeInfo2Entry,
  PaType
} from "../messages/padata.ts"
import { encodeEncryptedData } from "../messages/common.ts"
import { decodeTicket, type Ticket, TicketFlags } from "../messages/ticket.ts"
import { checkEncPaRep, REQ_ENC_PA_REP } from "./encPaRep.ts"
import { invalidToken, krbFailure } from "../status.ts"
import { copyBytes } from "../bytes.ts"
import { wipeKey } from "../crypto/profile.ts"
import { passwordKey } from "../crypto/passwordKey.ts"

/**
 * A ticket with its session key (a TGT or a service ticket). `key.keyvalue`
 * is secret.
 *
 * @since 0.1.0
 */
export interface TicketGrant {
  readonly client: Principal
  readonly server: Principal
  readonly ticket: Ticket
  readonly key: EncryptionKey
  readonly authtime: number
  readonly starttime: number
  readonly endtime: number
  readonly flags: number
}

/**
 * Sends one request to a KDC of `realm` and returns the reply.
 *
 * @since 0.1.0
 */
export type KdcSend = (realm: string, request: Uint8Array) => Effect.Effect<Uint8Array, SecurityError.SspiError>

/**
 * The client's long-term secret: a password (keys derived per the KDC's
 * salt) or keys (from a keytab).
 *
 * @since 0.1.0
 */
export type ClientSecret =
  | { readonly _tag: "Password"; readonly password: Redacted.Redacted<string> }
  | { readonly _tag: "Keys"; readonly keys: ReadonlyArray<EncryptionKey> }

/** Encryption types requested for tickets whose keys protect GSS messages (RFC 4121 tokens: AES). */
export const TGS_ETYPES: ReadonlyArray<number> = [20, 19, 18, 17, 23]
/** Encryption types offered in the AS exchange. */
export const AS_ETYPES: ReadonlyArray<number> = [20, 19, 18, 17, 23]

const nonce = () => randomBytes(4).readUInt32BE(0) & 0x7fffffff

const profileOf = (etype: number, phase: "as" | "tgs"): Effect.Effect<EncryptionProfile, SecurityError.SspiError> =>
  Option.match(enctype(etype), {
    onNone: () => Effect.fail(krbFailure(ErrorCode.KDC_ERR_ETYPE_NOSUPP, phase, `encryption type ${etype}`)),
    onSome: Effect.succeed
  })

type Reply = { readonly _tag: "Error"; readonly error: KrbError } | { readonly _tag: "Rep"; readonly rep: KdcRep }

const decodeReply = Der.decodeWith((bytes): Reply => {
  if (bytes[0] === 0x7e) {
    const e = decodeKrbError(bytes)
    return Result.isSuccess(e) ? { _tag: "Error", error: e.success } : Der.fail(e.failure.reason)
  }
  return { _tag: "Rep", rep: readKdcRep(Der.parse(bytes)) }
})

const reply = (bytes: Uint8Array) =>
  Result.match(decodeReply(bytes), {
    onFailure: (e) => Effect.fail(invalidToken(`malformed KDC reply: ${e.reason}`)),
    onSuccess: (r) => Effect.succeed(r)
  })

/** RFC 4120 section 4: the default salt, the realm then the name components. */
export const defaultSalt = (p: Principal): string => p.realm + p.name.components.join("")

/** The client key for `etype`, from the password (with salt and s2kparams) or the keys. */
const clientKey = (
  secret: ClientSecret,
  client: Principal,
  profile: EncryptionProfile,
  info: EtypeInfo2Entry | undefined
): Effect.Effect<Uint8Array, SecurityError.SspiError> => {
  if (secret._tag === "Keys") {
    const key = secret.keys.find((k) => k.keytype === profile.enctype)
    return key === undefined
      ? Effect.fail(krbFailure(ErrorCode.KDC_ERR_ETYPE_NOSUPP, "as", "no key of the KDC's encryption type"))
      : Effect.succeed(copyBytes(key.keyvalue))
  }
  // issue 9 D7: the iteration count is bounded at MIT's limit (profile.ts
  // MAX_ITERATIONS) and PBKDF2 runs off the event loop (stringToKeyAsync)
  return passwordKey(profile, secret.password, info?.salt ?? defaultSalt(client), info?.s2kparams).pipe(
    Effect.mapError(() => invalidToken("the KDC asked for unreasonable string-to-key parameters"))
  )
}

const chooseInfo = (padata: ReadonlyArray<{ readonly type: number; readonly value: Uint8Array }>, etypes: ReadonlyArray<number>) => {
  const entry = padata.find((p) => p.type === PaType.ETYPE_INFO2)
  if (entry === undefined) return undefined
  const decoded = decodeEtypeInfo2(entry.value)
  if (Result.isFailure(decoded)) return undefined
  return decoded.success.find((e) => etypes.includes(e.etype) && Option.isSome(enctype(e.etype)))
}

/** Decrypts and checks a KDC reply's enc-part. */
const openReply = (
  rep: KdcRep,
  key: Uint8Array,
  usage: number,
  expectedNonce: number,
  phase: "as" | "tgs"
): Effect.Effect<EncKdcRepPart, SecurityError.SspiError> =>
  Effect.flatMap(profileOf(rep.encPart.etype, phase), (profile) => {
    const plain = profile.decrypt(key, usage, rep.encPart.cipher)
    if (Result.isFailure(plain)) return Effect.fail(krbFailure(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, phase))
    const part = decodeEncKdcRepPart(plain.success)
    plain.success.fill(0)
    if (Result.isFailure(part)) return Effect.fail(invalidToken(`malformed EncKDCRepPart: ${part.failure.reason}`))
    if (part.success.nonce !== expectedNonce) {
      wipeKey(part.success.key.keyvalue)
      return Effect.fail(invalidToken("the KDC reply does not answer our request (nonce)"))
    }
    // RFC 3961 section 3: the new session key has its enctype's length, and
    // RFC 4120 section 3.1.3 / 3.3.3: a supported type (issue 9 D6)
    const checked = checkKey(part.success.key)
    if (Result.isFailure(checked)) {
      wipeKey(part.success.key.keyvalue)
      return Effect.fail(
        checked.failure === "UnsupportedType"
          ? krbFailure(ErrorCode.KDC_ERR_ETYPE_NOSUPP, phase, "session key")
          : invalidToken("malformed EncKDCRepPart: session key length does not match its encryption type")
      )
    }
    return Effect.succeed(part.success)
  })

const grant = (rep: KdcRep, part: EncKdcRepPart): TicketGrant => ({
  client: { name: rep.cname, realm: rep.crealm },
  server: { name: part.sname, realm: part.srealm },
  ticket: rep.ticket,
  key: part.key,
  authtime: part.authtime,
  starttime: part.starttime ?? part.authtime,
  endtime: part.endtime,
  flags: part.flags
})

/**
 * How the AS exchange names the client (RFC 6806): `canonicalize` sets the
 * KDC option, so the KDC may answer with the canonical name (and refer the
 * client to another realm); an enterprise name (name type 10, a UPN) always
 * asks for it, as MIT's `kinit -E` does.
 *
 * @since 0.3.0
 */
export interface AsOptions {
  readonly canonicalize?: boolean | undefined
}

/** MIT's KRB5_REFERRAL_MAXHOPS is 10; AD forests are shallow: 5 client referrals at most. */
export const MAX_CLIENT_REFERRALS = 5

/**
 * The AS exchange: a TGT for `client`, pre-authenticated with an encrypted
 * timestamp when the KDC asks for it. With canonicalization (RFC 6806), the
 * KDC's canonical cname/crealm become the grant's client and
 * KDC_ERR_WRONG_REALM with a crealm is followed to that realm's KDC (at most
 * {@link MAX_CLIENT_REFERRALS} hops).
 *
 * @since 0.1.0
 */
export const asExchange = (
  send: KdcSend,
  client: Principal,
  secret: ClientSecret,
  now: number,
  lifetimeMs: number,
  options: AsOptions = {}
): Effect.Effect<TicketGrant, SecurityError.SspiError> =>
  Effect.gen(function*() {
    // RFC 6806 section 5: an enterprise name is only meaningful with canonicalization
    const canonicalize = options.canonicalize === true || client.name.nameType === NameType.ENTERPRISE
    let realm = client.realm
    const visited: Array<string> = []
    for (;;) {
      const outcome = yield* asAttempt(send, { name: client.name, realm }, secret, now, lifetimeMs, canonicalize)
      if (outcome._tag === "Grant") return outcome.grant
      // RFC 6806 section 7 (client referrals): KDC_ERR_WRONG_REALM whose crealm names the
      // client's realm; followed only when we asked for canonicalization, never in a loop,
      // and at most MAX_CLIENT_REFERRALS times
      visited.push(realm)
      const next = outcome.realm
      if (!canonicalize) return yield* Effect.fail(krbFailure(ErrorCode.KDC_ERR_WRONG_REALM, "as", "a client referral to a request without canonicalization"))
      if (visited.includes(next)) {
        return yield* new SecurityError.NoAuthenticatingAuthority({ detail: `client referral loop: ${[...visited, next].join(" → ")}` })
      }
      if (visited.length > MAX_CLIENT_REFERRALS) {
        return yield* new SecurityError.NoAuthenticatingAuthority({ detail: `more than ${MAX_CLIENT_REFERRALS} client referrals: ${[...visited, next].join(" → ")}` })
      }
      realm = next
    }
  })

type AsOutcome = { readonly _tag: "Grant"; readonly grant: TicketGrant } | { readonly _tag: "Referral"; readonly realm: string }

const referralOf = (error: KrbError): AsOutcome | undefined =>
  error.errorCode === ErrorCode.KDC_ERR_WRONG_REALM && error.crealm !== undefined && error.crealm !== ""
    ? { _tag: "Referral", realm: error.crealm }
    : undefined

/** One AS exchange with one realm's KDC. */
const asAttempt = (
  send: KdcSend,
  client: Principal,
  secret: ClientSecret,
  now: number,
  lifetimeMs: number,
  canonicalize: boolean
): Effect.Effect<AsOutcome, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const tgs: Principal = { name: { nameType: 2, components: ["krbtgt", client.realm] }, realm: client.realm }
    const etypes = secret._tag === "Keys"
      ? AS_ETYPES.filter((e) => secret.keys.some((k) => k.keytype === e))
      : AS_ETYPES
    const request = (padata: ReadonlyArray<{ readonly type: number; readonly value: Uint8Array }>, n: number) =>
      encodeKdcReq(
        10,
        padata,
        encodeKdcReqBody({
          // forwardable, as Windows asks for every TGT (so that ISC_REQ_DELEGATE can work later)
          options: KdcOptions.FORWARDABLE | (canonicalize ? KdcOptions.CANONICALIZE : 0),
          cname: client.name,
          realm: client.realm,
          sname: tgs.name,
          till: now + lifetimeMs,
          nonce: n,
          etypes
        })
      )
    // RFC 6806 section 11: every AS-REQ asks for the KDC's proof that it saw the request as sent
    let n = nonce()
    let sent = request([REQ_ENC_PA_REP], n)
    let r = yield* Effect.flatMap(send(client.realm, sent), reply)
    let info: EtypeInfo2Entry | undefined
    let key: Uint8Array | undefined
    let keyEtype: number | undefined
    if (r._tag === "Error") {
      const referral = referralOf(r.error)
      if (referral !== undefined) return referral
      if (r.error.errorCode !== ErrorCode.KDC_ERR_PREAUTH_REQUIRED) {
        return yield* Effect.fail(krbFailure(r.error.errorCode, "as"))
      }
      const methods = r.error.eData === undefined ? undefined : decodeMethodData(r.error.eData)
      info = methods !== undefined && Result.isSuccess(methods) ? chooseInfo(methods.success, etypes) : undefined
      const etype = info?.etype ?? etypes[0]!
      const profile = yield* profileOf(etype, "as")
      key = yield* clientKey(secret, client, profile, info)
      keyEtype = etype
      const stamp = encodePaEncTsEnc(now)
      const encTs = Der.encode(encodeEncryptedData({ etype, cipher: profile.encrypt(key, 1, stamp) }))
      n = nonce()
      sent = request([{ type: PaType.ENC_TIMESTAMP, value: encTs }, REQ_ENC_PA_REP], n)
      r = yield* Effect.flatMap(send(client.realm, sent), reply)
      if (r._tag === "Error") {
        wipeKey(key)
        const later = referralOf(r.error)
        if (later !== undefined) return later
        return yield* Effect.fail(krbFailure(r.error.errorCode, "as"))
      }
    }
    const rep = r.rep
    // RFC 4120 section 3.1.5: "the client verifies that the cname and crealm fields in the
    // cleartext portion of the reply match what it requested"; RFC 6806 section 5 relaxes this
    // only when the client asked for canonicalization (then the KDC's name is the canonical one)
    if (!canonicalize && (rep.crealm !== client.realm || !sameName(rep.cname, client.name))) {
      wipeKey(key)
      return yield* invalidToken(
        `the AS reply names the client ${formatPrincipal({ name: rep.cname, realm: rep.crealm })}, not ${formatPrincipal(client)}, and canonicalization was not requested`
      )
    }
    // RFC 4120 section 3.1.5: the reply's enc-part is in one of the etypes we
    // requested; a key of another type is never used for it (issue 9 D5)
    if (!etypes.includes(rep.encPart.etype)) {
      wipeKey(key)
      return yield* invalidToken(`the KDC replied in encryption type ${rep.encPart.etype}, which we did not request`)
    }
    if (key === undefined || keyEtype !== rep.encPart.etype) {
      wipeKey(key)
      const repInfo = chooseInfo(rep.padata, [rep.encPart.etype])
      key = yield* clientKey(secret, client, yield* profileOf(rep.encPart.etype, "as"), repInfo)
    }
    const renamed = rep.crealm !== client.realm || !sameName(rep.cname, client.name)
      ? `the KDC names the client ${formatPrincipal({ name: rep.cname, realm: rep.crealm })}, not ${formatPrincipal(client)}`
      : undefined
    const replyKey = { keytype: rep.encPart.etype, keyvalue: key }
    const part = yield* Effect.flatMap(openReply(rep, key, 3, n, "as"), (p) =>
      // RFC 6806 section 11: the request as sent (always when the KDC proves it; required when it renamed the client)
      checkEncPaRep(p, sent, replyKey, renamed).pipe(
        Effect.as(p),
        Effect.tapError(() => Effect.sync(() => wipeKey(p.key.keyvalue)))
      )).pipe(Effect.ensuring(Effect.sync(() => wipeKey(key!))))
    // RFC 4120 section 3.1.5 / RFC 6806 section 5: the TGT is for the realm the reply names
    // (the sname/srealm of the encrypted part, which the KDC's key protects)
    if (part.srealm !== rep.crealm || part.sname.components[0] !== "krbtgt") {
      wipeKey(part.key.keyvalue)
      return yield* invalidToken(`the AS reply's ticket is for ${formatPrincipal({ name: part.sname, realm: part.srealm })}, not a TGT of ${rep.crealm}`)
    }
    return { _tag: "Grant", grant: grant(rep, part) } as const
  })

/**
 * What a TGS-REQ may carry besides the TGT: KDC options (FORWARDED for a
 * forwarded TGT, CNAME_IN_ADDL_TKT for S4U2Proxy), extra PA-DATA (PA-FOR-USER
 * and PA-S4U-X509-USER for S4U2Self, built with the TGT session key and the
 * request's nonce) and additional tickets (S4U2Proxy's evidence).
 *
 * @since 0.2.0
 */
export interface TgsExtras {
  readonly options?: number | undefined
  readonly padata?: (tgtKey: EncryptionKey, nonce: number) => ReadonlyArray<{ readonly type: number; readonly value: Uint8Array }>
  readonly additionalTickets?: ReadonlyArray<Ticket> | undefined
}

/**
 * A TGS reply: the grant, the reply's (unencrypted) PA-DATA and the nonce
 * the request carried. The reply key is the TGT session key (no subkey is
 * sent).
 *
 * @since 0.3.0
 */
export interface TgsReply {
  readonly grant: TicketGrant
  readonly padata: ReadonlyArray<{ readonly type: number; readonly value: Uint8Array }>
  readonly nonce: number
}

/**
 * The TGS exchange, with the reply's PA-DATA (for checks such as S4U2Self's
 * PA-S4U-X509-USER, MS-SFU 3.1.5.1.2).
 *
 * @since 0.3.0
 */
export const tgsExchangeReply = (
  send: KdcSend,
  tgt: TicketGrant,
  service: Principal,
  now: number,
  extras: TgsExtras = {}
): Effect.Effect<TgsReply, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const profile = yield* profileOf(tgt.key.keytype, "tgs")
    const n = nonce()
    const body = encodeKdcReqBody({
      options: extras.options ?? 0,
      realm: service.realm,
      sname: service.name,
      till: tgt.endtime,
      nonce: n,
      etypes: TGS_ETYPES,
      additionalTickets: extras.additionalTickets
    })
    const authenticator = encodeAuthenticator({
      crealm: tgt.client.realm,
      cname: tgt.client.name,
      cksum: { cksumtype: profile.checksumType, checksum: profile.checksum(tgt.key.keyvalue, 6, body) },
      cusec: (now % 1000) * 1000,
      ctime: now
    })
    const apReq = encodeApReq({
      options: 0,
      ticket: tgt.ticket,
      authenticator: { etype: profile.enctype, cipher: profile.encrypt(tgt.key.keyvalue, 7, authenticator) }
    })
    const padata = [{ type: PaType.TGS_REQ, value: apReq }, ...(extras.padata?.(tgt.key, n) ?? [])]
    const r = yield* Effect.flatMap(send(tgt.server.realm, encodeKdcReq(12, padata, body)), reply)
    if (r._tag === "Error") return yield* Effect.fail(krbFailure(r.error.errorCode, "tgs"))
    // RFC 4120 section 5.4.2: the TGS-REP enc-part is encrypted in the TGT session key
    if (r.rep.encPart.etype !== tgt.key.keytype) {
      return yield* invalidToken("the TGS reply is not encrypted in the TGT session key's type")
    }
    const part = yield* openReply(r.rep, tgt.key.keyvalue, 8, n, "tgs")
    return { grant: grant(r.rep, part), padata: r.rep.padata, nonce: n }
  })

/**
 * The TGS exchange: a ticket for `service` with the TGT (`extras`: KDC
 * options, extra PA-DATA, additional tickets).
 *
 * @since 0.1.0
 */
export const tgsExchange = (
  send: KdcSend,
  tgt: TicketGrant,
  service: Principal,
  now: number,
  extras: TgsExtras = {}
): Effect.Effect<TicketGrant, SecurityError.SspiError> =>
  Effect.map(tgsExchangeReply(send, tgt, service, now, extras), (r) => r.grant)

/**
 * A forwarded TGT (RFC 4120 section 2.6): a TGS exchange for the TGT's own
 * service with KDC options FORWARDED and FORWARDABLE. The KDC grants it only
 * for a FORWARDABLE TGT, so a TGT without the flag is refused here first
 * (SEC_E_DELEGATION_POLICY); a reply without the FORWARDED flag is refused too.
 *
 * @since 0.2.0
 */
export const forwardedTgt = (
  send: KdcSend,
  tgt: TicketGrant,
  now: number
): Effect.Effect<TicketGrant, SecurityError.SspiError> =>
  Effect.gen(function*() {
    // RFC 4120 section 2.6: "The FORWARDABLE flag in a ticket is normally only interpreted by the TGS"
    // and a forwarded TGT is issued only from a FORWARDABLE one
    if ((tgt.flags & TicketFlags.FORWARDABLE) === 0) {
      return yield* new SecurityError.DelegationPolicy({ detail: "the ticket-granting ticket is not forwardable" })
    }
    const forwarded = yield* tgsExchange(send, tgt, tgt.server, now, { options: KdcOptions.FORWARDED | KdcOptions.FORWARDABLE })
    if ((forwarded.flags & TicketFlags.FORWARDED) === 0 || !sameName(forwarded.client.name, tgt.client.name)) {
      wipeKey(forwarded.key.keyvalue)
      return yield* invalidToken("the KDC did not answer with a forwarded ticket-granting ticket for the client")
    }
    return forwarded
  })

/**
 * A grant from an MIT ccache entry (its ticket decoded).
 *
 * @since 0.1.0
 */
export const grantFromCache = (entry: {
  readonly client: Principal
  readonly server: Principal
  readonly key: EncryptionKey
  readonly authtime: number
  readonly starttime: number
  readonly endtime: number
  readonly flags: number
  readonly ticket: Uint8Array
}): TicketGrant | undefined => {
  const ticket = decodeTicket(entry.ticket)
  return Result.isFailure(ticket) ? undefined : {
    client: entry.client,
    server: entry.server,
    ticket: ticket.success,
    key: entry.key,
    authtime: entry.authtime,
    starttime: entry.starttime === 0 ? entry.authtime : entry.starttime,
    endtime: entry.endtime,
    flags: entry.flags
  }
}
