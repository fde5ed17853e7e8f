/**
 * Challenge responses and session base keys ([MS-NLMP] 3.3.1 NTLMv1,
 * 3.3.2 NTLMv2) and the NTLMv2 client challenge structure (2.2.2.7).
 *
 * @module
 */
import { md4 } from "@effect-sspi/legacy-crypto"
import { Result } from "effect"
import { type AvPair, decodeAvPairs, fileTimeBytes, readFileTime } from "./avpairs.ts"
import { concat } from "./bytes.ts"
import { NegotiateFlags } from "./constants.ts"
import { desl, hmacMd5, md5 } from "./crypto.ts"
import type { NtlmMalformed } from "./errors.ts"
import { malformed } from "./fields.ts"

/** The output of a response computation. */
export interface Responses {
  readonly ntChallengeResponse: Uint8Array
  readonly lmChallengeResponse: Uint8Array
  readonly sessionBaseKey: Uint8Array
}

/** Inputs of {@link computeResponseV1}. */
export interface ResponseV1Input {
  readonly flags: number
  /** NTOWFv1 of the password. */
  readonly ntHash: Uint8Array
  /** LMOWFv1 of the password (unused with extended session security or `noLmResponse`). */
  readonly lmHash: Uint8Array
  readonly serverChallenge: Uint8Array
  /** 8 random bytes; used only with NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY. */
  readonly clientChallenge: Uint8Array
  /** The NoLMResponseNTLMv1 setting: send the NT response as LM response too (default true). */
  readonly noLmResponse?: boolean
}

/**
 * NTLMv1 ComputeResponse. With extended session security the NT response
 * is DESL(NT hash, MD5(ServerChallenge || ClientChallenge)[0..7]) and the
 * LM response is ClientChallenge || Z(16).
 */
export const computeResponseV1 = (i: ResponseV1Input): Responses => {
  const sessionBaseKey = md4(i.ntHash)
  if ((i.flags & NegotiateFlags.EXTENDED_SESSIONSECURITY) !== 0) {
    const lm = new Uint8Array(24)
    lm.set(i.clientChallenge.subarray(0, 8))
    return {
      ntChallengeResponse: desl(i.ntHash, md5(i.serverChallenge, i.clientChallenge).subarray(0, 8)),
      lmChallengeResponse: lm,
      sessionBaseKey
    }
  }
  const nt = desl(i.ntHash, i.serverChallenge)
  return {
    ntChallengeResponse: nt,
    lmChallengeResponse: i.noLmResponse === false ? desl(i.lmHash, i.serverChallenge) : nt,
    sessionBaseKey
  }
}

/** Inputs of {@link computeResponseV2}. */
export interface ResponseV2Input {
  /** NTOWFv2 (= LMOWFv2). */
  readonly responseKey: Uint8Array
  readonly serverChallenge: Uint8Array
  readonly clientChallenge: Uint8Array
  /** FILETIME: the server's MsvAvTimestamp if it sent one, else the client's clock. */
  readonly timestamp: bigint
  /** The encoded AV pairs ("ServerName"), terminated by MsvAvEOL. */
  readonly targetInfo: Uint8Array
  /**
   * Send Z(24) as the LM response instead of the LMv2 response, as a client
   * must when the server sent a timestamp ([MS-NLMP] 3.1.5.1.2); saves an HMAC.
   */
  readonly zeroLmResponse?: boolean
}

/**
 * Builds the NTLMv2_CLIENT_CHALLENGE ("temp"): 0x01 0x01 Z(6) Time
 * ClientChallenge Z(4) ServerName Z(4).
 */
export const ntlmv2ClientChallenge = (timestamp: bigint, clientChallenge: Uint8Array, targetInfo: Uint8Array): Uint8Array => {
  const temp = new Uint8Array(28 + targetInfo.length + 4)
  temp[0] = 1
  temp[1] = 1
  temp.set(fileTimeBytes(timestamp), 8)
  temp.set(clientChallenge.subarray(0, 8), 16)
  temp.set(targetInfo, 28)
  return temp
}

/** NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || temp). */
export const ntProofStr = (responseKey: Uint8Array, serverChallenge: Uint8Array, temp: Uint8Array): Uint8Array =>
  hmacMd5(responseKey, serverChallenge, temp)

/** LMv2 response: HMAC_MD5(ResponseKeyLM, ServerChallenge || ClientChallenge) || ClientChallenge. */
export const lmv2Response = (responseKey: Uint8Array, serverChallenge: Uint8Array, clientChallenge: Uint8Array): Uint8Array =>
  concat(hmacMd5(responseKey, serverChallenge, clientChallenge), clientChallenge.subarray(0, 8))

/** NTLMv2 session base key: HMAC_MD5(ResponseKeyNT, NTProofStr). */
export const sessionBaseKeyV2 = (responseKey: Uint8Array, proof: Uint8Array): Uint8Array => hmacMd5(responseKey, proof)

/** NTLMv2 ComputeResponse: NT response NTProofStr || temp, LMv2 response and session base key. */
export const computeResponseV2 = (i: ResponseV2Input): Responses => {
  const temp = ntlmv2ClientChallenge(i.timestamp, i.clientChallenge, i.targetInfo)
  const proof = ntProofStr(i.responseKey, i.serverChallenge, temp)
  return {
    ntChallengeResponse: concat(proof, temp),
    lmChallengeResponse: i.zeroLmResponse === true
      ? new Uint8Array(24)
      : lmv2Response(i.responseKey, i.serverChallenge, i.clientChallenge),
    sessionBaseKey: sessionBaseKeyV2(i.responseKey, proof)
  }
}

/** The parts of a received NTLMv2_RESPONSE a server needs to check. */
export interface Ntlmv2Response {
  readonly ntProofStr: Uint8Array
  /** The NTLMv2_CLIENT_CHALLENGE bytes, input of {@link ntProofStr}. */
  readonly temp: Uint8Array
  readonly timestamp: bigint
  readonly clientChallenge: Uint8Array
  readonly avPairs: ReadonlyArray<AvPair>
}

/** Splits a received NTLMv2 NtChallengeResponse. Never throws. */
export const decodeNtlmv2Response = (nt: Uint8Array): Result.Result<Ntlmv2Response, NtlmMalformed> => {
  if (nt.length < 16 + 28 + 4) return malformed("NTLMv2 response truncated")
  const temp = nt.subarray(16)
  if (temp[0] !== 1 || temp[1] !== 1) return malformed("NTLMv2 response has an unknown version")
  return decodeAvPairs(temp.subarray(28)).pipe(
    Result.map((avPairs) => ({
      ntProofStr: nt.slice(0, 16),
      temp: temp.slice(),
      timestamp: readFileTime(temp, 8),
      clientChallenge: temp.slice(16, 24),
      avPairs
    }))
  )
}
