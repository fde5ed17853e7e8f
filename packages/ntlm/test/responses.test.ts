import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { encodeAvPairs } from "./support/encode.ts"
import { avString, avFlags } from "../src/internal/avpairs.ts"
import { AvFlags, AvId, NegotiateFlags } from "../src/internal/constants.ts"
import { rc4k } from "../src/internal/crypto.ts"
import { encryptSessionKey, keyExchangeKeyV1 } from "../src/internal/keys.ts"
import { lmowfv1, lmowfv2, ntowfv1, ntowfv2 } from "../src/internal/owf.ts"
import { computeResponseV1, computeResponseV2, decodeNtlmv2Response } from "../src/internal/responses.ts"
import {
  CLIENT_CHALLENGE,
  chromium,
  DOMAIN,
  FLAGS_V1,
  FLAGS_V1_ESS,
  hex,
  PASSWORD,
  RANDOM_SESSION_KEY,
  SERVER_CHALLENGE,
  TARGET_INFO_V2,
  TIME,
  USER
} from "./vectors.ts"

const v1 = (flags: number, noLmResponse?: boolean) =>
  computeResponseV1({
    flags,
    ntHash: ntowfv1(PASSWORD),
    lmHash: lmowfv1(PASSWORD),
    serverChallenge: SERVER_CHALLENGE,
    clientChallenge: CLIENT_CHALLENGE,
    ...(noLmResponse === undefined ? {} : { noLmResponse })
  })

const kxkey = (flags: number, noLmResponse?: boolean) => {
  const r = v1(flags, noLmResponse)
  return keyExchangeKeyV1({
    flags,
    sessionBaseKey: r.sessionBaseKey,
    lmChallengeResponse: r.lmChallengeResponse,
    serverChallenge: SERVER_CHALLENGE,
    lmHash: lmowfv1(PASSWORD)
  })
}

describe("MS-NLMP 4.2.2 NTLMv1 authentication", () => {
  it("4.2.2.1.1 LMOWFv1", () => {
    expect(hex(lmowfv1(PASSWORD))).toBe("e52cac67419a9a224a3b108f3fa6cb6d")
  })
  it("4.2.2.1.2 NTOWFv1", () => {
    expect(hex(ntowfv1(PASSWORD))).toBe("a4f49c406510bdcab6824ee7c30fd852")
  })
  it("4.2.2.1.3 session base key and key exchange key", () => {
    expect(hex(v1(FLAGS_V1).sessionBaseKey)).toBe("d87262b0cde4b1cb7499becccdf10784")
    expect(hex(kxkey(FLAGS_V1))).toBe("d87262b0cde4b1cb7499becccdf10784")
    expect(hex(kxkey(FLAGS_V1 | NegotiateFlags.LM_KEY, false))).toBe("b09e379f7fbecb1eaf0afdcb0383c8a0")
    expect(hex(kxkey(FLAGS_V1 | NegotiateFlags.REQUEST_NON_NT_SESSION_KEY, false))).toBe(
      "e52cac67419a9a220000000000000000"
    )
  })
  it("4.2.2.2.1 NTLMv1 response", () => {
    expect(hex(v1(FLAGS_V1).ntChallengeResponse)).toBe("67c43011f30298a2ad35ece64f16331c44bdbed927841f94")
  })
  it("4.2.2.2.2 LMv1 response (NoLMResponseNTLMv1 = false), and the NT copy by default", () => {
    expect(hex(v1(FLAGS_V1, false).lmChallengeResponse)).toBe("98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13")
    expect(v1(FLAGS_V1).lmChallengeResponse).toEqual(v1(FLAGS_V1).ntChallengeResponse)
  })
  it("4.2.2.2.3 encrypted session key", () => {
    expect(hex(encryptSessionKey(kxkey(FLAGS_V1), RANDOM_SESSION_KEY))).toBe("518822b1b3f350c8958682ecbb3e3cb7")
    const nonNt = kxkey(FLAGS_V1 | NegotiateFlags.REQUEST_NON_NT_SESSION_KEY, false)
    expect(hex(encryptSessionKey(nonNt, RANDOM_SESSION_KEY))).toBe("7452ca55c225a1ca04b48fae32cf56fc")
    const lmKey = kxkey(FLAGS_V1 | NegotiateFlags.LM_KEY, false)
    expect(hex(encryptSessionKey(lmKey, RANDOM_SESSION_KEY))).toBe("4cd7bb57d697ef9b549f02b8f9b37864")
  })
  it("the server recovers the random session key with the same RC4K", () => {
    const k = kxkey(FLAGS_V1)
    expect(rc4k(k, encryptSessionKey(k, RANDOM_SESSION_KEY))).toEqual(RANDOM_SESSION_KEY)
  })
})

describe("MS-NLMP 4.2.3 NTLMv1 with client challenge", () => {
  it("4.2.3.1.3 session base key and key exchange key", () => {
    expect(hex(v1(FLAGS_V1_ESS).sessionBaseKey)).toBe("d87262b0cde4b1cb7499becccdf10784")
    expect(hex(kxkey(FLAGS_V1_ESS))).toBe("eb93429a8bd952f8b89c55b87f475edc")
  })
  it("4.2.3.2.1 LMv1 response", () => {
    expect(hex(v1(FLAGS_V1_ESS).lmChallengeResponse)).toBe("aaaaaaaaaaaaaaaa" + "00".repeat(16))
  })
  it("4.2.3.2.2 NTLMv1 response", () => {
    expect(hex(v1(FLAGS_V1_ESS).ntChallengeResponse)).toBe("7537f803ae367128ca458204bde7caf81e97ed2683267232")
  })
})

describe("MS-NLMP 4.2.4 NTLMv2 authentication", () => {
  const key = ntowfv2(ntowfv1(PASSWORD), USER, DOMAIN)
  const r = computeResponseV2({
    responseKey: key,
    serverChallenge: SERVER_CHALLENGE,
    clientChallenge: CLIENT_CHALLENGE,
    timestamp: TIME,
    targetInfo: TARGET_INFO_V2
  })

  it("4.2.4.1.1 NTOWFv2 and LMOWFv2", () => {
    expect(hex(key)).toBe("0c868a403bfd7a93a3001ef22ef02e3f")
    expect(lmowfv2(ntowfv1(PASSWORD), USER, DOMAIN)).toEqual(key)
  })
  it("4.2.4.1.2 session base key", () => {
    expect(hex(r.sessionBaseKey)).toBe("8de40ccadbc14a82f15cb0ad0de95ca3")
  })
  it("4.2.4.2.1 LMv2 response", () => {
    expect(hex(r.lmChallengeResponse)).toBe("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
  })
  it("4.2.4.2.2 NTLMv2 response (NTProofStr || temp)", () => {
    const temp = "0101000000000000" + "0000000000000000" + "aaaaaaaaaaaaaaaa" + "00000000" + hex(TARGET_INFO_V2) + "00000000"
    expect(hex(r.ntChallengeResponse)).toBe("68cd0ab851e51c96aabc927bebef6a1c" + temp)
  })
  it("4.2.4.2.3 encrypted session key (KXKEY = session base key)", () => {
    expect(hex(encryptSessionKey(r.sessionBaseKey, RANDOM_SESSION_KEY))).toBe("c5dad2544fc9799094ce1ce90bc9d03e")
  })
  it("decodes its own NTLMv2 response", () => {
    const d = Result.getOrThrow(decodeNtlmv2Response(r.ntChallengeResponse))
    expect(hex(d.ntProofStr)).toBe("68cd0ab851e51c96aabc927bebef6a1c")
    expect(d.timestamp).toBe(0n)
    expect(d.clientChallenge).toEqual(CLIENT_CHALLENGE)
    expect(d.avPairs.map((p) => p.id)).toEqual([AvId.MsvAvNbDomainName, AvId.MsvAvNbComputerName])
  })
})

describe("Chromium interop vector (NTLMv2 with timestamp, MIC flag, channel bindings, SPN)", () => {
  it("reproduces Chromium's NTProofStr and session base key", () => {
    const targetInfo = encodeAvPairs([
      avString(AvId.MsvAvNbDomainName, "Domain"),
      avString(AvId.MsvAvNbComputerName, "Server"),
      avFlags(AvFlags.MIC_PRESENT),
      { id: AvId.MsvAvChannelBindings, value: chromium.channelBindingsHash },
      avString(AvId.MsvAvTargetName, chromium.spn)
    ])
    const r = computeResponseV2({
      responseKey: ntowfv2(ntowfv1(PASSWORD), USER, DOMAIN),
      serverChallenge: SERVER_CHALLENGE,
      clientChallenge: CLIENT_CHALLENGE,
      timestamp: chromium.clientTimestamp,
      targetInfo
    })
    expect(r.ntChallengeResponse.subarray(0, 16)).toEqual(chromium.proof)
    expect(r.sessionBaseKey).toEqual(chromium.sessionBaseKey)
  })
})
