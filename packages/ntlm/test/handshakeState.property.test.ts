/**
 * The shared handshake state's codec (fast-check): any state round-trips
 * under its own id and under no other; any bytes, and any mutation of a
 * valid encoding, decode to a typed failure or a state, never a throw.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { Cause, Context, Effect, Exit, Layer, Option, Redacted, Result, Scope } from "effect"
import { Flags, HandshakeStore, SecurityError } from "@effect-sspi/core"
import { Ntlm, type UserStore } from "@effect-sspi/ntlm"
import { ntowfv1 } from "../src/internal/owf.ts"
import { avString, avTimestamp, fileTimeFromUnixMillis, findAvPair } from "../src/internal/avpairs.ts"
import { AvId, NegotiateFlags as F } from "../src/internal/constants.ts"
import {
  decodeServerState,
  encodeServerState,
  idOfTimestamp,
  issueTimestamp,
  MAX_OUTER,
  RANDOM_BITS
} from "../src/internal/handshakeState.ts"
import { encodeChallenge, encodeNegotiate } from "./support/encode.ts"
import { syncPackage } from "./support/syncPackage.ts"

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max })

/** A state as the acceptor stores it: a NEGOTIATE, a CHALLENGE with names and a timestamp, maybe a bindings hash. */
const state = fc.record({
  negotiateFlags: fc.integer({ min: 0, max: 0xffffffff }),
  flags: fc.integer({ min: 0, max: 0xffffffff }),
  serverChallenge: bytes(8, 8),
  computer: fc.string({ maxLength: 40 }),
  domain: fc.string({ maxLength: 40 }),
  timestamp: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  bindings: fc.option(bytes(16, 16), { nil: undefined }),
  outer: fc.option(bytes(0, 64), { nil: undefined })
}).map((s) => {
  const stamp = avTimestamp(s.timestamp)
  const flags = s.flags | F.TARGET_INFO
  return {
    id: idOfTimestamp(stamp),
    flags,
    serverChallenge: s.serverChallenge,
    bindings: s.bindings,
    outer: s.outer,
    negotiate: encodeNegotiate({ flags: s.negotiateFlags }),
    challenge: encodeChallenge({
      flags,
      serverChallenge: s.serverChallenge,
      targetInfo: [avString(AvId.MsvAvNbComputerName, s.computer), avString(AvId.MsvAvNbDomainName, s.domain), stamp]
    })
  }
})

const hex = (b: Uint8Array | undefined) => b === undefined ? undefined : Buffer.from(b).toString("hex")

describe("shared handshake state codec", () => {
  it("round-trips under its id, and is refused under any other", () => {
    fc.assert(
      fc.property(state, fc.string({ maxLength: 30 }), (s, otherId) => {
        const encoded = encodeServerState(s)
        const decoded = Result.getOrThrow(decodeServerState(encoded, s.id))
        assert.strictEqual(decoded.flags >>> 0, s.flags >>> 0)
        assert.strictEqual(hex(decoded.serverChallenge), hex(s.serverChallenge))
        assert.strictEqual(hex(decoded.negotiate), hex(s.negotiate))
        assert.strictEqual(hex(decoded.challenge), hex(s.challenge))
        assert.strictEqual(hex(decoded.bindings), hex(s.bindings))
        assert.strictEqual(hex(decoded.outer), hex(s.outer))
        assert.strictEqual(hex(findAvPair(decoded.targetInfo, AvId.MsvAvTimestamp)?.value), s.id.slice(5))
        if (otherId !== s.id) assert.isTrue(Result.isFailure(decodeServerState(encoded, otherId)))
      }),
      { numRuns: 300 }
    )
  })

  it("an outer (SPNEGO) state over MAX_OUTER bytes is refused (NtlmMalformed), one at the limit decodes", () => {
    fc.assert(fc.property(state, (s) => {
      const atLimit = decodeServerState(encodeServerState({ ...s, outer: new Uint8Array(MAX_OUTER) }), s.id)
      assert.strictEqual(Result.getOrThrow(atLimit).outer?.length, MAX_OUTER)
      const over = decodeServerState(encodeServerState({ ...s, outer: new Uint8Array(MAX_OUTER + 1) }), s.id)
      assert.isTrue(Result.isFailure(over) && over.failure._tag === "NtlmMalformed")
    }), { numRuns: 50 })
  })

  it("any bytes: a typed failure or a state, never a throw", () => {
    fc.assert(fc.property(bytes(0, 400), fc.string({ maxLength: 30 }), (b, id) => {
      const r = decodeServerState(b, id)
      if (Result.isFailure(r)) assert.strictEqual(r.failure._tag, "NtlmMalformed")
    }), { numRuns: 1000 })
  })

  it("mutated and truncated encodings: a typed failure or a state, never a throw", () => {
    const mutated = fc.tuple(state, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
    fc.assert(fc.property(mutated, ([s, edits, cut]) => {
      const b = encodeServerState(s)
      for (const [at, v] of edits) b[at % b.length] = v
      const r = decodeServerState(b.subarray(0, b.length - (cut % 4 === 0 ? cut % b.length : 0)), s.id)
      if (Result.isFailure(r)) assert.strictEqual(r.failure._tag, "NtlmMalformed")
    }), { numRuns: 1000 })
  })

  it("the issued MsvAvTimestamp is within ±0.84 s (2^23 × 100 ns) of the clock and carries random low-order bits", () => {
    const now = 1_700_000_000_000
    const base = fileTimeFromUnixMillis(now)
    const values = new Set<bigint>()
    for (let i = 0; i < 200; i++) {
      const v = new DataView(issueTimestamp(now).value.buffer).getBigUint64(0, true)
      const offset = v - base
      assert.isTrue(offset >= -(1n << BigInt(RANDOM_BITS - 1)) && offset < 1n << BigInt(RANDOM_BITS - 1), `${offset}`)
      values.add(v)
    }
    assert.isAtLeast(values.size, 199)
  })
})

// ---- the package's accept with a shared store, on mutated tokens -------------------------

const NOW = Date.UTC(2026, 10, 29)
const sharedStore = Effect.runSync(
  Effect.flatMap(Scope.make(), (scope) => Layer.buildWithScope(HandshakeStore.layerMemory(), scope)).pipe(
    Effect.map((context) => Context.get(context, HandshakeStore.HandshakeStore))
  )
)
const users: UserStore.UserStore["Service"] = {
  lookup: (_domain, user) =>
    Effect.succeed(
      user.toLowerCase() === "alice" ? Option.some({ domain: "EXAMPLE", user: "alice", ntHash: ntowfv1("Passw0rd!") }) : Option.none()
    )
}
const pkg = Ntlm.make({ serverNames: { dnsComputer: "server.example" }, userStore: users, handshakeStore: sharedStore })
const { request, credential } = syncPackage(pkg, NOW)
const client = credential(Flags.CredentialUse.OUTBOUND, { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") })
const server = credential(Flags.CredentialUse.INBOUND, {})

/** A handshake whose CHALLENGE is stored: its AUTHENTICATE and the server context that issued it. */
const started = () => {
  const c1 = Effect.runSync(pkg.initialize(client, undefined, request(undefined)))
  const s1 = Effect.runSync(pkg.accept(server, undefined, request(c1.output[0]!.data)))
  const c2 = Effect.runSync(pkg.initialize(client, c1.state, request(s1.output[0]!.data)))
  return { authenticate: c2.output[0]!.data, pending: s1.state }
}

describe("accept with a shared store never dies", () => {
  it("a real AUTHENTICATE on a fresh context is SEC_E_OK once (the sanity check of the property below)", () => {
    const { authenticate, pending } = started()
    assert.strictEqual(Effect.runSync(pkg.accept(server, undefined, request(authenticate))).status, "SEC_E_OK")
    const again = Effect.runSyncExit(pkg.accept(server, undefined, request(authenticate)))
    assert.isTrue(Exit.isFailure(again) && Cause.squash(again.cause) instanceof SecurityError.InvalidToken)
    Effect.runSync(pkg.deleteContext(pending))
  })

  it("mutated AUTHENTICATEs on a fresh context and on the issuing context: a typed failure or a success", () => {
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.nat(), fc.boolean(), (bits, cut, onPending) => {
      const { authenticate, pending } = started()
      const t = authenticate.slice()
      for (const bit of bits) t[(bit >> 3) % t.length]! ^= 1 << (bit & 7)
      const token = cut % 3 === 0 ? t.subarray(0, cut % t.length) : t
      const exit = Effect.runSyncExit(pkg.accept(server, onPending ? pending : undefined, request(token)))
      if (Exit.isFailure(exit)) assert.isFalse(Cause.hasDies(exit.cause))
      else Effect.runSync(pkg.deleteContext(exit.value.state))
      Effect.runSync(pkg.deleteContext(pending))
    }), { numRuns: 300 })
    // (an AUTHENTICATE whose echo names another id leaves the issuing context's own entry to its TTL, by design: pooled connections)
  })
})
