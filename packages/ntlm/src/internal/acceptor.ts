/**
 * The NTLM acceptor ([MS-NLMP] 3.2.5): CHALLENGE in answer to NEGOTIATE,
 * then the check of AUTHENTICATE against the user store.
 *
 * Every authentication failure (unknown user, wrong password, bad MIC) is
 * the same SEC_E_LOGON_DENIED, so a client learns nothing about which.
 */
import { timingSafeEqual } from "node:crypto"

import { type HandshakeStore, RandomBytes, SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { type Duration, Effect, Option, Result } from "effect"
import { type AvPair, avString, avTimestamp, fileTimeFromUnixMillis, findAvPair, avFlagsOf } from "./avpairs.ts"
import type { OutstandingChallenges } from "./challenges.ts"
import { AvFlags, AvId, NegotiateFlags as F } from "./constants.ts"
import { idOfTimestamp, issueTimestamp } from "./handshakeState.ts"
import { encryptSessionKey, keyExchangeKeyV1 } from "./keys.ts"
import { decodeAuthenticate, decodeNegotiate, encodeChallenge, type AuthenticateMessage } from "./messages.ts"
import { computeMic } from "./mic.ts"
import { probe } from "./probe.ts"
import { ntowfv2 } from "./owf.ts"
import { computeResponseV1, decodeNtlmv2Response, type Ntlmv2Response, ntProofStr, sessionBaseKeyV2 } from "./responses.ts"
import { ourVersion } from "./initiator.ts"
import { type AcceptorPolicy, checkBindings, checkMinimumSecurity, checkTargetName, echoesAll } from "./policy.ts"
import {
  bindingsHash,
  contextAttributes,
  decodeInput,
  invalidToken,
  type NtlmContext,
  type NtlmCredential,
  offeredFlags
} from "./state.ts"
import type { StoredUser } from "../UserStore.ts"

/** The names as the AV pairs of a CHALLENGE (constant per package: encoded once). */
export const namePairs = (names: ServerNames): ReadonlyArray<AvPair> => [
  avString(AvId.MsvAvNbDomainName, names.netbiosDomain),
  avString(AvId.MsvAvNbComputerName, names.netbiosComputer),
  avString(AvId.MsvAvDnsDomainName, names.dnsDomain),
  avString(AvId.MsvAvDnsComputerName, names.dnsComputer)
]

/** The names the server announces in its CHALLENGE. */
export interface ServerNames {
  readonly netbiosDomain: string
  readonly netbiosComputer: string
  readonly dnsDomain: string
  readonly dnsComputer: string
}

/** Acceptor policy. */
export interface AcceptorOptions {
  readonly names: ServerNames
  /** The names as AV pairs, encoded once. */
  readonly namePairs: ReadonlyArray<AvPair>
  /** How far the client's NTLMv2 timestamp may be from now (MSV1_0_MAX_NTLM3_LIFE: 30 minutes). */
  readonly maxClockSkewMs: number
  readonly policy: AcceptorPolicy
  /** The package instance's outstanding challenges (shared with its initiator, to detect reflection). */
  readonly challenges: OutstandingChallenges
  /** The NT hash an unknown user is checked against (never zeroed: copied per use). */
  readonly unknownUserHash: Uint8Array
  /** A shared handshake store: NTLMv2 handshakes can then finish on any node (see `handshakeState.ts`). */
  readonly store: HandshakeStore.HandshakeStoreService | undefined
  /** How long a stored handshake waits for its AUTHENTICATE. */
  readonly handshakeTtl: Duration.Duration
  /** This instance's counters (see `Ntlm.NtlmStats`). */
  readonly counters: AcceptorCounters
}

/** Counters of one acceptor instance. */
export interface AcceptorCounters {
  /** CHALLENGEs put into the shared store. */
  stored: number
  /** Handshakes finished (SEC_E_OK) from the shared store by a context that did not issue their CHALLENGE. */
  finishedFromStore: number
}

/** One leg's result. */
export type Step = SecurityPackage.HandshakeStep<NtlmContext>

const denied = () => {
  probe.failure?.("LogonDenied")
  return new SecurityError.LogonDenied({})
}

/** Chooses the flags of the CHALLENGE from the client's NEGOTIATE. */
const chooseFlags = (client: number): number => {
  let flags = (client & offeredFlags & ~(F.UNICODE | F.OEM)) | F.NTLM | F.TARGET_INFO | F.TARGET_TYPE_SERVER
  flags |= (client & F.UNICODE) !== 0 ? F.UNICODE : F.OEM
  if ((client & F.REQUEST_TARGET) !== 0) flags |= F.REQUEST_TARGET
  return flags
}

/** The CHALLENGE leg: chooses flags, issues the challenge, remembers it as outstanding. */
export const challengeLeg = (
  options: AcceptorOptions,
  request: SecurityPackage.HandshakeRequest
): Result.Result<Step, SecurityError.SspiError> => {
  const decoded = decodeInput(request.input, decodeNegotiate)
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const { bytes: negotiateBytes, message: negotiate } = decoded.success
  // NtlmMinServerSec ([MS-NLMP] 3.2.5.1.1): refused before any challenge is issued
  const weak = checkMinimumSecurity(options.policy.minimumSecurity, negotiate.flags)
  if (weak !== undefined) return Result.fail(weak)
  const flags = chooseFlags(negotiate.flags)
  const serverChallenge = RandomBytes.randomBytes(8)
  const { names } = options
  // with a shared store the timestamp also names the handshake (random low-order bits)
  const timestamp = options.store === undefined ? avTimestamp(fileTimeFromUnixMillis(request.now)) : issueTimestamp(request.now)
  const targetInfo = [...options.namePairs, timestamp]
  const encoded = encodeChallenge({
    flags,
    serverChallenge,
    targetName: names.netbiosComputer,
    targetInfo,
    ...((flags & F.VERSION) !== 0 ? { version: ourVersion } : {})
  })
  // only the configured names can make it too large
  if (Result.isFailure(encoded)) return Result.fail(new SecurityError.InternalError({ detail: encoded.failure.reason }))
  const challengeBytes = encoded.success
  options.challenges.add(serverChallenge, request.now)
  return Result.succeed({
    status: "SEC_I_CONTINUE_NEEDED" as const,
    state: {
      role: "server" as const,
      phase: "authenticate" as const,
      flags,
      negotiate: Uint8Array.from(negotiateBytes),
      challenge: challengeBytes,
      sentTargetInfo: targetInfo,
      serverChallenge,
      userName: "",
      exportedSessionKey: undefined,
      session: undefined,
      handshakeId: options.store === undefined ? undefined : idOfTimestamp(timestamp)
    },
    output: [SecBuffer.token(challengeBytes)],
    attributes: 0,
    expiry: Infinity
  })
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b)

/**
 * Verifies the response; gives the key exchange key and whether a MIC is
 * announced, or fails. Every check after NTProofStr's runs only for a
 * client that proved the password, so an unknown user (checked against a
 * stand-in hash) always fails at the same step as a wrong password.
 */
const verifyResponse = (
  credential: NtlmCredential,
  state: NtlmContext,
  message: AuthenticateMessage,
  user: StoredUser,
  options: AcceptorOptions,
  now: number,
  bindings: Uint8Array | undefined,
  v2: Ntlmv2Response | undefined
): Result.Result<{ readonly keyExchangeKey: Uint8Array; readonly micPresent: boolean }, SecurityError.SspiError> => {
  const nt = message.ntChallengeResponse
  const { policy } = options
  if (nt.length === 24) {
    if (!credential.allowNtlmV1) return Result.fail(denied())
    const expected = computeResponseV1({
      flags: state.flags,
      ntHash: user.ntHash,
      lmHash: new Uint8Array(16),
      serverChallenge: state.serverChallenge,
      clientChallenge: message.lmChallengeResponse.subarray(0, 8)
    })
    const ok = equal(expected.ntChallengeResponse, nt)
    // NTLMv1 carries no channel bindings, no target name and no MIC
    const refusal = !ok ? denied() : checkV1(policy, bindings)
    const keyExchangeKey = refusal === undefined
      ? keyExchangeKeyV1({
        flags: state.flags,
        sessionBaseKey: expected.sessionBaseKey,
        lmChallengeResponse: message.lmChallengeResponse,
        serverChallenge: state.serverChallenge,
        lmHash: new Uint8Array(16)
      })
      : undefined
    expected.sessionBaseKey.fill(0)
    return keyExchangeKey === undefined ? Result.fail(refusal!) : Result.succeed({ keyExchangeKey, micPresent: false })
  }
  if (v2 === undefined) return Result.fail(denied())
  const response = v2
  const skew = Math.abs(Number(response.timestamp - fileTimeFromUnixMillis(now)) / 10_000)
  // servers SHOULD also accept clients that used an empty domain for the key (3.2.5.1.2)
  let responseKey = ntowfv2(user.ntHash, message.user, message.domain)
  let proof = ntProofStr(responseKey, state.serverChallenge, response.temp)
  if (!equal(proof, response.ntProofStr) && message.domain !== "") {
    responseKey.fill(0)
    responseKey = ntowfv2(user.ntHash, message.user, "")
    proof = ntProofStr(responseKey, state.serverChallenge, response.temp)
  }
  if (!equal(proof, response.ntProofStr)) {
    responseKey.fill(0)
    return Result.fail(denied())
  }
  const keyExchangeKey = sessionBaseKeyV2(responseKey, proof)
  responseKey.fill(0)
  const micPresent = (avFlagsOf(response.avPairs) & AvFlags.MIC_PRESENT) !== 0
  // [MS-NLMP] 3.1.5.2.1 / 3.2.5.1.2: the server's pairs come back unchanged (a stripped
  // MsvAvTimestamp is refused); checked first: tampering, not the client's clock, is the cause
  const refusal = !echoesAll(state.sentTargetInfo ?? [], response.avPairs)
    ? denied()
    : skew > options.maxClockSkewMs
    ? new SecurityError.TimeSkew({})
    : checkBindings(policy.extendedProtection, bindings, findAvPair(response.avPairs, AvId.MsvAvChannelBindings)?.value) ??
      checkTargetName(policy, response.avPairs) ??
      // a strict server takes no AUTHENTICATE without a MIC (MsvAvFlags 0x2, [MS-NLMP] 2.2.2.1)
      (policy.requireMic && !micPresent ? noMic() : undefined)
  if (refusal !== undefined) {
    keyExchangeKey.fill(0)
    return Result.fail(refusal)
  }
  return Result.succeed({ keyExchangeKey, micPresent })
}

const noMic = () => new SecurityError.UnsupportedFunction({ detail: "the server requires a MIC (MsvAvFlags 0x2)" })

/** The policy checks an NTLMv1 response can meet: it has no bindings, target name or MIC. */
const checkV1 = (policy: AcceptorPolicy, bindings: Uint8Array | undefined): SecurityError.SspiError | undefined =>
  checkBindings(policy.extendedProtection, bindings, undefined) ??
    checkTargetName(policy, undefined) ??
    (policy.requireMic ? noMic() : undefined)

/** The AUTHENTICATE message, decoded, with the input's channel-binding hash. */
export interface Received {
  readonly bytes: Uint8Array
  readonly message: AuthenticateMessage
  /** The NTLMv2 response, decoded (undefined for NTLMv1). */
  readonly response: Ntlmv2Response | undefined
  readonly micOffset: number | undefined
  readonly bindings: Uint8Array | undefined
}

export const receive = (request: SecurityPackage.HandshakeRequest): Result.Result<Received, SecurityError.SspiError> => {
  const decoded = decodeInput(request.input, decodeAuthenticate)
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const bindings = bindingsHash(request.input)
  if (Result.isFailure(bindings)) return Result.fail(bindings.failure)
  const { bytes, message: { message, micOffset } } = decoded.success
  const nt = message.ntChallengeResponse
  if (nt.length === 0) return Result.fail(denied()) // anonymous: not allowed
  // malformed responses are refused before the user is looked up, so that the
  // status never depends on whether the user exists
  let response: Ntlmv2Response | undefined
  if (nt.length !== 24) {
    const decoded = decodeNtlmv2Response(nt)
    if (Result.isFailure(decoded)) return Result.fail(invalidToken(decoded.failure))
    response = decoded.success
  }
  return Result.succeed({ bytes, message, micOffset, bindings: bindings.success, response })
}

/** Checks the response of a user (or the unknown-user stand-in), derives the session key, checks the MIC. Plain code: the hot path. */
const finish = (
  credential: NtlmCredential,
  state: NtlmContext,
  options: AcceptorOptions,
  request: SecurityPackage.HandshakeRequest,
  received: Received,
  user: StoredUser
): Result.Result<Step, SecurityError.SspiError> => {
  const { message, micOffset, bytes } = received
  const verified = verifyResponse(credential, state, message, user, options, request.now, received.bindings, received.response)
  user.ntHash.fill(0)
  if (Result.isFailure(verified)) return Result.fail(verified.failure)
  const { keyExchangeKey, micPresent } = verified.success
  const flags = state.flags
  const keyExchange = usesKeyExchange(flags)
  const encrypted = message.encryptedRandomSessionKey
  const exportedSessionKey = keyExchange ? encryptSessionKey(keyExchangeKey, encrypted!) : keyExchangeKey.slice()
  keyExchangeKey.fill(0)
  // [MS-NLMP] 3.2.5.1.2: a MIC announced by MsvAvFlags MUST match, else an authentication failure
  if (micPresent) {
    const mic = message.mic
    const expected = micOffset === undefined || mic === undefined
      ? undefined
      : computeMic(exportedSessionKey, state.negotiate, state.challenge, bytes, micOffset)
    if (expected === undefined || !equal(expected, mic!)) {
      exportedSessionKey.fill(0)
      return Result.fail(denied())
    }
  }
  // the name as stored, not as the client typed it
  state.userName = user.domain === "" ? user.user : `${user.domain}\\${user.user}`
  state.exportedSessionKey = exportedSessionKey
  state.phase = "done"
  return Result.succeed({
    status: "SEC_E_OK" as const,
    state,
    output: [],
    attributes: contextAttributes("server", request.contextReq, flags),
    expiry: Infinity
  })
}

const usesKeyExchange = (flags: number) => (flags & F.KEY_EXCH) !== 0 && (flags & (F.SIGN | F.SEAL)) !== 0

/** Policy checks on the message, then the user lookup and {@link finish}. */
export const checkUser = (
  credential: NtlmCredential,
  state: NtlmContext,
  options: AcceptorOptions,
  request: SecurityPackage.HandshakeRequest,
  received: Received
): Effect.Effect<Step, SecurityError.SspiError> => {
  const { message } = received
  const encrypted = message.encryptedRandomSessionKey
  // NtlmMinServerSec on the flags the client says it used ([MS-NLMP] 3.2.5.2.2)
  const refusal = checkMinimumSecurity(options.policy.minimumSecurity, message.flags) ??
    (usesKeyExchange(state.flags) && (encrypted === undefined || encrypted.length !== 16)
      ? new SecurityError.InvalidToken({ detail: "missing encrypted session key" })
      : undefined)
  if (refusal !== undefined) return Effect.fail(refusal)
  const store = credential.store
  if (store === undefined) return Effect.fail(new SecurityError.NoCredentials({ detail: "no NTLM user store" }))
  return Effect.flatMap(store.lookup(message.domain, message.user), (found) => {
    // an unknown user is checked the same way against a stand-in hash: the same
    // HMACs, the same allocations, the same failure object ([MS-NLMP] 3.2.5.1.2)
    const user = Option.isSome(found)
      ? found.value
      : { domain: message.domain, user: message.user, ntHash: options.unknownUserHash.slice() }
    const result = finish(credential, state, options, request, received, user)
    return Effect.fromResult(Option.isSome(found) || Result.isFailure(result) ? result : Result.fail(denied()))
  })
}
