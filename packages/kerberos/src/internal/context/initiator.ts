/**
 * InitializeSecurityContext for Kerberos: TGT (AS exchange, or cached),
 * service ticket (TGS exchange, or cached), AP-REQ with authenticator,
 * subkey, sequence number and the GSS checksum; then, for mutual
 * authentication, the AP-REP check.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { Effect, Option, Result } from "effect"
import { ChannelBindings, Flags, SecBuffer, SecurityError } from "@effect-sspi/core"
import type { SecurityPackage } from "@effect-sspi/core"
import { enctype } from "../crypto/encryptionType.ts"
import { badLength } from "../crypto/keys.ts"
import { encodeGssChecksum, GSS_CHECKSUM_TYPE, GssFlags } from "../gss/checksum.ts"
import { frame, TokenId, unframe } from "../gss/framing.ts"
import { asExchange, forwardedTgt, tgsExchange, type TicketGrant } from "../kdc/client.ts"
import { ApOptions, decodeApRep, decodeEncApRepPart, encodeApReq, encodeAuthenticator } from "../messages/ap.ts"
import { formatPrincipal, NameType, parsePrincipal, type Principal, sameName } from "../messages/common.ts"
import { decodeKrbError, ErrorCode } from "../messages/error.ts"
import type { Settings } from "../settings.ts"
import { invalidToken, krbFailure } from "../status.ts"
import type { KerberosCredential } from "./credential.ts"
import type { KerberosContext } from "./state.ts"
import { delegates, type DelegationRequest, makeKrbCred, policyOf } from "./delegation.ts"
import { copyBytes } from "../bytes.ts"
import { wipeKey } from "../crypto/profile.ts"

type Step = SecurityPackage.HandshakeStep<KerberosContext>
type E = SecurityError.SspiError

/**
 * The service principal of an SSPI target name: "svc/host[@REALM]", or the
 * GSS host-based form "svc@host". Without an explicit realm, the host's
 * realm is krb5.conf's `[domain_realm]` mapping (`realmOfHost`, as MIT's
 * krb5_get_host_realm), else `defaultRealm` (the client's).
 *
 * @since 0.1.0
 */
export const targetPrincipal = (
  target: string,
  defaultRealm: string,
  realmOfHost: (host: string) => string | undefined = () => undefined
): Principal => {
  if (!target.includes("/") && target.includes("@")) {
    const at = target.indexOf("@")
    const host = target.slice(at + 1)
    return { name: { nameType: NameType.SRV_HST, components: [target.slice(0, at), host] }, realm: realmOfHost(host) ?? defaultRealm }
  }
  const parsed = parsePrincipal(target, "", NameType.SRV_HST)
  if (parsed.realm !== "") return parsed
  const host = parsed.name.components.length === 2 ? parsed.name.components[1]! : undefined
  return { ...parsed, realm: (host === undefined ? undefined : realmOfHost(host)) ?? defaultRealm }
}

const isTgt = (t: TicketGrant, realm: string) =>
  t.server.name.components.length === 2 && t.server.name.components[0] === "krbtgt" && t.server.name.components[1] === realm

const usable = (t: TicketGrant, now: number) => t.endtime > now

/** The credential's TGT: a live cached one, else an AS exchange with its secret. */
export const tgtFor = (settings: Settings, cred: KerberosCredential, client: Principal, now: number): Effect.Effect<TicketGrant, E> => {
  const cached = cred.tickets.filter((t) => isTgt(t, client.realm))
  const live = cached.find((t) => usable(t, now))
  if (live !== undefined) return Effect.succeed(live)
  if (cred.secret === undefined) {
    return Effect.fail(
      cached.length > 0
        ? new SecurityError.ContextExpired({ detail: "the cached ticket-granting ticket has expired" })
        : new SecurityError.NoCredentials({ detail: "no ticket-granting ticket and no password or key" })
    )
  }
  return Effect.tap(
    asExchange(settings.send, client, cred.secret, now, settings.ticketLifetimeMs, { canonicalize: settings.canonicalize }),
    (tgt) => Effect.sync(() => cred.tickets.push(tgt))
  )
}

const serviceTicket = (
  settings: Settings,
  cred: KerberosCredential,
  client: Principal,
  service: Principal,
  now: number
): Effect.Effect<TicketGrant, E> => {
  const cached = cred.tickets.filter((t) => sameName(t.server.name, service.name) && t.server.realm === service.realm)
  const live = cached.find((t) => usable(t, now))
  if (live !== undefined) return Effect.succeed(live)
  return Effect.flatMap(tgtFor(settings, cred, client, now), (tgt) =>
    Effect.tap(tgsExchange(settings.send, tgt, service, now), (t) => Effect.sync(() => cred.tickets.push(t))))
}

/** ISC_REQ_* → GSS flags (the low bits coincide); confidentiality and integrity are always offered, as MIT does. */
const gssFlagsOf = (contextReq: number) =>
  (contextReq & (GssFlags.MUTUAL | GssFlags.REPLAY | GssFlags.SEQUENCE)) | GssFlags.CONF | GssFlags.INTEG

const retFlags = (gssFlags: number) =>
  (gssFlags & (Flags.IscRet.DELEGATE | Flags.IscRet.MUTUAL_AUTH | Flags.IscRet.REPLAY_DETECT | Flags.IscRet.SEQUENCE_DETECT)) |
  Flags.IscRet.CONFIDENTIALITY | Flags.IscRet.INTEGRITY

/** The MD5 of SECBUFFER_CHANNEL_BINDINGS, or zeros. */
export const channelBindingsOf = (input: ReadonlyArray<SecBuffer.SecBuffer>): Effect.Effect<Uint8Array, E> =>
  Effect.fromResult(Result.map(ChannelBindings.hashOfInput(input), (hash) => hash ?? new Uint8Array(16)))

const first = (
  settings: Settings,
  cred: KerberosCredential,
  request: SecurityPackage.HandshakeRequest & DelegationRequest
): Effect.Effect<Step, E> =>
  Effect.gen(function*() {
    const now = request.now
    if (cred.client === undefined) return yield* new SecurityError.NoCredentials({ detail: "not an outbound credential" })
    if (request.targetName === undefined || request.targetName === "") {
      return yield* new SecurityError.TargetUnknown({ detail: "no target name" })
    }
    const service = targetPrincipal(request.targetName, cred.client.realm, settings.realmOfHost)
    // a service in another realm needs a cross-realm TGT (RFC 4120 section 1.2), which this
    // package does not fetch: said plainly, before any KDC is asked for the wrong realm's ticket
    if (service.realm !== cred.client.realm) {
      return yield* new SecurityError.TargetUnknown({
        detail: `${formatPrincipal(service)} is in realm ${service.realm} (the client's is ${cred.client.realm}): cross-realm tickets are not supported`
      })
    }
    const ticket = yield* serviceTicket(settings, cred, cred.client, service, now)
    const profile = Option.getOrUndefined(enctype(ticket.key.keytype))
    if (profile === undefined) return yield* krbFailure(ErrorCode.KDC_ERR_ETYPE_NOSUPP, "ap")
    const bindings = yield* channelBindingsOf(request.input)
    // RFC 4121 section 4.1.1: a forwarded TGT as KRB-CRED in the checksum's Deleg field,
    // encrypted in the session key (MIT's choice; its acceptor and ours also try the subkey)
    let deleg: Uint8Array | undefined
    if (delegates(policyOf(request), ticket)) {
      const forwarded = yield* Effect.flatMap(tgtFor(settings, cred, cred.client, now), (tgt) => forwardedTgt(settings.send, tgt, now))
      deleg = makeKrbCred(forwarded, profile, ticket.key, now)
      wipeKey(forwarded.key.keyvalue)
    }
    const gssFlags = gssFlagsOf(request.contextReq) | (deleg === undefined ? 0 : GssFlags.DELEG)
    const subkey = { keytype: profile.enctype, keyvalue: profile.randomToKey(randomBytes(profile.keyLength)) }
    const seq = randomBytes(4).readUInt32BE(0) & 0x3fffffff
    const authenticator = encodeAuthenticator({
      crealm: ticket.client.realm,
      cname: ticket.client.name,
      cksum: { cksumtype: GSS_CHECKSUM_TYPE, checksum: encodeGssChecksum(bindings, gssFlags, deleg) },
      cusec: (now % 1000) * 1000,
      ctime: now,
      subkey,
      seqNumber: seq
    })
    const mutual = (request.contextReq & Flags.IscReq.MUTUAL_AUTH) !== 0
    const apReq = encodeApReq({
      options: mutual ? ApOptions.MUTUAL_REQUIRED : 0,
      ticket: ticket.ticket,
      authenticator: { etype: profile.enctype, cipher: profile.encrypt(ticket.key.keyvalue, 11, authenticator) }
    })
    authenticator.fill(0)
    const state: KerberosContext = {
      role: "initiator",
      stage: mutual ? "awaitApRep" : "established",
      client: ticket.client,
      server: ticket.server,
      sessionKey: { keytype: ticket.key.keytype, keyvalue: copyBytes(ticket.key.keyvalue) },
      initiatorSubkey: subkey,
      acceptorSubkey: undefined,
      ctime: Math.floor(now / 1000) * 1000,
      cusec: (now % 1000) * 1000,
      sendSeq: seq,
      recvSeq: seq,
      gssFlags,
      expiry: ticket.endtime
    }
    return {
      status: mutual ? "SEC_I_CONTINUE_NEEDED" : "SEC_E_OK",
      state,
      output: [SecBuffer.token(frame(TokenId.AP_REQ, apReq))],
      attributes: retFlags(gssFlags),
      expiry: ticket.endtime
    }
  })

const second = (state: KerberosContext, request: SecurityPackage.HandshakeRequest): Effect.Effect<Step, E> =>
  Effect.gen(function*() {
    if (state.stage !== "awaitApRep") return yield* new SecurityError.OutOfSequence({ detail: "the handshake is complete" })
    const input = SecBuffer.find(request.input, SecBuffer.BufferType.TOKEN)
    if (input === undefined) return yield* invalidToken("no AP-REP token")
    const framed = unframe(input.data)
    if (Result.isFailure(framed)) return yield* invalidToken(framed.failure)
    if (framed.success.tokId === TokenId.KRB_ERROR) {
      const err = decodeKrbError(framed.success.message)
      return yield* Result.isSuccess(err) ? krbFailure(err.success.errorCode, "ap") : invalidToken("malformed KRB-ERROR")
    }
    if (framed.success.tokId !== TokenId.AP_REP) return yield* invalidToken("expected an AP-REP")
    const encPart = decodeApRep(framed.success.message)
    if (Result.isFailure(encPart)) return yield* invalidToken(`malformed AP-REP: ${encPart.failure.reason}`)
    const profile = Option.getOrUndefined(enctype(state.sessionKey.keytype))
    if (profile === undefined || encPart.success.etype !== state.sessionKey.keytype) {
      return yield* krbFailure(ErrorCode.KRB_AP_ERR_MUT_FAIL, "ap", "unexpected encryption type")
    }
    const plain = profile.decrypt(state.sessionKey.keyvalue, 12, encPart.success.cipher)
    if (Result.isFailure(plain)) return yield* krbFailure(ErrorCode.KRB_AP_ERR_MUT_FAIL, "ap")
    const part = decodeEncApRepPart(plain.success)
    plain.success.fill(0)
    if (Result.isFailure(part)) return yield* invalidToken(`malformed EncAPRepPart: ${part.failure.reason}`)
    const p = part.success
    if (p.ctime !== state.ctime || p.cusec !== state.cusec) {
      wipeKey(p.subkey?.keyvalue)
      return yield* krbFailure(ErrorCode.KRB_AP_ERR_MUT_FAIL, "ap", "the reply does not echo our authenticator")
    }
    if (p.subkey !== undefined) {
      if (Option.isNone(enctype(p.subkey.keytype))) {
        wipeKey(p.subkey.keyvalue)
        return yield* krbFailure(ErrorCode.KDC_ERR_ETYPE_NOSUPP, "ap", "acceptor subkey")
      }
      // RFC 3961 section 3: the acceptor subkey has its enctype's length (issue 9 G)
      if (badLength(p.subkey)) {
        wipeKey(p.subkey.keyvalue)
        return yield* invalidToken("malformed EncAPRepPart: subkey length does not match its encryption type")
      }
      state.acceptorSubkey = p.subkey
    }
    if (p.seqNumber !== undefined) state.recvSeq = p.seqNumber
    state.stage = "established"
    return { status: "SEC_E_OK", state, output: [], attributes: retFlags(state.gssFlags), expiry: state.expiry }
  })

/**
 * One InitializeSecurityContext leg.
 *
 * @since 0.1.0
 */
export const initialize = (
  settings: Settings,
  cred: KerberosCredential,
  state: KerberosContext | undefined,
  request: SecurityPackage.HandshakeRequest & DelegationRequest
): Effect.Effect<Step, E> =>
  state === undefined ? first(settings, cred, request) : second(state, request)
