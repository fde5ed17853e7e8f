/**
 * Every NTLM attack of issue 9, each with the exact status it must end in.
 * Tokens come from real peers (python3-ntlm-auth, gss-ntlmssp, curl) with a
 * man in the middle between them and our acceptor, or, where no peer makes
 * the token, from our own initiator with the bytes tampered in the test.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Result } from "effect"
import { type ChannelBindings, SecBuffer, SecurityContext, SecurityStatus, SspiRuntime } from "@effect-sspi/core"
import { TestClock } from "effect/testing"
import { Drivers, Ours, requirePeersSync } from "@effect-sspi/interop-harness"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { readU16, readU32, writeU32 } from "../src/internal/bytes.ts"
import { OutstandingChallenges } from "../src/internal/challenges.ts"
import { AvId, NegotiateFlags as F } from "../src/internal/constants.ts"
import { decodeAuthenticate, decodeChallenge } from "../src/internal/messages.ts"
import { probe } from "../src/internal/probe.ts"
import { decodeNtlmv2Response } from "../src/internal/responses.ts"
import { encodeAuthenticate, encodeChallenge } from "./support/encode.ts"
import { curlInitiator, mitm } from "./support/peers.ts"
import { alice, clientCredentials, ntlmLayer, serverCredentials, users } from "./support/runtime.ts"

const hasPython = requirePeersSync("ntlm", "ntlmAuth")
const hasGss = requirePeersSync("ntlm")
const hasCurl = requirePeersSync("curl")

const peerUser = { domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }
const enc = new TextEncoder()
const cb = (s: string) => enc.encode(`tls-server-end-point:${s}`)
const statusOf = (exit: Exit.Exit<unknown, unknown>) =>
  SecurityStatus.nameOf(SecurityStatus.fromExit(exit as Exit.Exit<unknown, never>))

// ---- tampering -------------------------------------------------------------

const NEGOTIATE_FLAGS = 12
const AUTHENTICATE_FLAGS = 60
const same = (t: Uint8Array) => t

/** A CHALLENGE without the AV pairs `ids` (re-encoded). */
const withoutPairs = (...ids: ReadonlyArray<number>) => (challenge: Uint8Array): Uint8Array => {
  const m = Result.getOrThrow(decodeChallenge(challenge))
  return encodeChallenge({ ...m, targetInfo: (m.targetInfo ?? []).filter((p) => !ids.includes(p.id)) })
}

/** A CHALLENGE whose MsvAvDnsComputerName names another host. */
const otherHostName = (challenge: Uint8Array): Uint8Array => {
  const m = Result.getOrThrow(decodeChallenge(challenge))
  const targetInfo = (m.targetInfo ?? []).map((p) =>
    p.id === AvId.MsvAvDnsComputerName ? { id: p.id, value: enc.encode("e\0v\0i\0l\0") } : p
  )
  return encodeChallenge({ ...m, targetInfo })
}

/** The 32-bit flags at `at` with `mask` cleared. */
const clearFlags = (at: number, mask: number) => (msg: Uint8Array): Uint8Array => {
  const c = msg.slice()
  writeU32(c, at, readU32(c, at) & ~mask)
  return c
}

/** Tamper only the n-th token. */
const onLeg = (n: number, f: (t: Uint8Array) => Uint8Array) => (t: Uint8Array, i: number) => (i === n ? f(t) : t)

const zeroMic = (auth: Uint8Array): Uint8Array => {
  const c = auth.slice()
  c.fill(0, 72, 88)
  return c
}

/** The AUTHENTICATE re-encoded without its MIC field (MsvAvFlags still announces one). */
const removeMic = (auth: Uint8Array): Uint8Array => {
  const { message } = Result.getOrThrow(decodeAuthenticate(auth))
  const { mic: _mic, ...rest } = message
  return encodeAuthenticate(rest)
}

const weakFlags = F.SEAL | F.KEY_128 | F.KEY_56 | F.KEY_EXCH | F.EXTENDED_SESSIONSECURITY

// ---- peers against our acceptor ------------------------------------------------

interface Attack {
  /** Tampers what reaches the client (n = 0: the CHALLENGE). */
  readonly toClient?: (t: Uint8Array, n: number) => Uint8Array
  /** Tampers what reaches our acceptor (n = 0: NEGOTIATE, 1: AUTHENTICATE). */
  readonly toServer?: (t: Uint8Array, n: number) => Uint8Array
  /** Channel-binding application data given to our acceptor. */
  readonly serverBindings?: Uint8Array
  /** The caller's per-call Extended Protection level (as the HTTP server passes it). */
  readonly callLevel?: ChannelBindings.ExtendedProtection
}

/**
 * A real client through a man in the middle to our acceptor; the exit's
 * status and the tokens our acceptor saw. (Provide the runtime per attack,
 * never nested: a nested layer would share the outer runtime.)
 */
const attack = (client: Effect.Effect<Drivers.Stepper<unknown>, unknown, any>, a: Attack = {}) =>
  Effect.scoped(Effect.gen(function*() {
    const peer = yield* client
    const acceptor = yield* SecurityContext.acceptor(
      yield* serverCredentials(),
      {
        ...(a.serverBindings === undefined ? {} : { extraInput: [SecBuffer.channelBindings(a.serverBindings)] }),
        ...(a.callLevel === undefined ? {} : { extendedProtection: a.callLevel })
      }
    )
    const seen: Array<Uint8Array> = []
    const ours = yield* Ours.ourStepper(acceptor)
    const exit = yield* Effect.exit(Drivers.handshake(
      mitm(peer, a.toClient ?? same),
      mitm(ours, (t, n) => {
        const out = (a.toServer ?? same)(t, n)
        seen.push(out)
        return out
      })
    ))
    return { status: statusOf(exit), seen }
  }))

const python = (options: Partial<Drivers.NtlmAuthClientOptions> = {}) =>
  Effect.map(Drivers.ntlmAuthClient({ ...peerUser, ...options }), Drivers.stepper)
const gss = (options: Partial<Drivers.GssPeerOptions> = {}) =>
  Effect.map(Drivers.gssPeer({ role: "initiate", mech: "ntlm", target: "HTTP@localhost", ...peerUser, ...options }), Drivers.stepper)
const curl = curlInitiator("EXAMPLE\\alice:Passw0rd!")
/** Our initiator, loopback target, no bindings. */
const ourClient = Effect.gen(function*() {
  const initiator = yield* SecurityContext.initiator(yield* clientCredentials(alice), { targetName: "HTTP/server.example" })
  return yield* Ours.ourStepper(initiator)
})

/** The client's MsvAvChannelBindings as it reached the acceptor (undefined: absent). */
const bindingsPair = (authenticate: Uint8Array) => {
  const nt = Result.getOrThrow(decodeAuthenticate(authenticate)).message.ntChallengeResponse
  return Result.getOrThrow(decodeNtlmv2Response(nt)).avPairs.find((p) => p.id === AvId.MsvAvChannelBindings)?.value
}

describe("NTLM attacks with real peers (MS-NLMP 3.2.5.1.2)", () => {
  it.live.skipIf(!hasPython)("A: MsvAvTimestamp stripped from the CHALLENGE (the client then sends no MIC): SEC_E_LOGON_DENIED", () =>
    Effect.gen(function*() {
      const r = yield* attack(python(), { toClient: onLeg(0, withoutPairs(AvId.MsvAvTimestamp)) })
      assert.strictEqual(r.status, "SEC_E_LOGON_DENIED")
      // the client really sent no MIC: its AUTHENTICATE has no MsvAvFlags 0x2
      const nt = Result.getOrThrow(decodeAuthenticate(r.seen[1]!)).message.ntChallengeResponse
      assert.isUndefined(Result.getOrThrow(decodeNtlmv2Response(nt)).avPairs.find((p) => p.id === AvId.MsvAvFlags))
    }).pipe(Effect.provide(ntlmLayer())), 60_000)

  it.live.skipIf(!hasPython)("A: timestamp stripped and NEGOTIATE weakened (no SEAL, 128, KEY_EXCH, ESS): LOGON_DENIED; strict: UNSUPPORTED_FUNCTION", () =>
    Effect.gen(function*() {
      const a: Attack = {
        toClient: onLeg(0, withoutPairs(AvId.MsvAvTimestamp)),
        toServer: onLeg(0, clearFlags(NEGOTIATE_FLAGS, weakFlags))
      }
      assert.strictEqual((yield* attack(python(), a).pipe(Effect.provide(ntlmLayer()))).status, "SEC_E_LOGON_DENIED")
      assert.strictEqual(
        (yield* attack(python(), a).pipe(Effect.provide(ntlmLayer(Ntlm.strict)))).status,
        "SEC_E_UNSUPPORTED_FUNCTION"
      )
    }), 60_000)

  it.live.skipIf(!hasPython)("strict: 128-bit cleared from the AUTHENTICATE's flags is SEC_E_UNSUPPORTED_FUNCTION (before the MIC fails)", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* attack(python())).status, "SEC_E_OK")
      const r = yield* attack(python(), { toServer: onLeg(1, clearFlags(AUTHENTICATE_FLAGS, F.KEY_128)) })
      assert.strictEqual(r.status, "SEC_E_UNSUPPORTED_FUNCTION")
    }).pipe(Effect.provide(ntlmLayer(Ntlm.strict))), 60_000)

  it.live.skipIf(!hasPython)("MIC zeroed or removed, NEGOTIATE flags or CHALLENGE AV pairs tampered under a MIC: SEC_E_LOGON_DENIED", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* attack(python())).status, "SEC_E_OK")
      for (const a of [
        { toServer: onLeg(1, zeroMic) },
        { toServer: onLeg(1, removeMic) },
        { toServer: onLeg(0, clearFlags(NEGOTIATE_FLAGS, F.SEAL)) },
        { toClient: onLeg(0, clearFlags(20, F.KEY_128)) },
        { toClient: onLeg(0, otherHostName) },
        { toServer: onLeg(1, clearFlags(AUTHENTICATE_FLAGS, F.SEAL)) }
      ]) {
        assert.strictEqual((yield* attack(python(), a)).status, "SEC_E_LOGON_DENIED")
      }
    }).pipe(Effect.provide(ntlmLayer())), 60_000)

  it.live.skipIf(!hasPython)("NTLMv1 and LM downgrade (LmCompatibilityLevel 0 and 1): SEC_E_LOGON_DENIED", () =>
    Effect.gen(function*() {
      for (const compat of [0, 1]) {
        const r = yield* attack(python({ compat }))
        assert.strictEqual(Result.getOrThrow(decodeAuthenticate(r.seen[1]!)).message.ntChallengeResponse.length, 24)
        assert.strictEqual(r.status, "SEC_E_LOGON_DENIED")
      }
    }).pipe(Effect.provide(ntlmLayer())), 60_000)

  it.live.skipIf(!hasPython)("an AUTHENTICATE replayed on a new challenge: SEC_E_LOGON_DENIED", () =>
    Effect.gen(function*() {
      const first = yield* attack(python())
      assert.strictEqual(first.status, "SEC_E_OK")
      const replayed = yield* attack(python(), { toServer: onLeg(1, () => first.seen[1]!) })
      assert.strictEqual(replayed.status, "SEC_E_LOGON_DENIED")
    }).pipe(Effect.provide(ntlmLayer())), 60_000)

  it.live.skipIf(!hasPython)("offset and length abuse on a real AUTHENTICATE: SEC_E_INVALID_TOKEN", () =>
    Effect.gen(function*() {
      const patch = (at: number, value: number, width: 2 | 4) => (t: Uint8Array) => {
        const c = t.slice()
        if (width === 4) writeU32(c, at, value)
        else c.set([value & 0xff, value >> 8], at)
        return c
      }
      const abuses = {
        "NT response offset past the end": patch(24, 0xfffffff0, 4),
        "NT response offset inside the header": patch(24, 8, 4),
        "NT response length past the end": patch(20, 0xffff, 2),
        "domain offset past the end": patch(32, 0xfffffff0, 4),
        "truncated": (t: Uint8Array) => t.subarray(0, 40)
      }
      for (const [name, f] of Object.entries(abuses)) {
        assert.strictEqual((yield* attack(python(), { toServer: onLeg(1, f) })).status, "SEC_E_INVALID_TOKEN", name)
      }
    }).pipe(Effect.provide(ntlmLayer())), 60_000)

  describe("channel bindings at each Extended Protection level (acceptor bound to A)", () => {
    // none: python3-ntlm-auth and gss-ntlmssp send no MsvAvChannelBindings; zero: our initiator
    // without bindings sends 16 zero bytes; wrong: B
    const table = [
      ["off", { none: "SEC_E_OK", zero: "SEC_E_OK", wrong: "SEC_E_OK", right: "SEC_E_OK" }],
      ["whenSupported", { none: "SEC_E_OK", zero: "SEC_E_OK", wrong: "SEC_E_BAD_BINDINGS", right: "SEC_E_OK" }],
      ["required", { none: "SEC_E_BAD_BINDINGS", zero: "SEC_E_BAD_BINDINGS", wrong: "SEC_E_BAD_BINDINGS", right: "SEC_E_OK" }]
    ] as const
    for (const [level, expected] of table) {
      it.live.skipIf(!hasPython || !hasGss)(`${level}`, () =>
        Effect.gen(function*() {
          const none = yield* attack(python(), { serverBindings: cb("A") })
          assert.isUndefined(bindingsPair(none.seen[1]!))
          const gssNone = yield* attack(gss(), { serverBindings: cb("A") })
          assert.isUndefined(bindingsPair(gssNone.seen[1]!))
          assert.strictEqual(gssNone.status, none.status)
          const zero = yield* attack(ourClient, { serverBindings: cb("A") })
          assert.deepStrictEqual(bindingsPair(zero.seen[1]!), new Uint8Array(16))
          const wrong = yield* attack(python({ channelBindings: cb("B") }), { serverBindings: cb("A") })
          const right = yield* attack(python({ channelBindings: cb("A") }), { serverBindings: cb("A") })
          assert.deepStrictEqual(
            { none: none.status, zero: zero.status, wrong: wrong.status, right: right.status },
            { ...expected }
          )
        }).pipe(Effect.provide(ntlmLayer({ extendedProtection: level }))), 60_000)
    }
  })

  it.live.skipIf(!hasPython)("the caller's per-call level overrides the package's (an HTTP server's \"required\" over a package at \"off\", and back)", () =>
    Effect.gen(function*() {
      const strictCall = yield* attack(python(), { serverBindings: cb("A"), callLevel: "required" }).pipe(
        Effect.provide(ntlmLayer({ extendedProtection: "off" }))
      )
      assert.strictEqual(strictCall.status, "SEC_E_BAD_BINDINGS")
      const lenientCall = yield* attack(python(), { serverBindings: cb("A"), callLevel: "off" }).pipe(
        Effect.provide(ntlmLayer({ extendedProtection: "required" }))
      )
      assert.strictEqual(lenientCall.status, "SEC_E_OK")
    }), 60_000)

  it.live.skipIf(!hasCurl)("curl's weak NEGOTIATE (0x00088206, no MIC): SEC_E_OK by default, SEC_E_UNSUPPORTED_FUNCTION when strict", () =>
    Effect.gen(function*() {
      const r = yield* attack(curl).pipe(Effect.provide(ntlmLayer()))
      assert.strictEqual(readU32(r.seen[0]!, NEGOTIATE_FLAGS), 0x00088206)
      assert.strictEqual(r.status, "SEC_E_OK")
      const strict = yield* attack(curl).pipe(Effect.provide(ntlmLayer(Ntlm.strict)))
      assert.strictEqual(strict.status, "SEC_E_UNSUPPORTED_FUNCTION")
      assert.strictEqual(strict.seen.length, 1, "refused at NEGOTIATE: no challenge issued")
      // a MIC alone required: curl sends none
      assert.strictEqual((yield* attack(curl).pipe(Effect.provide(ntlmLayer({ requireMic: true })))).status, "SEC_E_UNSUPPORTED_FUNCTION")
      // curl echoes what it got: a stripped timestamp shows
      const stripped = yield* attack(curl, { toClient: onLeg(0, withoutPairs(AvId.MsvAvTimestamp)) }).pipe(Effect.provide(ntlmLayer()))
      assert.strictEqual(stripped.status, "SEC_E_LOGON_DENIED")
    }), 60_000)

  it.live.skipIf(!hasCurl)("SPN target name validation: curl names no target; \"required\" refuses it (SEC_E_WRONG_PRINCIPAL), \"whenPresent\" accepts", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        (yield* attack(curl).pipe(Effect.provide(ntlmLayer({ targetNameValidation: "required" })))).status,
        "SEC_E_WRONG_PRINCIPAL"
      )
      assert.strictEqual(
        (yield* attack(curl).pipe(Effect.provide(ntlmLayer({ targetNameValidation: "whenPresent" })))).status,
        "SEC_E_OK"
      )
    }), 60_000)
})

// ---- our initiator ----------------------------------------------------------------

/** Our initiator against our acceptor in one runtime (one package instance), with a man in the middle. */
const ours = (target: string, a: Attack = {}) =>
  Effect.scoped(Effect.gen(function*() {
    const initiator = yield* SecurityContext.initiator(yield* clientCredentials(alice), { targetName: target })
    const acceptor = yield* SecurityContext.acceptor(yield* serverCredentials())
    const exit = yield* Effect.exit(Drivers.handshake(
      mitm(yield* Ours.ourStepper(initiator), a.toClient ?? same),
      mitm(yield* Ours.ourStepper(acceptor), a.toServer ?? same)
    ))
    return statusOf(exit)
  }))

describe("NTLM attacks with our initiator", () => {
  it.effect("B: reflection — our own acceptor's CHALLENGE for a target elsewhere: SEC_E_LOGON_DENIED; a loopback target passes", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* ours("HTTP/attacker.example"), "SEC_E_LOGON_DENIED")
      assert.strictEqual(yield* ours("HTTP/server.example"), "SEC_E_OK")
      assert.strictEqual(yield* ours("HTTP/localhost:8080"), "SEC_E_OK")
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("B: SPN target name validation against the service names: another SPN is SEC_E_WRONG_PRINCIPAL", () =>
    Effect.gen(function*() {
      const names = { targetNameValidation: "whenPresent", serviceNames: ["HTTP/server.example", "HTTP@web.example"] } as const
      assert.strictEqual(yield* ours("HTTP/server.example").pipe(Effect.provide(ntlmLayer(names))), "SEC_E_OK")
      // a loopback name that is not among the service names
      assert.strictEqual(yield* ours("HTTP/localhost").pipe(Effect.provide(ntlmLayer(names))), "SEC_E_WRONG_PRINCIPAL")
      assert.strictEqual(yield* ours("HOST/server.example").pipe(Effect.provide(ntlmLayer(names))), "SEC_E_WRONG_PRINCIPAL")
      // default names: any service on this host's names
      assert.strictEqual(yield* ours("HTTP/localhost").pipe(Effect.provide(ntlmLayer({ targetNameValidation: "required" }))), "SEC_E_OK")
    }))

  it.effect("A: our initiator sends a MIC even when the CHALLENGE has no timestamp, so the MitM is caught twice", () =>
    Effect.gen(function*() {
      let mic: Uint8Array | undefined
      const status = yield* ours("HTTP/server.example", {
        toClient: onLeg(0, withoutPairs(AvId.MsvAvTimestamp)),
        toServer: onLeg(1, (t) => {
          mic = Result.getOrThrow(decodeAuthenticate(t)).message.mic
          return t
        })
      })
      assert.strictEqual(status, "SEC_E_LOGON_DENIED")
      assert.isDefined(mic)
      assert.isTrue(mic!.some((b) => b !== 0))
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("anonymous AUTHENTICATE (empty NT response): SEC_E_LOGON_DENIED", () =>
    Effect.gen(function*() {
      const anonymous = (t: Uint8Array) => {
        const { message } = Result.getOrThrow(decodeAuthenticate(t))
        const { mic: _mic, encryptedRandomSessionKey: _key, ...rest } = message
        return encodeAuthenticate({ ...rest, flags: message.flags | F.ANONYMOUS, user: "", domain: "", lmChallengeResponse: new Uint8Array(1), ntChallengeResponse: new Uint8Array(0) })
      }
      assert.strictEqual(yield* ours("HTTP/server.example", { toServer: onLeg(1, anonymous) }), "SEC_E_LOGON_DENIED")
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("D2: a CHALLENGE whose TargetInfo is ~65.4 KB is SEC_E_INVALID_TOKEN from the initiator, never a defect", () =>
    Effect.gen(function*() {
      // 65,400: the AUTHENTICATE outgrows 64 KiB; 65,480: the echoed AV pair list outgrows a 16-bit length
      for (const size of [65_400, 65_480]) {
        const failure = yield* Effect.scoped(Effect.gen(function*() {
          const initiator = yield* SecurityContext.initiator(yield* clientCredentials(alice), { targetName: "HTTP/server.example" })
          yield* initiator.step()
          const huge = encodeChallenge({
            flags: F.UNICODE | F.NTLM | F.TARGET_INFO | F.EXTENDED_SESSIONSECURITY,
            serverChallenge: new Uint8Array(8).fill(7),
            targetInfo: [{ id: AvId.MsvAvDnsTreeName, value: new Uint8Array(size) }]
          })
          assert.isTrue(huge.length <= 64 * 1024)
          assert.strictEqual(readU16(huge, 40), size + 8)
          return yield* Effect.flip(initiator.step(huge))
        }))
        assert.strictEqual(failure._tag, "InvalidToken")
      }
      assert.deepStrictEqual(yield* SspiRuntime.stats, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("B: an outstanding challenge expires with the handshake time-out (Clock); the list is bounded", () =>
    Effect.gen(function*() {
      const reflected = (wait: number) =>
        Effect.scoped(Effect.gen(function*() {
          const initiator = yield* SecurityContext.initiator(yield* clientCredentials(alice), { targetName: "HTTP/attacker.example" })
          const acceptor = yield* SecurityContext.acceptor(yield* serverCredentials())
          const challenge = yield* acceptor.step((yield* initiator.step()).token)
          yield* TestClock.adjust(wait)
          return statusOf(yield* Effect.exit(initiator.step(challenge.token)))
        }))
      assert.strictEqual(yield* reflected(59_999), "SEC_E_LOGON_DENIED")
      // past the time-out the acceptor has forgotten it (and would refuse the AUTHENTICATE as late)
      assert.strictEqual(yield* reflected(60_000), "SEC_E_OK")
      const list = new OutstandingChallenges(2, 1000)
      const c = (n: number) => new Uint8Array(8).fill(n)
      list.add(c(1), 0)
      list.add(c(2), 0)
      list.add(c(3), 0)
      assert.deepStrictEqual([list.has(c(1), 0), list.has(c(2), 0), list.has(c(3), 0), list.size], [false, true, true, 2])
      list.add(c(4), 1000)
      assert.deepStrictEqual([list.has(c(3), 1000), list.has(c(4), 1000), list.size], [false, true, 1])
    }).pipe(Effect.provide(ntlmLayer({ challengeLifetimeMs: 60_000 }))))
})

describe("C: user enumeration by timing", () => {
  it.effect("unknown user and wrong password: the same HMACs over the same sizes, one failure object each, the same status", () =>
    Effect.gen(function*() {
      const pkg = Ntlm.make({ userStore: yield* UserStore.UserStore, serverNames: { dnsComputer: "server.example" } })
      const request = (input: ReadonlyArray<SecBuffer.SecBuffer>) =>
        ({ targetName: "HTTP/server.example", contextReq: 0, dataRep: 0x10, input, now: Date.UTC(2026, 10, 29) })
      const run = (user: string) =>
        Effect.gen(function*() {
          const authData: Ntlm.NtlmAuthData = { user, domain: "EXAMPLE", password: Redacted.make("wrong!") }
          const client = (yield* pkg.acquireCredentials({ principal: undefined, credentialUse: 2, authData, now: 0 })).credential
          const server = (yield* pkg.acquireCredentials({ principal: undefined, credentialUse: 1, authData: {}, now: 0 })).credential
          const c1 = yield* pkg.initialize(client, undefined, request([]))
          const s1 = yield* pkg.accept(server, undefined, request(c1.output))
          const c2 = yield* pkg.initialize(client, c1.state, request(s1.output))
          const trace: Array<string> = []
          probe.hmac = (n) => trace.push(`hmac ${n}`)
          probe.failure = (tag) => trace.push(`failure ${tag}`)
          const failure = yield* Effect.flip(pkg.accept(server, s1.state, request(c2.output))).pipe(
            Effect.ensuring(Effect.sync(() => {
              probe.hmac = undefined
              probe.failure = undefined
            }))
          )
          return { trace, status: failure._tag }
        })
      // "carol" is unknown and as long as "alice", so NTOWFv2 covers as many bytes
      const wrong = yield* run("alice")
      const unknown = yield* run("carol")
      assert.deepStrictEqual(unknown, wrong)
      assert.deepStrictEqual(wrong.trace, ["hmac 24", "hmac 192", "hmac 10", "hmac 192", "failure LogonDenied"])
      assert.strictEqual(wrong.status, "LogonDenied")
    }).pipe(Effect.provide(UserStore.layerMemory(users))))
})
