/**
 * The NTLM initiator ([MS-NLMP] 3.1.5): NEGOTIATE, then AUTHENTICATE in
 * answer to the server's CHALLENGE.
 */

import { RandomBytes, SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect, Result } from "effect"
import {
  avFlags,
  avFlagsOf,
  avTimestampOf,
  encodeAvPairs,
  fileTimeFromUnixMillis,
  type AvPair,
  avString
} from "./avpairs.ts"
import { encodeAuthenticate, encodeNegotiate, decodeChallenge, NTLMSSP_REVISION_W2K3 } from "./messages.ts"
import { AvFlags, AvId, NegotiateFlags as F } from "./constants.ts"
import { encryptSessionKey, keyExchangeKeyV1 } from "./keys.ts"
import { computeMic } from "./mic.ts"
import { ntowfv2 } from "./owf.ts"
import { computeResponseV1, computeResponseV2, type Responses } from "./responses.ts"
import type { OutstandingChallenges } from "./challenges.ts"
import type { NtlmTooLarge } from "./errors.ts"
import { isLocalTarget } from "./policy.ts"
import {
  bindingsHash,
  contextAttributes,
  decodeInput,
  invalidToken,
  type NtlmContext,
  type NtlmCredential,
  offeredFlags
} from "./state.ts"

/** The VERSION we announce: 10.0, NTLMSSP revision 15. */
export const ourVersion = { major: 10, minor: 0, build: 0, revision: NTLMSSP_REVISION_W2K3 } as const

const ZERO16 = new Uint8Array(16)

type Step = SecurityPackage.HandshakeStep<NtlmContext>

/** What the initiator needs from its package instance. */
export interface InitiatorOptions {
  /** The challenges this instance's acceptor has outstanding: a CHALLENGE carrying one is reflected. */
  readonly challenges: OutstandingChallenges
  /** This host's names (lower case): a target on one of them is a loopback handshake, not reflection. */
  readonly hostNames: ReadonlySet<string>
}

/** Our NEGOTIATE: constant, encoded once. */
const negotiateBytes = Result.getOrThrow(encodeNegotiate({ flags: offeredFlags, version: ourVersion }))

/** The first leg: a NEGOTIATE message. */
const negotiate = (): Step => {
  return {
    status: "SEC_I_CONTINUE_NEEDED",
    state: {
      role: "client",
      phase: "challenge",
      flags: offeredFlags,
      negotiate: negotiateBytes.slice(),
      challenge: new Uint8Array(0),
      serverChallenge: new Uint8Array(0),
      userName: "",
      exportedSessionKey: undefined,
      session: undefined
    },
    output: [SecBuffer.token(negotiateBytes.slice())],
    attributes: 0,
    expiry: Infinity
  }
}

/** The AV pairs the client sends back: the server's, plus flags, target name and channel bindings. */
const clientTargetInfo = (
  server: ReadonlyArray<AvPair>,
  withMic: boolean,
  targetName: string | undefined,
  bindings: Uint8Array | undefined
): Result.Result<Uint8Array, NtlmTooLarge> => {
  const pairs = server.filter((p) =>
    p.id !== AvId.MsvAvFlags && p.id !== AvId.MsvAvTargetName && p.id !== AvId.MsvAvChannelBindings
  )
  const flags = avFlagsOf(server) | (withMic ? AvFlags.MIC_PRESENT : 0)
  if (flags !== 0) pairs.push(avFlags(flags))
  pairs.push({ id: AvId.MsvAvChannelBindings, value: bindings ?? ZERO16 })
  if (targetName !== undefined) pairs.push(avString(AvId.MsvAvTargetName, targetName))
  return encodeAvPairs(pairs)
}

/** The second leg: AUTHENTICATE in answer to CHALLENGE. */
const authenticate = (
  options: InitiatorOptions,
  credential: NtlmCredential,
  state: NtlmContext,
  request: SecurityPackage.HandshakeRequest
): Result.Result<Step, SecurityError.SspiError> => {
  // plain code rather than Result.gen: this is the AUTHENTICATE hot path
  const decoded = decodeInput(request.input, decodeChallenge)
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const { bytes: challengeBytes, message: challenge } = decoded.success
  // reflection: a CHALLENGE our own acceptor issued, relayed back to us for a
  // target that is not this host (Windows keeps its outstanding challenges for
  // this check; MS08-068). A loopback handshake to our own names is allowed.
  if (
    options.challenges.has(challenge.serverChallenge, request.now) &&
    !isLocalTarget(options.hostNames, request.targetName)
  ) {
    return Result.fail(new SecurityError.LogonDenied({ detail: "reflected CHALLENGE: issued by this process's own acceptor" }))
  }
  const ntHash = credential.ntHash
  if (ntHash === undefined) return Result.fail(new SecurityError.NoCredentials({}))
  const bindingsResult = bindingsHash(request.input)
  if (Result.isFailure(bindingsResult)) return Result.fail(bindingsResult.failure)
  const bindings = bindingsResult.success
  const flags = challenge.flags & offeredFlags | (challenge.flags & F.TARGET_INFO)
  const serverPairs = challenge.targetInfo ?? []
  const serverTime = avTimestampOf(serverPairs)
  const clientChallenge = RandomBytes.randomBytes(8)
  let responses: Responses
  let keyExchangeKey: Uint8Array
  let withMic = false
  if (credential.allowNtlmV1) {
    responses = computeResponseV1({
      flags,
      ntHash,
      lmHash: credential.lmHash ?? new Uint8Array(16),
      serverChallenge: challenge.serverChallenge,
      clientChallenge
    })
    keyExchangeKey = keyExchangeKeyV1({
      flags,
      sessionBaseKey: responses.sessionBaseKey,
      lmChallengeResponse: responses.lmChallengeResponse,
      serverChallenge: challenge.serverChallenge,
      lmHash: credential.lmHash ?? new Uint8Array(16)
    })
  } else {
    // A MIC whenever NTLMv2 is used: [MS-NLMP] 3.1.5.2.1 asks for one when the
    // CHALLENGE has MsvAvTimestamp; without it (an old server, or a man in the
    // middle who stripped it) we still announce and send one, since the
    // MsvAvFlags pair rides in our own AV pairs, under NTProofStr. A server that
    // knows no MIC ignores both.
    withMic = true
    const targetInfo = clientTargetInfo(serverPairs, withMic, request.targetName, bindings)
    // the server's TargetInfo is echoed: its size is the peer's choice
    if (Result.isFailure(targetInfo)) return Result.fail(invalidToken(targetInfo.failure))
    const responseKey = credential.responseKeyV2 ?? ntowfv2(ntHash, credential.user, credential.domain)
    const v2 = computeResponseV2({
      responseKey,
      serverChallenge: challenge.serverChallenge,
      clientChallenge,
      timestamp: serverTime ?? fileTimeFromUnixMillis(request.now),
      targetInfo: targetInfo.success,
      // with a server timestamp the LM response is all zeros ([MS-NLMP] 3.1.5.2.1)
      zeroLmResponse: serverTime !== undefined
    })
    responses = v2
    keyExchangeKey = v2.sessionBaseKey
  }
  const keyExchange = (flags & F.KEY_EXCH) !== 0 && (flags & (F.SIGN | F.SEAL)) !== 0
  const exportedSessionKey = keyExchange ? RandomBytes.randomBytes(16) : keyExchangeKey.slice()
  const message = {
    flags,
    lmChallengeResponse: responses.lmChallengeResponse,
    ntChallengeResponse: responses.ntChallengeResponse,
    domain: credential.domain,
    user: credential.user,
    workstation: credential.workstation,
    ...(keyExchange ? { encryptedRandomSessionKey: encryptSessionKey(keyExchangeKey, exportedSessionKey) } : {}),
    ...((flags & F.VERSION) !== 0 ? { version: ourVersion } : {}),
    ...(withMic ? { mic: ZERO16 } : {})
  }
  const encoded = encodeAuthenticate(message)
  if (Result.isFailure(encoded)) {
    keyExchangeKey.fill(0)
    responses.sessionBaseKey.fill(0)
    exportedSessionKey.fill(0)
    return Result.fail(invalidToken(encoded.failure))
  }
  const authenticateBytes = encoded.success
  if (withMic) {
    const mic = computeMic(exportedSessionKey, state.negotiate, challengeBytes, authenticateBytes, 72)
    authenticateBytes.set(mic, 72)
  }
  keyExchangeKey.fill(0)
  responses.sessionBaseKey.fill(0)
  state.flags = flags
  state.challenge = Uint8Array.from(challengeBytes)
  state.serverChallenge = Uint8Array.from(challenge.serverChallenge)
  state.userName = credential.domain === "" ? credential.user : `${credential.domain}\\${credential.user}`
  state.exportedSessionKey = exportedSessionKey
  state.phase = "done"
  return Result.succeed({
    status: "SEC_E_OK" as const,
    state,
    output: [SecBuffer.token(authenticateBytes)],
    attributes: contextAttributes("client", request.contextReq, flags),
    expiry: Infinity
  })
}

/** InitializeSecurityContext for NTLM. */
export const initialize = (options: InitiatorOptions) =>
(
  credential: NtlmCredential,
  state: NtlmContext | undefined,
  request: SecurityPackage.HandshakeRequest
): Effect.Effect<Step, SecurityError.SspiError> => {
  if (state === undefined) {
    return credential.ntHash === undefined
      ? Effect.fail(new SecurityError.NoCredentials({ detail: "an outbound NTLM credential is needed" }))
      : Effect.succeed(negotiate())
  }
  if (state.role !== "client" || state.phase !== "challenge") {
    return Effect.fail(new SecurityError.OutOfSequence({}))
  }
  return Effect.fromResult(authenticate(options, credential, state, request))
}
