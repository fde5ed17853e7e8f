/**
 * The acceptor's checks and completion shared by the local user store
 * (acceptor.ts) and the domain verifier (domain.ts): the NTLMv2 AV-pair
 * policy, and the KEY_EXCH / MIC / context completion once a key exchange
 * key is known.
 */
import { timingSafeEqual } from "node:crypto"
import { SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Result } from "effect"
import { avFlagsOf, fileTimeFromUnixMillis, findAvPair } from "./avpairs.ts"
import { AvFlags, AvId, NegotiateFlags as F } from "./constants.ts"
import { encryptSessionKey } from "./keys.ts"
import { computeMic } from "./mic.ts"
import { type AcceptorPolicy, checkBindings, checkTargetName, echoesAll } from "./policy.ts"
import { probe } from "./probe.ts"
import type { Ntlmv2Response } from "./responses.ts"
import { contextAttributes, type NtlmContext } from "./state.ts"
import type { Received, Step } from "./acceptor.ts"

/** The one authentication failure (unknown user, wrong password, bad MIC alike). */
export const denied = () => {
  probe.failure?.("LogonDenied")
  return new SecurityError.LogonDenied({})
}

/** Constant-time equality. */
export const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b)

export const noMic = () => new SecurityError.UnsupportedFunction({ detail: "the server requires a MIC (MsvAvFlags 0x2)" })

export const usesKeyExchange = (flags: number) => (flags & F.KEY_EXCH) !== 0 && (flags & (F.SIGN | F.SEAL)) !== 0

/** Whether the client's MsvAvFlags announce a MIC ([MS-NLMP] 2.2.2.1, 0x2). */
export const micAnnounced = (response: Ntlmv2Response) => (avFlagsOf(response.avPairs) & AvFlags.MIC_PRESENT) !== 0

/** How far the client's NTLMv2 timestamp is from `now`, in milliseconds. */
export const skewOf = (response: Ntlmv2Response, now: number) =>
  Math.abs(Number(response.timestamp - fileTimeFromUnixMillis(now)) / 10_000)

/**
 * The checks of an NTLMv2 response that need no key: the echo of the
 * CHALLENGE's pairs, the timestamp window, channel bindings, target name and
 * a required MIC's announcement.
 */
export const v2Refusal = (
  state: NtlmContext,
  response: Ntlmv2Response,
  policy: AcceptorPolicy,
  skewed: boolean,
  bindings: Uint8Array | undefined
): SecurityError.SspiError | undefined =>
  // [MS-NLMP] 3.1.5.2.1 / 3.2.5.1.2: the server's pairs come back unchanged (a stripped
  // MsvAvTimestamp is refused); checked first: tampering, not the client's clock, is the cause
  !echoesAll(state.sentTargetInfo ?? [], response.avPairs)
    ? denied()
    // [MS-NLMP] 3.2.5.1.2: a timestamp outside MSV1_0_MAX_NTLM3_LIFE is refused
    : skewed
    ? new SecurityError.TimeSkew({})
    : checkBindings(policy.extendedProtection, bindings, findAvPair(response.avPairs, AvId.MsvAvChannelBindings)?.value) ??
      checkTargetName(policy, response.avPairs) ??
      // a strict server takes no AUTHENTICATE without a MIC (MsvAvFlags 0x2, [MS-NLMP] 2.2.2.1)
      (policy.requireMic && !micAnnounced(response) ? noMic() : undefined)

/**
 * With the key exchange key known: the exported session key (KEY_EXCH),
 * the MIC check, and the context done under `userName`. Zeroes
 * `keyExchangeKey`. Plain code: the hot path.
 */
export const complete = (
  state: NtlmContext,
  request: SecurityPackage.HandshakeRequest,
  received: Received,
  keyExchangeKey: Uint8Array,
  micPresent: boolean,
  userName: string,
  identity: SecurityPackage.LogonIdentity | undefined
): Result.Result<Step, SecurityError.SspiError> => {
  const { message, micOffset, bytes } = received
  const flags = state.flags
  const encrypted = message.encryptedRandomSessionKey
  const exportedSessionKey = usesKeyExchange(flags) ? encryptSessionKey(keyExchangeKey, encrypted!) : keyExchangeKey.slice()
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
  state.userName = userName
  state.identity = identity
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
