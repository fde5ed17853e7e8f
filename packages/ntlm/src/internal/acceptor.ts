/**
 * The NTLM acceptor ([MS-NLMP] 3.2.5): CHALLENGE in answer to NEGOTIATE,
 * then the check of AUTHENTICATE against the user store.
 *
 * Every authentication failure (unknown user, wrong password, bad MIC) is
 * the same SEC_E_LOGON_DENIED, so a client learns nothing about which.
 */
import { timingSafeEqual } from "node:crypto"

import { RandomBytes, SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect, Option, Result } from "effect"
import { type AvPair, avString, avTimestamp, fileTimeFromUnixMillis, findAvPair, avFlagsOf } from "./avpairs.ts"
import { AvFlags, AvId, NegotiateFlags as F } from "./constants.ts"
import { encryptSessionKey, keyExchangeKeyV1 } from "./keys.ts"
import { decodeAuthenticate, decodeNegotiate, encodeChallenge, type AuthenticateMessage } from "./messages.ts"
import { computeMic } from "./mic.ts"
import { ntowfv2 } from "./owf.ts"
import { computeResponseV1, decodeNtlmv2Response, type Ntlmv2Response, ntProofStr, sessionBaseKeyV2 } from "./responses.ts"
import { ourVersion } from "./initiator.ts"
import {
  bindingsHash,
  contextAttributes,
  decodeInput,
  invalidToken,
  wipeContext,
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
}

type Step = SecurityPackage.HandshakeStep<NtlmContext>

const ZERO16 = new Uint8Array(16)
const denied = () => new SecurityError.LogonDenied({})

/** Chooses the flags of the CHALLENGE from the client's NEGOTIATE. */
const chooseFlags = (client: number): number => {
  let flags = (client & offeredFlags & ~(F.UNICODE | F.OEM)) | F.NTLM | F.TARGET_INFO | F.TARGET_TYPE_SERVER
  flags |= (client & F.UNICODE) !== 0 ? F.UNICODE : F.OEM
  if ((client & F.REQUEST_TARGET) !== 0) flags |= F.REQUEST_TARGET
  return flags
}

const challengeLeg = (
  options: AcceptorOptions,
  request: SecurityPackage.HandshakeRequest
): Result.Result<Step, SecurityError.SspiError> => {
  const decoded = decodeInput(request.input, decodeNegotiate)
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const { bytes: negotiateBytes, message: negotiate } = decoded.success
  const flags = chooseFlags(negotiate.flags)
  const serverChallenge = RandomBytes.randomBytes(8)
  const { names } = options
  const challengeBytes = encodeChallenge({
    flags,
    serverChallenge,
    targetName: names.netbiosComputer,
    targetInfo: [
      avString(AvId.MsvAvNbDomainName, names.netbiosDomain),
      avString(AvId.MsvAvNbComputerName, names.netbiosComputer),
      avString(AvId.MsvAvDnsDomainName, names.dnsDomain),
      avString(AvId.MsvAvDnsComputerName, names.dnsComputer),
      avTimestamp(fileTimeFromUnixMillis(request.now))
    ],
    ...((flags & F.VERSION) !== 0 ? { version: ourVersion } : {})
  })
  return Result.succeed({
    status: "SEC_I_CONTINUE_NEEDED" as const,
    state: {
      role: "server" as const,
      phase: "authenticate" as const,
      flags,
      negotiate: Uint8Array.from(negotiateBytes),
      challenge: challengeBytes,
      serverChallenge,
      userName: "",
      exportedSessionKey: undefined,
      session: undefined
    },
    output: [SecBuffer.token(challengeBytes)],
    attributes: 0,
    expiry: Infinity
  })
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b)

/** Verifies the response; gives the key exchange key, or fails with LogonDenied / TimeSkew. */
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
  if (nt.length === 24) {
    if (!credential.allowNtlmV1) return Result.fail(denied())
    // NTLMv1 carries no channel bindings: refuse it where bindings are required
    if (bindings !== undefined) return Result.fail(new SecurityError.BadBindings({}))
    const expected = computeResponseV1({
      flags: state.flags,
      ntHash: user.ntHash,
      lmHash: new Uint8Array(16),
      serverChallenge: state.serverChallenge,
      clientChallenge: message.lmChallengeResponse.subarray(0, 8)
    })
    const ok = equal(expected.ntChallengeResponse, nt)
    const keyExchangeKey = ok
      ? keyExchangeKeyV1({
        flags: state.flags,
        sessionBaseKey: expected.sessionBaseKey,
        lmChallengeResponse: message.lmChallengeResponse,
        serverChallenge: state.serverChallenge,
        lmHash: new Uint8Array(16)
      })
      : undefined
    expected.sessionBaseKey.fill(0)
    return keyExchangeKey === undefined ? Result.fail(denied()) : Result.succeed({ keyExchangeKey, micPresent: false })
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
  const refusal = skew > options.maxClockSkewMs
    ? new SecurityError.TimeSkew({})
    : bindings !== undefined && !equal(findAvPair(response.avPairs, AvId.MsvAvChannelBindings)?.value ?? ZERO16, bindings)
    ? new SecurityError.BadBindings({})
    : undefined
  if (refusal !== undefined) {
    keyExchangeKey.fill(0)
    return Result.fail(refusal)
  }
  return Result.succeed({ keyExchangeKey, micPresent: (avFlagsOf(response.avPairs) & AvFlags.MIC_PRESENT) !== 0 })
}

/** The AUTHENTICATE message, decoded, with the input's channel-binding hash. */
interface Received {
  readonly bytes: Uint8Array
  readonly message: AuthenticateMessage
  /** The NTLMv2 response, decoded (undefined for NTLMv1). */
  readonly response: Ntlmv2Response | undefined
  readonly micOffset: number | undefined
  readonly bindings: Uint8Array | undefined
}

const receive = (request: SecurityPackage.HandshakeRequest): Result.Result<Received, SecurityError.SspiError> => {
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

/** Checks the response of a known user, derives the session key, checks the MIC. Plain code: the hot path. */
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

const authenticateLeg = (
  credential: NtlmCredential,
  state: NtlmContext,
  options: AcceptorOptions,
  request: SecurityPackage.HandshakeRequest
): Effect.Effect<Step, SecurityError.SspiError> => {
  const received = receive(request)
  if (Result.isFailure(received)) return Effect.fail(received.failure)
  const encrypted = received.success.message.encryptedRandomSessionKey
  if (usesKeyExchange(state.flags) && (encrypted === undefined || encrypted.length !== 16)) {
    return Effect.fail(new SecurityError.InvalidToken({ detail: "missing encrypted session key" }))
  }
  const store = credential.store
  if (store === undefined) return Effect.fail(new SecurityError.NoCredentials({ detail: "no NTLM user store" }))
  const { message } = received.success
  return Effect.flatMap(store.lookup(message.domain, message.user), (found) => {
    if (Option.isSome(found)) return Effect.fromResult(finish(credential, state, options, request, received.success, found.value))
    // an unknown user costs the same work as a wrong password, and fails the same way
    const stand = { domain: message.domain, user: message.user, ntHash: RandomBytes.randomBytes(16) }
    finish(credential, state, options, request, received.success, stand)
    return Effect.fail(denied())
  }).pipe(
    // a failed AUTHENTICATE ends the context: no second guess against the same challenge
    Effect.tapError(() => Effect.sync(() => wipeContext(state)))
  )
}

/** AcceptSecurityContext for NTLM. */
export const accept = (options: AcceptorOptions) =>
(
  credential: NtlmCredential,
  state: NtlmContext | undefined,
  request: SecurityPackage.HandshakeRequest
): Effect.Effect<Step, SecurityError.SspiError> => {
  if (state === undefined) return Effect.fromResult(challengeLeg(options, request))
  if (state.role !== "server" || state.phase !== "authenticate") return Effect.fail(new SecurityError.OutOfSequence({}))
  return authenticateLeg(credential, state, options, request)
}
