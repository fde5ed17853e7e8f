/**
 * Issue 12 item 2, "the same for NTLM inside SPNEGO": a Negotiate handshake
 * over NTLM whose legs reach different nodes. Two independent Negotiate/NTLM
 * package instances (node A, node B, each its own runtime) share one memory
 * HandshakeStore; our Negotiate initiator sends its first leg(s) to A and its
 * NegTokenResp carrying the NTLM AUTHENTICATE to a fresh context of B, which
 * finishes it from the store, checking the client's mechListMIC over the
 * mechTypes A received (RFC 4178 section 5). Attacks: stripped or reordered
 * mechTypes, a tampered mechListMIC, a SPNEGO AUTHENTICATE unwrapped to bare
 * NTLM (and the reverse), replays; missing, expired and garbled entries.
 * The real-client version (gss-ntlmssp through MIT's SPNEGO, HTTP, nginx,
 * Redis) is packages/cli/test/nginxSpnego.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { Oid } from "@effect-sspi/asn1"
import { Cause, Context, Duration, Effect, Exit, Layer, Option, Result } from "effect"
import { TestClock } from "effect/testing"
import { Flags, HandshakeStore, type SecurityContext, SecurityContext as Ctx } from "@effect-sspi/core"
import { decodeToken } from "../src/internal/decode.ts"
import { encodeMechTypeList, encodeToken } from "../src/internal/encode.ts"
import { KRB5, MS_KRB5, NTLMSSP } from "../src/internal/oids.ts"
import { decodeSpnegoState, encodeSpnegoState } from "../src/internal/sharedState.ts"
import { NegState, type NegTokenResp } from "../src/internal/tokens.ts"
import { alice, credentials } from "./support/runtime.ts"
import { acceptor, clientMachine, give, initiator, node, type Node, statusOf } from "./support/nodes.ts"

const PASSWORD = "Passw0rd!"

const memoryStore = Effect.map(Layer.build(HandshakeStore.layerMemory()), (c) => Context.get(c, HandshakeStore.HandshakeStore))

const resp = (bytes: Uint8Array): NegTokenResp => {
  const r = decodeToken(bytes)
  if (Result.isFailure(r) || r.success._tag !== "NegTokenResp") throw new Error("not a NegTokenResp")
  return r.success
}

const init0 = (step: { readonly token: Uint8Array | undefined }) => step.token!
const resp0 = (bytes: Uint8Array) => {
  const t = decodeToken(bytes)
  if (Result.isFailure(t) || t.success._tag !== "NegTokenInit") throw new Error("not a NegTokenInit")
  return t.success
}

const isAuthenticateLeg = (bytes: Uint8Array) => {
  const t = decodeToken(bytes)
  const inner = Result.isSuccess(t) && t.success._tag === "NegTokenResp" ? t.success.responseToken : undefined
  return inner !== undefined && inner[8] === 3
}

/**
 * Runs the client against node A until its NegTokenResp carries the NTLM
 * AUTHENTICATE (one leg on A when NTLM is its first choice, two otherwise);
 * `tamper` sits between the client's NegTokenInit and A.
 */
const startOnA = (client: Node, a: Node, options: { kerberos?: boolean; tamper?: (init: Uint8Array) => Uint8Array } = {}) =>
  Effect.gen(function*() {
    const ini = yield* initiator(client, PASSWORD, options.kerberos === true)
    const onA = yield* acceptor(a)
    const init = (yield* client.run(ini.step())).token!
    let token = (options.tamper ?? ((t) => t))(init)
    for (let legs = 0; legs < 3; legs++) {
      const answer = yield* a.run(onA.step(token))
      token = (yield* client.run(ini.step(answer.token))).token!
      if (isAuthenticateLeg(token)) return { ini, onA, last: token, init, legsOnA: legs + 1 }
    }
    throw new Error("no AUTHENTICATE leg")
  })

/** The last leg on a fresh context of `b`; on SEC_E_OK the client checks B's answer (its mechListMIC). */
const finishOn = (b: Node, client: Node, ini: SecurityContext.SecurityContext, last: Uint8Array) =>
  Effect.gen(function*() {
    const onB = yield* acceptor(b)
    const r = yield* give(b, onB, last)
    if (r.status === "SEC_E_OK") yield* client.run(ini.step(r.token))
    return { ...r, onB }
  })

const twoNodes = (ntlm: Parameters<typeof node>[1] = {}) =>
  Effect.gen(function*() {
    const store = yield* memoryStore
    return { store, a: yield* node(store, ntlm), b: yield* node(store, ntlm), client: yield* clientMachine(), kerberosClient: yield* clientMachine(true) }
  })

describe("SPNEGO over NTLM finished on another node (shared handshake store)", () => {
  it.effect("NTLM-only client: NegTokenInit on A, the AUTHENTICATE leg on a fresh context of B: SEC_E_OK as EXAMPLE\\alice, mechListMICs both ways, messages signed", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const { ini, last, legsOnA, init } = yield* startOnA(client, a)
      assert.strictEqual(legsOnA, 1, "NTLM's NEGOTIATE rode in the NegTokenInit (optimistic)")
      const initMechs = decodeToken(init)
      assert.isTrue(Result.isSuccess(initMechs) && initMechs.success._tag === "NegTokenInit" && initMechs.success.mechTypes.length === 1)
      assert.isDefined(resp(last).mechListMIC, "the client sends its mechListMIC with the AUTHENTICATE")
      const r = yield* finishOn(b, client, ini, last)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual(r.user, "EXAMPLE\\alice")
      const answer = resp(r.token!)
      assert.strictEqual(answer.negState, NegState.AcceptCompleted)
      assert.isDefined(answer.mechListMIC, "B's own mechListMIC, which the client verified")
      assert.isTrue(ini.established())
      const info = yield* b.run(r.onB.query("NegotiationInfo"))
      assert.strictEqual(info.packageInfo.name, "NTLM")
      assert.isUndefined(info.fallback)
      // the session keys agree: a signature from the client verifies on B and back
      const message = new TextEncoder().encode("hello B")
      yield* b.run(r.onB.verifySignature(message, yield* client.run(ini.makeSignature(message))))
      yield* client.run(ini.verifySignature(message, yield* b.run(r.onB.makeSignature(message))))
    })))

  it.effect("Kerberos-capable client (NTLM second): NegTokenInit and the NEGOTIATE leg on A, AUTHENTICATE on B: SEC_E_OK, Kerberos recorded as passed over", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, kerberosClient } = yield* twoNodes()
      const { ini, last, legsOnA, init } = yield* startOnA(kerberosClient, a, { kerberos: true })
      assert.strictEqual(legsOnA, 2)
      const mechs = decodeToken(init)
      assert.isTrue(Result.isSuccess(mechs) && mechs.success._tag === "NegTokenInit" && mechs.success.mechTypes[0]!.equals(KRB5))
      const r = yield* finishOn(b, kerberosClient, ini, last)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual(r.user, "EXAMPLE\\alice")
      assert.isTrue(ini.established())
      const info = yield* b.run(r.onB.query("NegotiationInfo"))
      assert.deepStrictEqual(info.fallback?.map((f) => [f.packageName, f.status]), [["Kerberos", "SEC_E_NO_CREDENTIALS"]])
    })))

  it.effect("the connection-bound path is unchanged with a store: the AUTHENTICATE leg on A's own context is SEC_E_OK, then refused at B (taken once)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const { ini, onA, last } = yield* startOnA(client, a)
      const r = yield* give(a, onA, last)
      assert.strictEqual(r.status, "SEC_E_OK")
      yield* client.run(ini.step(r.token))
      assert.isTrue(ini.established())
      assert.strictEqual((yield* finishOn(b, client, ini, last)).status, "SEC_E_INVALID_TOKEN")
    })))

  it.effect("without a shared store: a NegTokenResp as the first token is SEC_E_INVALID_TOKEN (as before), A's own context still finishes", () =>
    Effect.scoped(Effect.gen(function*() {
      const a = yield* node(undefined)
      const b = yield* node(undefined)
      const client = yield* clientMachine()
      const { ini, onA, last } = yield* startOnA(client, a)
      const onB = yield* finishOn(b, client, ini, last)
      assert.strictEqual(onB.status, "SEC_E_INVALID_TOKEN")
      assert.strictEqual((yield* give(a, onA, last)).status, "SEC_E_OK")
    })))

  it.effect("a pooled connection: B's context holding client 2's pending handshake gets client 1's last leg (begun on A): SEC_E_OK; client 2 then finishes on A", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const one = yield* startOnA(client, a)
      const two = yield* startOnA(client, b)
      const r = yield* give(b, two.onA, one.last)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual(r.user, "EXAMPLE\\alice")
      yield* client.run(one.ini.step(r.token))
      assert.isTrue(one.ini.established())
      const finished = yield* finishOn(a, client, two.ini, two.last)
      assert.strictEqual(finished.status, "SEC_E_OK")
      assert.isTrue(two.ini.established())
    })))
})

/** A bare NTLM handshake (NTLM initiator, Negotiate acceptor: the raw framing) begun on `a`, up to its AUTHENTICATE. */
const bareOn = (client: Node, a: Node) =>
  Effect.gen(function*() {
    const ini = yield* client.run(
      Effect.flatMap(credentials("NTLM", Flags.CredentialUse.OUTBOUND, alice), (c) => Ctx.initiator(c, { targetName: "HTTP/localhost" }))
    )
    const onA = yield* acceptor(a)
    const challenge = (yield* a.run(onA.step((yield* client.run(ini.step())).token!))).token!
    return { ini, onA, last: (yield* client.run(ini.step(challenge))).token! }
  })

describe("a pooled connection whose clients use different framings (bare NTLM and SPNEGO in the Negotiate scheme)", () => {
  it.effect("a raw-NTLM context holding client 2's pending handshake gets client 1's SPNEGO last leg (begun on A): SEC_E_OK with its mechListMIC; client 2 then finishes on A", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const one = yield* startOnA(client, a)
      const two = yield* bareOn(client, b)
      const r = yield* give(b, two.onA, one.last)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual(r.user, "EXAMPLE\\alice")
      assert.isDefined(resp(r.token!).mechListMIC)
      yield* client.run(one.ini.step(r.token))
      assert.isTrue(one.ini.established())
      // client 2's entry was left in the store for it
      const finished = yield* give(a, yield* acceptor(a), two.last)
      assert.strictEqual(finished.status, "SEC_E_OK")
      assert.strictEqual(finished.user, "EXAMPLE\\alice")
    })))

  it.effect("a SPNEGO context holding client 2's pending handshake gets client 1's bare AUTHENTICATE (begun on A): SEC_E_OK; client 2 then finishes on A", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const one = yield* bareOn(client, a)
      const two = yield* startOnA(client, b)
      const r = yield* give(b, two.onA, one.last)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual(r.user, "EXAMPLE\\alice")
      const finished = yield* finishOn(a, client, two.ini, two.last)
      assert.strictEqual(finished.status, "SEC_E_OK")
      assert.isTrue(two.ini.established())
    })))

  it.effect("a context's own AUTHENTICATE in the other framing stays refused: wrapped bare→SPNEGO or unwrapped SPNEGO→bare is SEC_E_INVALID_TOKEN, and the entry is gone", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const bare = yield* bareOn(client, a)
      const wrapped = encodeToken({ _tag: "NegTokenResp", negState: NegState.AcceptIncomplete, responseToken: bare.last })
      assert.strictEqual((yield* give(a, bare.onA, wrapped)).status, "SEC_E_INVALID_TOKEN")
      assert.strictEqual((yield* give(b, yield* acceptor(b), bare.last)).status, "SEC_E_INVALID_TOKEN", "taken")
      const spnego = yield* startOnA(client, a)
      assert.strictEqual((yield* give(a, spnego.onA, resp(spnego.last).responseToken!)).status, "SEC_E_INVALID_TOKEN")
      assert.strictEqual((yield* finishOn(b, client, spnego.ini, spnego.last)).status, "SEC_E_INVALID_TOKEN", "taken")
    })))
})

describe("a pooled connection whose context waits for its client's mechListMIC", () => {
  it.effect("client 1 sent no mechListMIC (the context asked for it: RequestMic); client 2's last leg arrives on that context: finished from the store, SEC_E_OK; the first context is over (its keys zeroed)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const one = yield* startOnA(client, a)
      const { mechListMIC: _mic, ...withoutMic } = resp(one.last)
      const noMic = encodeToken(withoutMic)
      assert.isUndefined(resp(noMic).mechListMIC)
      const asked = yield* give(a, one.onA, noMic)
      assert.isTrue(Exit.isSuccess(asked.exit) && !asked.exit.value.done, "not done: the client's MIC is missing")
      assert.strictEqual(resp(asked.token!).negState, NegState.RequestMic)
      const two = yield* startOnA(client, b)
      const r = yield* give(a, one.onA, two.last)
      assert.strictEqual(r.status, "SEC_E_OK")
      assert.strictEqual(r.user, "EXAMPLE\\alice")
      yield* client.run(two.ini.step(r.token))
      assert.isTrue(two.ini.established(), "client 2 checked the answer's mechListMIC")
    })))
})

/** The man in the middle's edits of the client's NegTokenInit on its way to A (the optimistic Kerberos token dropped). */
const relist = (order: (mechs: ReadonlyArray<typeof KRB5>) => ReadonlyArray<typeof KRB5>) => (init: Uint8Array) => {
  const t = decodeToken(init)
  if (Result.isFailure(t) || t.success._tag !== "NegTokenInit") throw new Error("not a NegTokenInit")
  return encodeToken({ _tag: "NegTokenInit", mechTypes: order(t.success.mechTypes) })
}
const attacks = {
  "Kerberos stripped": relist((m) => m.filter((oid) => !oid.equals(KRB5) && !oid.equals(MS_KRB5))),
  "NTLM moved first": relist((m) => [...m.filter((oid) => oid.equals(NTLMSSP)), ...m.filter((oid) => !oid.equals(NTLMSSP))])
}

describe("attacks on a SPNEGO handshake finished from the store", () => {
  for (const [name, tamper] of Object.entries(attacks)) {
    // RFC 4178 section 5: B checks the client's mechListMIC over the mechTypes A received (stored), not over nothing
    it.effect(`mechTypes altered on the way to A (${name}): SEC_E_DOWNGRADE_DETECTED at B`, () =>
      Effect.scoped(Effect.gen(function*() {
        const { a, b, kerberosClient } = yield* twoNodes()
        const { ini, last } = yield* startOnA(kerberosClient, a, { kerberos: true, tamper })
        const r = yield* finishOn(b, kerberosClient, ini, last)
        assert.strictEqual(r.status, "SEC_E_DOWNGRADE_DETECTED")
        assert.isUndefined(r.user)
      })))
  }

  it.effect("a tampered mechListMIC: SEC_E_DOWNGRADE_DETECTED at B, and the entry is gone", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const { ini, last } = yield* startOnA(client, a)
      const t = resp(last)
      const mic = Uint8Array.from(t.mechListMIC!)
      mic[mic.length - 1]! ^= 1
      const r = yield* finishOn(b, client, ini, encodeToken({ ...t, mechListMIC: mic }))
      assert.strictEqual(r.status, "SEC_E_DOWNGRADE_DETECTED")
      assert.strictEqual((yield* finishOn(b, client, ini, last)).status, "SEC_E_INVALID_TOKEN")
    })))

  it.effect("the AUTHENTICATE unwrapped from SPNEGO and sent bare (Negotiate or NTLM) to B: SEC_E_INVALID_TOKEN (no way around the mechListMIC)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      for (const packageName of ["Negotiate", "NTLM"]) {
        const { ini, last } = yield* startOnA(client, a)
        const bare = resp(last).responseToken!
        const onB = yield* b.run(Effect.flatMap(credentials(packageName, Flags.CredentialUse.INBOUND), (c) => Ctx.acceptor(c)))
        const r = yield* give(b, onB, bare)
        assert.strictEqual(r.status, "SEC_E_INVALID_TOKEN", packageName)
        // taken: the genuine SPNEGO leg is refused afterwards too
        assert.strictEqual((yield* finishOn(b, client, ini, last)).status, "SEC_E_INVALID_TOKEN", packageName)
      }
    })))

  it.effect("a bare NTLM handshake begun on A, its AUTHENTICATE wrapped in a NegTokenResp to B: SEC_E_INVALID_TOKEN", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const ini = yield* client.run(
        Effect.flatMap(credentials("NTLM", Flags.CredentialUse.OUTBOUND, alice), (c) => Ctx.initiator(c, { targetName: "HTTP/localhost" }))
      )
      const onA = yield* a.run(Effect.flatMap(credentials("NTLM", Flags.CredentialUse.INBOUND), (c) => Ctx.acceptor(c)))
      const challenge = (yield* a.run(onA.step((yield* client.run(ini.step())).token!))).token!
      const authenticate = (yield* client.run(ini.step(challenge))).token!
      const wrapped = encodeToken({ _tag: "NegTokenResp", negState: NegState.AcceptIncomplete, responseToken: authenticate })
      const r = yield* give(b, yield* acceptor(b), wrapped)
      assert.strictEqual(r.status, "SEC_E_INVALID_TOKEN")
    })))

  it.effect("B refuses NTLM where it can do Kerberos (refuseWhenKerberosPossible): a handshake begun on A without Kerberos is SEC_E_UNSUPPORTED_FUNCTION at B", () =>
    Effect.scoped(Effect.gen(function*() {
      const { store, a, client } = yield* twoNodes()
      const b = yield* node(store, {}, { kerberos: true, acceptorNtlm: "refuseWhenKerberosPossible" })
      const { ini, last } = yield* startOnA(client, a)
      const r = yield* finishOn(b, client, ini, last)
      assert.strictEqual(r.status, "SEC_E_UNSUPPORTED_FUNCTION")
      assert.isUndefined(r.user)
    })))

  it.effect("replays: the last leg again at B and at A (fresh contexts) is SEC_E_INVALID_TOKEN; a node with another store has no entry", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes()
      const { ini, last } = yield* startOnA(client, a)
      const other = yield* node(yield* memoryStore)
      assert.strictEqual((yield* finishOn(other, client, ini, last)).status, "SEC_E_INVALID_TOKEN", "not in that store")
      assert.strictEqual((yield* finishOn(b, client, ini, last)).status, "SEC_E_OK")
      assert.strictEqual((yield* finishOn(b, client, ini, last)).status, "SEC_E_INVALID_TOKEN")
      assert.strictEqual((yield* finishOn(a, client, ini, last)).status, "SEC_E_INVALID_TOKEN")
    })))

  it.effect("bounded: a NegTokenInit whose mechTypes exceed 1 KiB stores nothing (SEC_E_INVALID_TOKEN with a store; without one it goes on as before)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { store, a, client } = yield* twoNodes()
      const ini = yield* initiator(client, PASSWORD)
      const init = resp0(init0(yield* client.run(ini.step())))
      // NTLM first (its NEGOTIATE optimistic), then 300 made-up mechanisms: about 2 KiB of mechTypes
      const padded = encodeToken({ ...init, mechTypes: [NTLMSSP, ...Array.from({ length: 300 }, (_, i) => Oid.unsafeFromString(`1.2.3.${i}`))] })
      const r = yield* give(a, yield* acceptor(a), padded)
      assert.strictEqual(r.status, "SEC_E_INVALID_TOKEN")
      assert.strictEqual((yield* store.stats).pending, 0, "nothing pinned in the store")
      const alone = yield* node(undefined)
      const goesOn = (yield* give(alone, yield* acceptor(alone), padded)).exit
      assert.isTrue(Exit.isSuccess(goesOn) && goesOn.value.status === "SEC_I_CONTINUE_NEEDED")
    })))

  it.effect("an expired entry (TestClock past the handshake time-out) is SEC_E_INVALID_TOKEN at B", () =>
    Effect.scoped(Effect.gen(function*() {
      const { a, b, client } = yield* twoNodes({ handshakeTimeoutMs: 10_000 })
      const { ini, last } = yield* startOnA(client, a)
      yield* TestClock.adjust(Duration.seconds(9))
      const inTime = yield* startOnA(client, a)
      yield* TestClock.adjust(Duration.seconds(2))
      assert.strictEqual((yield* finishOn(b, client, ini, last)).status, "SEC_E_INVALID_TOKEN")
      assert.strictEqual((yield* finishOn(b, client, inTime.ini, inTime.last)).status, "SEC_E_OK", "one begun 2 s ago")
    })))
})

// ---- the stored SPNEGO state: codec properties, and garbled entries end to end ----------------

const anyOid = fc.constantFrom(KRB5, MS_KRB5, NTLMSSP, ...["1.3.6.1.4.1.311.2.2.30", "1.2.3.4", "2.999.1"].map(Oid.unsafeFromString))
/** A state as the acceptor stores it: mechTypes naming NTLM; optimistic only when NTLM is first. */
const spnegoState = fc.tuple(fc.array(anyOid, { maxLength: 8 }), fc.nat(8), fc.boolean()).map(([others, at, optimistic]) => {
  const mechTypes = [...others.slice(0, at), NTLMSSP, ...others.slice(at)]
  return { mechTypes, mechListDer: encodeMechTypeList(mechTypes), optimistic: optimistic && mechTypes[0]!.equals(NTLMSSP) }
})
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

describe("stored SPNEGO state codec (fast-check)", () => {
  it("round-trips", () => {
    fc.assert(fc.property(spnegoState, (s) => {
      const decoded = Result.getOrThrow(decodeSpnegoState(encodeSpnegoState(s)))
      assert.strictEqual(hex(decoded.mechListDer), hex(s.mechListDer))
      assert.deepStrictEqual(decoded.mechTypes.map(String), s.mechTypes.map(String))
      assert.strictEqual(decoded.optimistic, s.optimistic)
    }), { numRuns: 300 })
  })

  it("any bytes, and any mutation or truncation of a valid encoding: a reason or a state that re-encodes to exactly those bytes, never a throw", () => {
    const check = (b: Uint8Array) => {
      const r = decodeSpnegoState(b)
      if (Result.isSuccess(r)) {
        assert.strictEqual(hex(encodeSpnegoState(r.success)), hex(b), "only canonical encodings are read")
        assert.isTrue(r.success.mechTypes.some((o) => o.equals(NTLMSSP)))
      } else assert.isString(r.failure)
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 1000 })
    const mutated = fc.tuple(spnegoState, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat())
    fc.assert(fc.property(mutated, ([s, edits, cut]) => {
      const b = encodeSpnegoState(s)
      for (const [at, v] of edits) b[at % b.length] = v
      check(cut % 3 === 0 ? b.subarray(0, cut % b.length) : b)
    }), { numRuns: 1000 })
  })
})

/** A store whose `take` hands out garbled bytes (a Redis reply that is not what was stored). */
const garbling = (store: HandshakeStore.HandshakeStoreService, garble: (bytes: Uint8Array) => Uint8Array): HandshakeStore.HandshakeStoreService => ({
  ...store,
  take: (id) => Effect.map(store.take(id), Option.map(garble))
})

describe("garbled stored entries end to end (fast-check)", () => {
  it.effect("any bit flips in the entry B takes (NTLM's part or the SPNEGO state at its end): refused with a typed status, never a defect; a logon only when nothing but the informational optimistic bit changed", () =>
    Effect.scoped(Effect.gen(function*() {
      const store = yield* memoryStore
      let flips: ReadonlyArray<number> = []
      let tailOnly = false
      // whether the garbled entry differs from the stored one only in the SPNEGO state's optimistic bit (or not at all)
      let harmless = true
      const spnegoBytes = 2 + encodeMechTypeList([NTLMSSP]).length
      const garbled = garbling(store, (bytes) => {
        const b = bytes.slice()
        // the SPNEGO state is the entry's tail: its length word and bytes
        const from = tailOnly ? Math.max(0, b.length - 40) : 0
        for (const bit of flips) b[from + ((bit >> 3) % (b.length - from))]! ^= 1 << (bit & 7)
        const optimisticAt = b.length - spnegoBytes + 1
        harmless = b.every((v, i) => v === bytes[i] || (i === optimisticAt && (v ^ bytes[i]!) === 1))
        return b
      })
      const a = yield* node(store)
      const b = yield* node(garbled)
      const client = yield* clientMachine()
      const seen = new Set<string>()
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.boolean(), (bits, tail) =>
            Effect.runPromise(Effect.scoped(Effect.gen(function*() {
              flips = bits
              tailOnly = tail
              const { ini, last } = yield* startOnA(client, a)
              const r = yield* finishOn(b, client, ini, last)
              if (harmless && r.status === "SEC_E_OK") return
              assert.isTrue(Exit.isFailure(r.exit) && !Cause.hasDies(r.exit.cause), `${r.status}`)
              assert.include(["SEC_E_INVALID_TOKEN", "SEC_E_LOGON_DENIED", "SEC_E_DOWNGRADE_DETECTED"], r.status)
              seen.add(r.status)
            }))).then(() => true)),
          { numRuns: 150 }
        )
      )
      assert.include([...seen], "SEC_E_INVALID_TOKEN")
      // untouched, the same nodes finish
      flips = []
      const { ini, last } = yield* startOnA(client, a)
      assert.strictEqual((yield* finishOn(b, client, ini, last)).status, "SEC_E_OK")
    })))
})
