/**
 * AcceptSecurityContext for Kerberos: the AP-REQ check (service key from the
 * keytab, ticket and authenticator decryption, client match, ticket times
 * and clock skew from `Clock`, replay cache, GSS checksum with channel
 * bindings) and the AP-REP for mutual authentication.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { Effect, Option, Result } from "effect"
import { type ChannelBindings, Flags, type ReplayCache, SecBuffer, SecurityError } from "@effect-sspi/core"
import type { SecurityPackage } from "@effect-sspi/core"
import { constantTimeEqual } from "../crypto/profile.ts"
import { enctype } from "../crypto/encryptionType.ts"
import { badLength, checkKey } from "../crypto/keys.ts"
import { decodeGssChecksum, GSS_CHECKSUM_TYPE, GssFlags } from "../gss/checksum.ts"
import { frame, TokenId, unframe } from "../gss/framing.ts"
import { ApOptions, decodeApReq, decodeAuthenticator, encodeApRep, encodeEncApRepPart } from "../messages/ap.ts"
import { formatPrincipal, sameName } from "../messages/common.ts"
import { ErrorCode } from "../messages/error.ts"
import { decodeEncTicketPart, TicketFlags } from "../messages/ticket.ts"
import type { Settings } from "../settings.ts"
import { invalidToken, krbFailure } from "../status.ts"
import { channelBindingsOf } from "./initiator.ts"
import type { KerberosCredential } from "./credential.ts"
import { replayKey, replayTtl, withinSkew } from "./replay.ts"
import type { KerberosContext } from "./state.ts"
import { type Delegation, readDelegation } from "./delegation.ts"
import { pacOfEncTicketPart } from "../pac/authData.ts"
import { principalOf } from "../../Pac.ts"
import { wipeKey } from "../crypto/profile.ts"

type Step = SecurityPackage.HandshakeStep<KerberosContext>
type E = SecurityError.SspiError

const ap = (code: number, detail?: string) => Effect.fail(krbFailure(code, "ap", detail))

/**
 * Channel bindings per the Extended Protection level (RFC 4121 section
 * 4.1.1.2: the Bnd field is the MD5 of the bindings, all zero when the
 * initiator has none; Windows' EPA levels decide what a missing one means).
 * `theirs` is the Bnd field, `undefined` when the authenticator carries no
 * 0x8003 checksum (none, or another checksum type). Only an acceptor given
 * SECBUFFER_CHANNEL_BINDINGS checks anything. The level is the caller's
 * (`HandshakeRequest.extendedProtection`) when given, else the package's.
 */
const checkBindings = (
  level: ChannelBindings.ExtendedProtection,
  input: ReadonlyArray<SecBuffer.SecBuffer>,
  theirs: Uint8Array | undefined
): Effect.Effect<void, E> =>
  Effect.gen(function*() {
    if (level === "off") return
    if (SecBuffer.find(input, SecBuffer.BufferType.CHANNEL_BINDINGS) === undefined) return
    const ours = yield* channelBindingsOf(input)
    const absent = theirs === undefined || theirs.every((b) => b === 0)
    if (absent) {
      // "required": a client that binds nothing is refused (SEC_E_BAD_BINDINGS, as Windows)
      if (level === "required") {
        return yield* new SecurityError.BadBindings({ detail: "the client sent no channel bindings" })
      }
      return
    }
    if (!constantTimeEqual(theirs, ours)) return yield* new SecurityError.BadBindings({ detail: "channel bindings differ" })
  })

const retFlags = (gssFlags: number, mutual: boolean) =>
  (mutual ? Flags.AscRet.MUTUAL_AUTH : 0) |
  (gssFlags & (Flags.AscRet.DELEGATE | Flags.AscRet.REPLAY_DETECT | Flags.AscRet.SEQUENCE_DETECT)) |
  Flags.AscRet.CONFIDENTIALITY | Flags.AscRet.INTEGRITY

/**
 * One AcceptSecurityContext leg (Kerberos needs one).
 *
 * @since 0.1.0
 */
export const accept = (
  settings: Settings,
  replay: ReplayCache.ReplayCacheService,
  cred: KerberosCredential,
  state: KerberosContext | undefined,
  request: SecurityPackage.HandshakeRequest
): Effect.Effect<Step, E> =>
  Effect.gen(function*() {
    if (state !== undefined) return yield* new SecurityError.OutOfSequence({ detail: "the handshake is complete" })
    if (cred.serviceKeys.length === 0) return yield* new SecurityError.NoCredentials({ detail: "not an inbound credential" })
    const now = request.now
    const skew = settings.clockSkewMs
    const input = SecBuffer.find(request.input, SecBuffer.BufferType.TOKEN)
    if (input === undefined) return yield* invalidToken("no AP-REQ token")
    let message = input.data
    if (message[0] === 0x60) {
      const framed = unframe(message)
      if (Result.isFailure(framed)) return yield* invalidToken(framed.failure)
      if (framed.success.tokId !== TokenId.AP_REQ) return yield* invalidToken("expected an AP-REQ")
      message = framed.success.message
    }
    const apReq = decodeApReq(message)
    if (Result.isFailure(apReq)) return yield* invalidToken(`malformed AP-REQ: ${apReq.failure.reason}`)
    const { authenticator: encAuth, options, ticket } = apReq.success

    // the service key
    const candidates = cred.serviceKeys.filter((e) =>
      sameName(e.principal.name, ticket.sname) && e.principal.realm === ticket.realm
    )
    if (candidates.length === 0) return yield* ap(ErrorCode.KRB_AP_ERR_NOT_US)
    if (cred.acceptAs !== undefined && !sameName(cred.acceptAs.name, ticket.sname)) return yield* ap(ErrorCode.KRB_AP_ERR_NOT_US)
    const ofType = candidates.filter((e) => e.enctype === ticket.encPart.etype)
    const keyEntry = ticket.encPart.kvno === undefined
      ? ofType.sort((a, b) => b.kvno - a.kvno)[0]
      : ofType.find((e) => e.kvno === ticket.encPart.kvno)
    if (keyEntry === undefined) return yield* ap(ofType.length > 0 ? ErrorCode.KRB_AP_ERR_BADKEYVER : ErrorCode.KRB_AP_ERR_NOKEY)
    const profile = Option.getOrUndefined(enctype(keyEntry.enctype))
    if (profile === undefined) return yield* ap(ErrorCode.KDC_ERR_ETYPE_NOSUPP)

    // the ticket
    const ticketPlain = profile.decrypt(keyEntry.key, 2, ticket.encPart.cipher)
    if (Result.isFailure(ticketPlain)) return yield* ap(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, "ticket")
    const encTicket = decodeEncTicketPart(ticketPlain.success)
    if (Result.isFailure(encTicket)) {
      ticketPlain.success.fill(0)
      return yield* invalidToken(`malformed ticket: ${encTicket.failure.reason}`)
    }
    const t = encTicket.success
    // MS-KILE 3.4.5.3 / MS-PAC 2.8.1: the PAC in the ticket's authorization-data
    // (AD-IF-RELEVANT / AD-WIN2K-PAC) is used only once its server signature
    // verifies with this service key and PAC_CLIENT_INFO (MS-PAC 2.7) names the
    // ticket's client and authtime: a bad signature or client info is
    // SEC_E_LOGON_DENIED, a malformed PAC SEC_E_INVALID_TOKEN. No PAC, or one without
    // KERB_VALIDATION_INFO (MIT krb5kdc 1.20+): no identity.
    const pac = pacOfEncTicketPart(ticketPlain.success, { enctype: keyEntry.enctype, key: keyEntry.key }, { cname: t.cname, authtime: t.authtime })
    ticketPlain.success.fill(0)
    const sessionKey = t.key
    if (Result.isFailure(pac)) {
      wipeKey(sessionKey.keyvalue)
      return yield* Effect.fail(pac.failure)
    }
    const identity = Option.flatMap(pac.success, (p) => Option.fromUndefinedOr(principalOf(p)))
    const fail = (code: number, detail?: string) => {
      wipeKey(sessionKey.keyvalue)
      return ap(code, detail)
    }
    // RFC 3961 section 3: the session key must have its enctype's length (issue 9 D3)
    const sessionChecked = checkKey(sessionKey)
    if (Result.isFailure(sessionChecked)) {
      if (sessionChecked.failure === "UnsupportedType") return yield* fail(ErrorCode.KDC_ERR_ETYPE_NOSUPP)
      wipeKey(sessionKey.keyvalue)
      return yield* invalidToken("malformed ticket: session key length does not match its encryption type")
    }
    const sessionProfile = sessionChecked.success

    // the authenticator
    if (encAuth.etype !== sessionKey.keytype) return yield* fail(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)
    const authPlain = sessionProfile.decrypt(sessionKey.keyvalue, 11, encAuth.cipher)
    if (Result.isFailure(authPlain)) return yield* fail(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, "authenticator")
    const decoded = decodeAuthenticator(authPlain.success)
    authPlain.success.fill(0)
    if (Result.isFailure(decoded)) {
      wipeKey(sessionKey.keyvalue)
      return yield* invalidToken(`malformed authenticator: ${decoded.failure.reason}`)
    }
    const a = decoded.success
    const wipeAll = () => {
      wipeKey(a.subkey?.keyvalue)
      wipeKey(sessionKey.keyvalue)
    }
    const failA = (code: number, detail?: string) => {
      wipeAll()
      return ap(code, detail)
    }
    // RFC 3961 section 3 / RFC 4120 section 5.5.1: an authenticator subkey of a
    // supported type must have that type's length (issue 9 G, D4)
    if (a.subkey !== undefined && badLength(a.subkey)) {
      wipeAll()
      return yield* invalidToken("malformed authenticator: subkey length does not match its encryption type")
    }
    // RFC 4120 section 3.2.3: the authenticator's client is the ticket's
    if (a.crealm !== t.crealm || !sameName(a.cname, t.cname)) return yield* failA(ErrorCode.KRB_AP_ERR_BADMATCH)
    // RFC 4120 section 3.2.3: ctime within the skew, inclusive (replay.ts holds the one rule)
    if (!withinSkew(a.ctime, now, skew)) return yield* failA(ErrorCode.KRB_AP_ERR_SKEW)
    // RFC 4120 section 3.2.3: "if the INVALID flag is set in the ticket, then the
    // KRB_AP_ERR_TKT_NYV error is returned" (a postdated ticket never validated;
    // section 2.2.1: it must be validated by the KDC before use)
    if ((t.flags & TicketFlags.INVALID) !== 0) return yield* failA(ErrorCode.KRB_AP_ERR_TKT_NYV, "the ticket has the INVALID flag")
    // RFC 4120 sections 3.2.3 and 5.3: starttime (else authtime) no later than now + skew,
    // endtime no earlier than now - skew (inclusive, as the authenticator)
    if ((t.starttime ?? t.authtime) - skew > now) return yield* failA(ErrorCode.KRB_AP_ERR_TKT_NYV)
    if (now - t.endtime > skew) return yield* failA(ErrorCode.KRB_AP_ERR_TKT_EXPIRED)

    // the GSS checksum and channel bindings (RFC 4121 section 4.1.1.2)
    let gssFlags = GssFlags.CONF | GssFlags.INTEG
    let theirs: Uint8Array | undefined
    let deleg: Uint8Array | undefined
    if (a.cksum !== undefined && a.cksum.cksumtype === GSS_CHECKSUM_TYPE) {
      const cksum = decodeGssChecksum(a.cksum.checksum)
      if (Result.isFailure(cksum)) {
        wipeAll()
        return yield* invalidToken(cksum.failure)
      }
      theirs = cksum.success.bindings
      deleg = cksum.success.deleg
      gssFlags = cksum.success.flags & (GssFlags.DELEG | GssFlags.MUTUAL | GssFlags.REPLAY | GssFlags.SEQUENCE | GssFlags.CONF | GssFlags.INTEG)
    }
    // the caller's per-call level (the HTTP server's) overrides the package setting
    yield* checkBindings(request.extendedProtection ?? settings.extendedProtection, request.input, theirs).pipe(Effect.tapError(() => Effect.sync(wipeAll)))

    // the replay cache, after every check so that forgeries cannot fill it
    // (RFC 4120 section 3.2.3: KRB_AP_ERR_REPEAT; key and ttl rule in replay.ts)
    const server = { name: ticket.sname, realm: ticket.realm }
    const verdict = yield* replay.record(
      replayKey({ client: { name: a.cname, realm: a.crealm }, ctime: a.ctime, cusec: a.cusec, cipher: encAuth.cipher }),
      replayTtl(a.ctime, now, skew)
    ).pipe(Effect.tapError(() => Effect.sync(wipeAll)))
    if (verdict === "Replay") return yield* failA(ErrorCode.KRB_AP_ERR_REPEAT)

    // the delegated TGT (RFC 4121 section 4.1.1), checked in delegation.ts: a bad
    // KRB-CRED refuses the context, an unusable one (expired, address-bound) is dropped
    let delegation: Delegation | undefined
    if (deleg !== undefined) {
      const keys = a.subkey === undefined ? [sessionKey] : [a.subkey, sessionKey]
      delegation = yield* readDelegation(deleg, keys, { name: t.cname, realm: t.crealm }, now, skew).pipe(
        Effect.tapError(() => Effect.sync(wipeAll))
      )
      if (delegation._tag === "Dropped") gssFlags &= ~GssFlags.DELEG
    }

    const mutual = (options & ApOptions.MUTUAL_REQUIRED) !== 0
    const initiatorSeq = a.seqNumber ?? 0
    const context: KerberosContext = {
      role: "acceptor",
      stage: "established",
      client: { name: t.cname, realm: t.crealm },
      server,
      sessionKey,
      initiatorSubkey: a.subkey,
      acceptorSubkey: undefined,
      ctime: a.ctime,
      cusec: a.cusec,
      sendSeq: initiatorSeq,
      recvSeq: initiatorSeq,
      gssFlags: mutual ? gssFlags | GssFlags.MUTUAL : gssFlags,
      expiry: t.endtime,
      delegated: delegation?._tag === "Delegated" ? delegation.tgt : undefined,
      identity
    }
    let output: Array<SecBuffer.SecBuffer> = []
    if (mutual) {
      const subProfile = Option.getOrUndefined(enctype((a.subkey ?? sessionKey).keytype)) ?? sessionProfile
      const acceptorSubkey = { keytype: subProfile.enctype, keyvalue: subProfile.randomToKey(randomBytes(subProfile.keyLength)) }
      const seq = randomBytes(4).readUInt32BE(0) & 0x3fffffff
      const part = encodeEncApRepPart({ ctime: a.ctime, cusec: a.cusec, subkey: acceptorSubkey, seqNumber: seq })
      const apRep = encodeApRep({ etype: sessionProfile.enctype, cipher: sessionProfile.encrypt(sessionKey.keyvalue, 12, part) })
      part.fill(0)
      context.acceptorSubkey = acceptorSubkey
      context.sendSeq = seq
      output = [SecBuffer.token(frame(TokenId.AP_REP, apRep))]
    }
    return { status: "SEC_E_OK", state: context, output, attributes: retFlags(gssFlags, mutual), expiry: t.endtime }
  })
