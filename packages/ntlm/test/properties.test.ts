import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Redacted, Result } from "effect"
import { encodeAuthenticate, encodeChallenge, encodeNegotiate, encodeAvPairs } from "./support/encode.ts"
import fc from "fast-check"
import { type AvPair, decodeAvPairs, encodeAvPairs as encodeAvPairsResult } from "../src/internal/avpairs.ts"
import { ChannelBindings, Flags, SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import { Ntlm, NtlmMessage, UserStore } from "@effect-sspi/ntlm"
import { ntowfv1 } from "../src/internal/owf.ts"
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

// ---- entry points: the package's accept and initialize, NtlmMessage, the user file ----

const pkg = Ntlm.make({
  serverNames: { dnsComputer: "server.example" },
  userStore: {
    lookup: (_domain, user) =>
      Effect.succeed(
        user.toLowerCase() === "alice"
          ? Option.some({ domain: "EXAMPLE", user: "alice", ntHash: ntowfv1("Passw0rd!") })
          : Option.none()
      )
  }
})
const NOW = Date.UTC(2026, 10, 29)
const request = (token: Uint8Array | undefined, cb?: Uint8Array): SecurityPackage.HandshakeRequest => ({
  targetName: "HTTP/server.example",
  contextReq: 0,
  dataRep: 0x10,
  input: [
    ...(token === undefined ? [] : [SecBuffer.token(token)]),
    ...(cb === undefined ? [] : [SecBuffer.channelBindings(cb)])
  ],
  now: NOW
})
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runSyncExit(effect)
const credential = (use: Flags.CredentialUse, authData: unknown) =>
  Effect.runSync(pkg.acquireCredentials({ principal: undefined, credentialUse: use, authData, now: NOW })).credential
const client = credential(Flags.CredentialUse.OUTBOUND, { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") })
const server = credential(Flags.CredentialUse.INBOUND, {})

/** A real handshake's three tokens. */
const real = (() => {
  const c1 = Effect.runSync(pkg.initialize(client, undefined, request(undefined)))
  const negotiate = c1.output[0]!.data
  const s1 = Effect.runSync(pkg.accept(server, undefined, request(negotiate)))
  const challenge = s1.output[0]!.data
  const c2 = Effect.runSync(pkg.initialize(client, c1.state, request(challenge)))
  return { negotiate, challenge, authenticate: c2.output[0]!.data }
})()

/** A typed failure or a success; a defect (throw, die) fails the property. */
const noDefect = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isFailure(exit)) expect(Cause.hasDies(exit.cause)).toBe(false)
}

const mutated = (base: Uint8Array) =>
  fc.oneof(
    fc.array(fc.nat({ max: base.length * 8 - 1 }), { minLength: 1, maxLength: 6 }).map((bits) => {
      const c = base.slice()
      for (const bit of bits) c[bit >> 3]! ^= 1 << (bit & 7)
      return c
    }),
    fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(2, 4)).map(([at, v, w]) => {
      // field descriptors: lengths and offsets set to arbitrary values
      const c = base.slice()
      for (let i = 0; i < w && at + i < c.length; i++) c[at + i] = (v >> (8 * (i % 2))) & 0xff
      return c
    }),
    fc.nat({ max: base.length }).map((n) => base.subarray(0, n)),
    bytes(0, 400)
  )

describe("entry points never die", () => {
  it("accept: NEGOTIATE leg on mutated and random tokens", () => {
    fc.assert(fc.property(mutated(real.negotiate), (t) => {
      const exit = run(pkg.accept(server, undefined, request(t)))
      noDefect(exit)
      if (Exit.isSuccess(exit)) run(pkg.deleteContext(exit.value.state))
    }), { numRuns: 300 })
  })

  it("accept: AUTHENTICATE leg on mutated real tokens, with and without channel bindings", () => {
    fc.assert(fc.property(mutated(real.authenticate), fc.boolean(), (t, bound) => {
      const s1 = Effect.runSync(pkg.accept(server, undefined, request(real.negotiate)))
      noDefect(run(pkg.accept(server, s1.state, request(t, bound ? new Uint8Array(40) : undefined))))
      run(pkg.deleteContext(s1.state))
    }), { numRuns: 300 })
  })

  it("initialize: CHALLENGE leg on mutated real tokens and huge TargetInfo", () => {
    const huge = fc.integer({ min: 60_000, max: 65_460 }).map((n) =>
      encodeChallenge({
        flags: F.UNICODE | F.NTLM | F.TARGET_INFO,
        serverChallenge: new Uint8Array(8),
        targetInfo: [{ id: AvId.MsvAvDnsTreeName, value: new Uint8Array(n) }, { id: AvId.MsvAvTimestamp, value: new Uint8Array(8) }]
      })
    )
    fc.assert(fc.property(fc.oneof(mutated(real.challenge), huge), (t) => {
      const c1 = Effect.runSync(pkg.initialize(client, undefined, request(undefined)))
      noDefect(run(pkg.initialize(client, c1.state, request(t))))
    }), { numRuns: 300 })
  })

  it("NtlmMessage.decode and isNtlm on mutated real tokens", () => {
    const any = fc.oneof(mutated(real.negotiate), mutated(real.challenge), mutated(real.authenticate))
    fc.assert(fc.property(any, (t) => {
      expect(Result.isResult(NtlmMessage.decode(t))).toBe(true)
      expect(typeof NtlmMessage.isNtlm(t)).toBe("boolean")
    }), { numRuns: 500 })
  })

  it("UserStore.parseUserFile on arbitrary text: entries or SEC_E_INVALID_PARAMETER", () => {
    const lines = fc.array(fc.oneof(fc.string(), fc.constant("EXAMPLE:alice:pw"), fc.constant(":::")), { maxLength: 8 })
    fc.assert(fc.property(lines, (l) => noDefect(run(UserStore.parseUserFile(l.join("\n"))))), { numRuns: 300 })
  })

  it("encoders return NtlmTooLarge instead of throwing on any size", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 3 }), (sizes) => {
      const r = encodeAvPairsResult(sizes.map((n) => ({ id: AvId.MsvAvDnsTreeName, value: new Uint8Array(n) })))
      const total = sizes.reduce((a, n) => a + 4 + n, 4)
      expect(Result.isSuccess(r)).toBe(total <= 0xffff && sizes.every((n) => n <= 0xffff))
    }), { numRuns: 100 })
  })
})
