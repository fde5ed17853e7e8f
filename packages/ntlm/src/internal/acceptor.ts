/**
 * The NTLM acceptor ([MS-NLMP] 3.2.5): CHALLENGE in answer to NEGOTIATE,
 * then the check of AUTHENTICATE against the user store.
 *
 * Every authentication failure (unknown user, wrong password, bad MIC) is
 * the same SEC_E_LOGON_DENIED, so a client learns nothing about which.
 */
import { type HandshakeStore, RandomBytes, SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { type Duration, Effect, Option, Result } from "effect"
import { type AvPair, avString, avTimestamp, fileTimeFromUnixMillis } from "./avpairs.ts"
import type { OutstandingChallenges } from "./challenges.ts"
import { AvId, NegotiateFlags as F } from "./constants.ts"
import { domainLogon } from "./domain.ts"
import { idOfTimestamp, issueTimestamp } from "./handshakeState.ts"
import { keyExchangeKeyV1 } from "./keys.ts"
import { decodeAuthenticate, decodeNegotiate, encodeChallenge, type AuthenticateMessage } from "./messages.ts"
import { ntowfv2 } from "./owf.ts"
import { computeResponseV1, decodeNtlmv2Response, type Ntlmv2Response, ntProofStr, sessionBaseKeyV2 } from "./responses.ts"
import { ourVersion } from "./initiator.ts"
import { type AcceptorPolicy, checkBindings, checkMinimumSecurity, checkTargetName } from "./policy.ts"
import {
  bindingsHash,
  decodeInput,
  invalidToken,
  type NtlmContext,
  type NtlmCredential,
  offeredFlags
} from "./state.ts"
import type { StoredUser } from "../UserStore.ts"
import { complete, denied, equal, micAnnounced, noMic, skewOf, usesKeyExchange, v2Refusal } from "./verdict.ts"

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
  /** CHALLENGE ids drawn again because another pending handshake held them in the store. */
  idCollisions: number
}

/** One leg's result. */
export type Step = SecurityPackage.HandshakeStep<NtlmContext>

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
  const micPresent = micAnnounced(response)
  const refusal = v2Refusal(state, response, options.policy, skewOf(response, now) > options.maxClockSkewMs, bindings)
  if (refusal !== undefined) {
    keyExchangeKey.fill(0)
    return Result.fail(refusal)
  }
  return Result.succeed({ keyExchangeKey, micPresent })
}

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
  const verified = verifyResponse(credential, state, received.message, user, options, request.now, received.bindings, received.response)
  user.ntHash.fill(0)
  if (Result.isFailure(verified)) return Result.fail(verified.failure)
  const { keyExchangeKey, micPresent } = verified.success
  // the name as stored, not as the client typed it
  return complete(state, request, received, keyExchangeKey, micPresent, user.domain === "" ? user.user : `${user.domain}\\${user.user}`, undefined)
}

/**
 * The caller's per-call Extended Protection level (an HTTP server's, through
 * `HandshakeRequest.extendedProtection`) overrides the package's own setting,
 * as in the Kerberos package ([MS-NLMP] 3.2.5.1.2 leaves the level to the
 * server application, as Windows' http.sys does with its EPA setting).
 */
const forCall = (options: AcceptorOptions, request: SecurityPackage.HandshakeRequest): AcceptorOptions =>
  request.extendedProtection === undefined || request.extendedProtection === options.policy.extendedProtection
    ? options
    : { ...options, policy: { ...options.policy, extendedProtection: request.extendedProtection } }

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
  options = forCall(options, request)
  // NtlmMinServerSec on the flags the client says it used ([MS-NLMP] 3.2.5.2.2)
  const refusal = checkMinimumSecurity(options.policy.minimumSecurity, message.flags) ??
    (usesKeyExchange(state.flags) && (encrypted === undefined || encrypted.length !== 16)
      ? new SecurityError.InvalidToken({ detail: "missing encrypted session key" })
      : undefined)
  if (refusal !== undefined) return Effect.fail(refusal)
  if (credential.verifier !== undefined) return domainLogon(credential.verifier, state, options, request, received)
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
