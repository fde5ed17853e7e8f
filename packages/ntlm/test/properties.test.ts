import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { encodeAuthenticate, encodeChallenge, encodeNegotiate, encodeAvPairs } from "./support/encode.ts"
import fc from "fast-check"
import { type AvPair, decodeAvPairs } from "../src/internal/avpairs.ts"
import { ChannelBindings } from "@effect-sspi/core"
import { AvId, NegotiateFlags as F, SIGNATURE } from "../src/internal/constants.ts"
import {
  type AuthenticateMessage,
  type ChallengeMessage,
  decodeAuthenticate,
  decodeChallenge,
  decodeNegotiate,
  type NegotiateMessage,
  peekMessageType
} from "../src/internal/messages.ts"
import { decodeNtlmv2Response } from "../src/internal/responses.ts"
import { AUTHENTICATE_V1, AUTHENTICATE_V2, CHALLENGE_V1_ESS, CHALLENGE_V2, chromium } from "./vectors.ts"

const decoders: ReadonlyArray<(b: Uint8Array) => Result.Result<unknown, unknown>> = [
  decodeNegotiate,
  decodeChallenge,
  decodeAuthenticate,
  decodeAvPairs,
  decodeNtlmv2Response,
  ChannelBindings.decode,
  peekMessageType
]

/** Runs every decoder; a throw fails the property. */
const decodeAll = (b: Uint8Array): void => {
  for (const d of decoders) expect(Result.isResult(d(b))).toBe(true)
}

// ---- arbitraries ---------------------------------------------------------

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max })
const latin1 = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c))
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))
const name = (unicode: boolean, min = 0) =>
  fc.string({ unit: unicode ? codeUnit : latin1, minLength: min, maxLength: 60 })
const version = fc.record({
  major: fc.integer({ min: 0, max: 255 }),
  minor: fc.integer({ min: 0, max: 255 }),
  build: fc.integer({ min: 0, max: 0xffff }),
  revision: fc.integer({ min: 0, max: 255 })
})
/** Flags and a version that agree on NTLMSSP_NEGOTIATE_VERSION. */
const flagsAndVersion = fc
  .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.option(version, { nil: undefined }))
  .map(([f, v]) => ({ flags: ((f & ~F.VERSION) | (v === undefined ? 0 : F.VERSION)) >>> 0, version: v }))
const avPair: fc.Arbitrary<AvPair> = fc.oneof(
  fc.record({ id: fc.constantFrom(1, 2, 3, 4, 5, 9), value: bytes(0, 40) }),
  fc.record({ id: fc.constant(AvId.MsvAvFlags), value: bytes(4, 4) }),
  fc.record({ id: fc.constant(AvId.MsvAvTimestamp), value: bytes(8, 8) }),
  fc.record({ id: fc.constant(AvId.MsvAvSingleHost), value: bytes(48, 60) }),
  fc.record({ id: fc.constant(AvId.MsvAvChannelBindings), value: bytes(16, 16) }),
  fc.record({ id: fc.integer({ min: 11, max: 0xffff }), value: bytes(0, 20) })
)
const opt = <T>(key: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [key]: v })

const negotiate: fc.Arbitrary<NegotiateMessage> = fc
  .tuple(flagsAndVersion, fc.option(name(false, 1), { nil: undefined }), fc.option(name(false, 1), { nil: undefined }))
  .map(([{ flags, version }, domain, workstation]) => ({
    flags,
    ...opt("domain", domain),
    ...opt("workstation", workstation),
    ...opt("version", version)
  }))

const challenge: fc.Arbitrary<ChallengeMessage> = flagsAndVersion.chain(({ flags, version }) =>
  fc
    .tuple(
      bytes(8, 8),
      fc.option(name((flags & F.UNICODE) !== 0, 1), { nil: undefined }),
      fc.option(fc.array(avPair, { maxLength: 6 }), { nil: undefined })
    )
    .map(([serverChallenge, targetName, targetInfo]) => ({
      flags,
      serverChallenge,
      ...opt("targetName", targetName),
      ...opt("targetInfo", targetInfo),
      ...opt("version", version)
    }))
)

const authenticate: fc.Arbitrary<AuthenticateMessage> = flagsAndVersion.chain(({ flags, version }) => {
  const unicode = (flags & F.UNICODE) !== 0
  return fc
    .tuple(
      bytes(0, 24),
      fc.oneof(bytes(0, 0), bytes(24, 24), bytes(48, 300)),
      name(unicode),
      name(unicode),
      name(unicode),
      fc.option(bytes(16, 16), { nil: undefined }),
      fc.option(bytes(16, 16), { nil: undefined })
    )
    .map(([lm, nt, domain, user, workstation, key, mic]) => ({
      flags,
      lmChallengeResponse: lm,
      ntChallengeResponse: nt,
      domain,
      user,
      workstation,
      ...opt("encryptedRandomSessionKey", key),
      ...opt("version", version),
      ...opt("mic", mic)
    }))
})

const validMessages = fc.oneof(
  fc.constantFrom(CHALLENGE_V2, CHALLENGE_V1_ESS, AUTHENTICATE_V1, AUTHENTICATE_V2, chromium.negotiate, chromium.authenticate),
  negotiate.map(encodeNegotiate),
  challenge.map(encodeChallenge),
  authenticate.map(encodeAuthenticate)
)

// ---- properties ------------------------------------------------------------

describe("decoders never throw", () => {
  it("on arbitrary bytes", () => {
    fc.assert(fc.property(bytes(0, 300), (b) => decodeAll(b)), { numRuns: 500 })
  })

  it("on arbitrary bytes behind a valid signature and message type", () => {
    const framed = fc.tuple(fc.integer({ min: 1, max: 3 }), bytes(0, 300)).map(([type, rest]) => {
      const b = new Uint8Array(12 + rest.length)
      b.set(SIGNATURE)
      b[8] = type
      b.set(rest, 12)
      return b
    })
    fc.assert(fc.property(framed, (b) => decodeAll(b)), { numRuns: 1000 })
  })

  it("on every truncation of valid messages", () => {
    fc.assert(
      fc.property(validMessages, (m) => {
        for (let n = 0; n < m.length; n++) decodeAll(m.subarray(0, n))
      }),
      { numRuns: 100 }
    )
  })

  it("on bit flips of valid messages", () => {
    const flipped = validMessages.chain((m) =>
      fc.array(fc.nat({ max: m.length * 8 - 1 }), { minLength: 1, maxLength: 4 }).map((bits) => {
        const c = m.slice()
        for (const bit of bits) c[bit >> 3]! ^= 1 << (bit & 7)
        return c
      })
    )
    fc.assert(fc.property(flipped, (b) => decodeAll(b)), { numRuns: 1000 })
  })

  it("on bit flips of AV pair lists", () => {
    const lists = fc.array(avPair, { maxLength: 6 }).map(encodeAvPairs)
    fc.assert(
      fc.property(lists, fc.nat(), (l, bit) => {
        const c = l.slice()
        c[(bit >> 3) % c.length]! ^= 1 << (bit & 7)
        decodeAll(c)
      }),
      { numRuns: 500 }
    )
  })
})

describe("encode then decode is the identity", () => {
  it("NEGOTIATE", () => {
    fc.assert(fc.property(negotiate, (m) => {
      expect(Result.getOrThrow(decodeNegotiate(encodeNegotiate(m)))).toEqual(m)
    }))
  })
  it("CHALLENGE", () => {
    fc.assert(fc.property(challenge, (m) => {
      expect(Result.getOrThrow(decodeChallenge(encodeChallenge(m)))).toEqual(m)
    }))
  })
  it("AUTHENTICATE, with the MIC offset", () => {
    fc.assert(fc.property(authenticate, (m) => {
      const d = Result.getOrThrow(decodeAuthenticate(encodeAuthenticate(m)))
      expect(d.message).toEqual(m)
      expect(d.micOffset).toBe(m.mic === undefined ? undefined : 72)
    }))
  })
  it("AV pair lists", () => {
    fc.assert(fc.property(fc.array(avPair, { maxLength: 8 }), (pairs) => {
      expect(Result.getOrThrow(decodeAvPairs(encodeAvPairs(pairs)))).toEqual(pairs)
    }))
  })
})
