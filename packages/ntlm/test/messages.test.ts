import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { encodeAuthenticate, encodeChallenge, encodeNegotiate, encodeAvPairs } from "./support/encode.ts"
import { avPairString, decodeAvPairs } from "../src/internal/avpairs.ts"
import { AvId, MAX_MESSAGE_SIZE, MessageType, NegotiateFlags as F } from "../src/internal/constants.ts"
import {
  decodeAuthenticate,
  decodeChallenge,
  decodeNegotiate,
  peekMessageType
} from "../src/internal/messages.ts"
import {
  AUTHENTICATE_V1,
  AUTHENTICATE_V2,
  CHALLENGE_V1_ESS,
  CHALLENGE_V2,
  chromium,
  FLAGS_V1_ESS,
  FLAGS_V2,
  hex,
  SERVER_CHALLENGE,
  TARGET_INFO_V2,
  unhex
} from "./vectors.ts"

const ok = <A, E>(r: Result.Result<A, E>): A => Result.getOrThrow(r)
const reason = <A>(r: Result.Result<A, { readonly reason: string }>): string =>
  Result.isFailure(r) ? r.failure.reason : "success"

describe("MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE", () => {
  const m = ok(decodeChallenge(CHALLENGE_V2))
  it("decodes", () => {
    expect(m.flags >>> 0).toBe(FLAGS_V2)
    expect(m.serverChallenge).toEqual(SERVER_CHALLENGE)
    expect(m.targetName).toBe("Server")
    expect(m.version).toEqual({ major: 6, minor: 0, build: 6000, revision: 15 })
    expect(m.targetInfo!.map((p) => [p.id, avPairString(p)])).toEqual([
      [AvId.MsvAvNbDomainName, "Domain"],
      [AvId.MsvAvNbComputerName, "Server"]
    ])
    expect(encodeAvPairs(m.targetInfo!)).toEqual(TARGET_INFO_V2)
  })
  it("re-encodes byte for byte", () => {
    expect(hex(encodeChallenge(m))).toBe(hex(CHALLENGE_V2))
  })
})

describe("MS-NLMP 4.2.3.3 CHALLENGE_MESSAGE (no target info)", () => {
  it("decodes", () => {
    const m = ok(decodeChallenge(CHALLENGE_V1_ESS))
    expect(m.flags >>> 0).toBe(FLAGS_V1_ESS)
    expect(m.targetName).toBe("Server")
    expect(m.targetInfo).toBeUndefined()
    expect(m.version?.build).toBe(6000)
  })
})

describe("MS-NLMP 4.2.2.3 / 4.2.4.3 AUTHENTICATE_MESSAGE", () => {
  for (const [name, bytes, lm, key] of [
    ["NTLMv1", AUTHENTICATE_V1, "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13", "518822b1b3f350c8958682ecbb3e3cb7"],
    ["NTLMv2", AUTHENTICATE_V2, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa", "c5dad2544fc9799094ce1ce90bc9d03e"]
  ] as const) {
    it(`${name}: decodes and re-encodes byte for byte`, () => {
      const { message, micOffset } = ok(decodeAuthenticate(bytes))
      expect(micOffset).toBeUndefined() // payload starts at 72: VERSION but no MIC
      expect(message.mic).toBeUndefined()
      expect([message.domain, message.user, message.workstation]).toEqual(["Domain", "User", "COMPUTER"])
      expect(message.version).toEqual({ major: 5, minor: 1, build: 2600, revision: 15 })
      expect(hex(message.lmChallengeResponse)).toBe(lm)
      expect(hex(message.encryptedRandomSessionKey!)).toBe(key)
      expect(hex(encodeAuthenticate(message))).toBe(hex(bytes))
    })
  }
})

describe("Chromium interop messages", () => {
  it("decodes the 32-byte NEGOTIATE and the AUTHENTICATE with a zero VERSION and a MIC", () => {
    const n = ok(decodeNegotiate(chromium.negotiate))
    expect(n).toEqual({ flags: 0x00088207 })
    const a = ok(decodeAuthenticate(chromium.authenticate)).message
    expect(a.version).toBeUndefined() // VERSION flag not set, the slot is zero
    expect(a.user).toBe("User")
    const nt = a.ntChallengeResponse
    expect(hex(nt.subarray(0, 16))).toBe(hex(chromium.proof))
  })
})

describe("decoder rejections", () => {
  const v2 = AUTHENTICATE_V2
  const patched = (b: Uint8Array, at: number, bytes: ReadonlyArray<number>): Uint8Array => {
    const c = b.slice()
    c.set(bytes, at)
    return c
  }
  it("bad signature, wrong type, truncation, oversize", () => {
    expect(reason(decodeAuthenticate(patched(v2, 0, [0x4f])))).toBe("bad signature")
    expect(reason(decodeChallenge(v2))).toBe("unexpected message type")
    expect(reason(decodeAuthenticate(v2.subarray(0, 63)))).toBe("message truncated")
    expect(reason(decodeAuthenticate(v2.subarray(0, v2.length - 1)))).toBe("session key out of bounds")
    expect(reason(decodeNegotiate(new Uint8Array(MAX_MESSAGE_SIZE + 1)))).toBe("message too large")
  })
  it("payload pointing into the header or past the end", () => {
    expect(reason(decodeAuthenticate(patched(v2, 32, [0x10])))).toBe("domain out of bounds")
    expect(reason(decodeAuthenticate(patched(v2, 24, [0xff, 0xff])))).toBe("NT response out of bounds")
  })
  it("unreasonable sizes and odd Unicode lengths", () => {
    expect(reason(decodeAuthenticate(patched(v2, 12, [25])))).toBe("LM response too long")
    expect(reason(decodeAuthenticate(patched(v2, 20, [30])))).toBe("NT response has an invalid length")
    expect(reason(decodeAuthenticate(patched(v2, 36, [7])))).toBe("user has an odd length")
    expect(reason(decodeAuthenticate(patched(v2, 52, [8])))).toBe("session key has an invalid length")
  })
  it("AV pair lists must be terminated and well sized", () => {
    expect(reason(decodeAvPairs(TARGET_INFO_V2.subarray(0, 32)))).toBe("AV_PAIR list not terminated")
    expect(reason(decodeAvPairs(unhex("0600030001020300000000")))).toBe("AV_PAIR has a wrong size")
    expect(reason(decodeAvPairs(unhex("02000c00440000000000")))).toBe("AV_PAIR out of bounds")
    expect(reason(decodeAvPairs(unhex("00000100ff")))).toBe("AV_PAIR terminator has a value")
    expect(reason(decodeChallenge(patched(CHALLENGE_V2, CHALLENGE_V2.length - 4, [1])))).toBe(
      "AV_PAIR list not terminated"
    )
  })
  it("peekMessageType", () => {
    expect(ok(peekMessageType(CHALLENGE_V2))).toBe(MessageType.CHALLENGE)
    expect(ok(peekMessageType(v2))).toBe(MessageType.AUTHENTICATE)
    expect(reason(peekMessageType(patched(v2, 8, [9])))).toBe("unexpected message type")
    expect(reason(peekMessageType(v2.subarray(0, 5)))).toBe("message truncated")
  })
})

describe("encoders", () => {
  it("NEGOTIATE with OEM names and VERSION", () => {
    const m = {
      flags: F.UNICODE | F.OEM_DOMAIN_SUPPLIED | F.OEM_WORKSTATION_SUPPLIED | F.VERSION,
      domain: "DOMAIN",
      workstation: "WS",
      version: { major: 10, minor: 0, build: 19041, revision: 15 }
    }
    const b = encodeNegotiate(m)
    expect(hex(b.subarray(16, 32))).toBe("06000600" + "28000000" + "02000200" + "2e000000")
    expect(ok(decodeNegotiate(b))).toEqual(m)
  })
  it("AUTHENTICATE with a MIC puts the payload at 88 and reports the MIC offset", () => {
    const m = {
      flags: F.UNICODE,
      lmChallengeResponse: new Uint8Array(24),
      ntChallengeResponse: new Uint8Array(48).fill(1),
      domain: "",
      user: "u",
      workstation: "",
      mic: new Uint8Array(16).fill(7)
    }
    const b = encodeAuthenticate(m)
    const d = ok(decodeAuthenticate(b))
    expect(d.micOffset).toBe(72)
    expect(b.subarray(72, 88)).toEqual(m.mic)
    expect(d.message).toEqual(m)
  })
})
