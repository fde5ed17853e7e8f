import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { Flags, Handshake, SecBuffer, SecurityContext, SecurityStatus, Sspi, SspiRuntime } from "@effect-sspi/core"
import { NegotiateFlags } from "../src/internal/constants.ts"
import { decodeAuthenticate } from "../src/internal/messages.ts"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { alice, clientCredentials, ntlmLayer, pair, serverCredentials, users } from "./support/runtime.ts"

const enc = new TextEncoder()
const statusOf = <A, E extends { readonly code: number }>(exit: Exit.Exit<A, E>) =>
  SecurityStatus.nameOf(SecurityStatus.fromExit(exit))

describe("NTLM through the async API", () => {
  it.effect("client ↔ server: three legs, MIC, equal session keys, names, flags, then sign and seal both ways", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair(alice)
      const legs = yield* Handshake.run(initiator, acceptor)
      assert.deepStrictEqual(legs.map((l) => `${l.role}:${l.status}`), [
        "initiator:SEC_I_CONTINUE_NEEDED",
        "acceptor:SEC_I_CONTINUE_NEEDED",
        "initiator:SEC_E_OK",
        "acceptor:SEC_E_OK"
      ])
      const authenticate = decodeAuthenticate(legs[2]!.token!)
      assert.isTrue(authenticate._tag === "Success" && authenticate.success.message.mic !== undefined)
      assert.strictEqual((yield* acceptor.query("Names")).userName, "EXAMPLE\\alice")
      const k1 = (yield* initiator.query("SessionKey")).key
      const k2 = (yield* acceptor.query("SessionKey")).key
      assert.deepStrictEqual(k1, k2)
      assert.strictEqual(k1.length, 16)
      const flags = (yield* acceptor.query("PackageFlags")).flags
      for (const f of [NegotiateFlags.EXTENDED_SESSIONSECURITY, NegotiateFlags.KEY_128, NegotiateFlags.KEY_EXCH, NegotiateFlags.SEAL, NegotiateFlags.SIGN]) {
        assert.isTrue((flags & f) !== 0)
      }
      assert.strictEqual(legs[2]!.attributes & Flags.IscRet.CONFIDENTIALITY, Flags.IscRet.CONFIDENTIALITY)
      assert.strictEqual((yield* acceptor.query("Sizes")).maxSignature, 16)
      assert.strictEqual((yield* acceptor.query("NegotiationInfo")).packageInfo.name, "NTLM")
      for (const [from, to] of [[initiator, acceptor], [acceptor, initiator]] as const) {
        for (let i = 0; i < 3; i++) {
          const message = enc.encode(`message ${i} from ${from.role}`)
          const signature = yield* from.makeSignature(message)
          assert.strictEqual(signature.length, 16)
          assert.strictEqual(yield* to.verifySignature(message, signature), 0)
          const sealed = yield* from.encrypt(message)
          const data = SecBuffer.find(sealed, SecBuffer.BufferType.DATA)!.data
          assert.notDeepEqual(data, message)
          const opened = yield* to.decrypt(sealed)
          assert.deepStrictEqual(SecBuffer.find(opened.buffers, SecBuffer.BufferType.DATA)!.data, message)
        }
      }
    }).pipe(Effect.provide(ntlmLayer()))))

  it.effect("tampered and replayed messages: SEC_E_MESSAGE_ALTERED and SEC_E_OUT_OF_SEQUENCE", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair(alice)
      yield* Handshake.run(initiator, acceptor)
      const message = enc.encode("pay 10 EUR")
      const signature = yield* initiator.makeSignature(message)
      const altered = yield* Effect.flip(acceptor.verifySignature(enc.encode("pay 99 EUR"), signature))
      assert.strictEqual(altered._tag, "MessageAltered")
      yield* initiator.makeSignature(message)
      const replayed = yield* Effect.flip(acceptor.verifySignature(message, signature))
      assert.strictEqual(replayed._tag, "OutOfSequence")
      const sealed = yield* initiator.encrypt(message)
      const flipped = sealed.map((b) => b.baseType === SecBuffer.BufferType.DATA ? SecBuffer.data(b.data.map((x, i) => i === 0 ? x ^ 1 : x)) : b)
      const bad = yield* Effect.flip(acceptor.decrypt(flipped))
      assert.isTrue(bad._tag === "MessageAltered" || bad._tag === "OutOfSequence")
    }).pipe(Effect.provide(ntlmLayer()))))

  it.effect("wrong password and unknown user are the same SEC_E_LOGON_DENIED", () =>
    Effect.gen(function*() {
      const wrong = yield* Effect.exit(Effect.scoped(Effect.flatMap(pair({ ...alice, password: Redacted.make("nope") }), (p) => Handshake.run(p.initiator, p.acceptor))))
      const unknown = yield* Effect.exit(Effect.scoped(Effect.flatMap(pair({ user: "mallory", domain: "EXAMPLE", password: Redacted.make("x") }), (p) => Handshake.run(p.initiator, p.acceptor))))
      assert.strictEqual(statusOf(wrong), "SEC_E_LOGON_DENIED")
      assert.strictEqual(statusOf(unknown), "SEC_E_LOGON_DENIED")
      assert.deepStrictEqual(yield* SspiRuntime.stats, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("a user stored without a domain authenticates from any domain; an NT hash works as a credential", () =>
    Effect.scoped(Effect.gen(function*() {
      const bob = yield* pair({ user: "bob", domain: "ANY", password: Redacted.make("hunter2") })
      yield* Handshake.run(bob.initiator, bob.acceptor)
      const { ntowfv1 } = yield* Effect.promise(() => import("../src/internal/owf.ts"))
      const byHash = yield* pair({ user: "alice", domain: "EXAMPLE", ntHash: Redacted.make(ntowfv1("Passw0rd!")) })
      yield* Handshake.run(byHash.initiator, byHash.acceptor)
      assert.strictEqual((yield* byHash.acceptor.query("Names")).userName, "EXAMPLE\\alice")
    }).pipe(Effect.provide(ntlmLayer()))))

  it.effect("channel bindings: equal bindings pass, different ones are SEC_E_BAD_BINDINGS, none pass at \"whenSupported\"", () =>
    Effect.gen(function*() {
      const cb = (s: string) => ({ extraInput: [SecBuffer.channelBindings(enc.encode(`tls-server-end-point:${s}`))] })
      yield* Effect.scoped(Effect.flatMap(pair(alice, cb("A"), cb("A")), (p) => Handshake.run(p.initiator, p.acceptor)))
      const mismatch = yield* Effect.exit(Effect.scoped(Effect.flatMap(pair(alice, cb("A"), cb("B")), (p) => Handshake.run(p.initiator, p.acceptor))))
      assert.strictEqual(statusOf(mismatch), "SEC_E_BAD_BINDINGS")
      const missing = yield* Effect.exit(Effect.scoped(Effect.flatMap(pair(alice, {}, cb("B")), (p) => Handshake.run(p.initiator, p.acceptor))))
      assert.strictEqual(statusOf(missing), "SEC_E_OK")
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("the NTLMv2 timestamp window is checked with Clock: 30 minutes late is SEC_E_TIME_SKEW", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair(alice)
      const negotiate = yield* initiator.step()
      const challenge = yield* acceptor.step(negotiate.token)
      const authenticate = yield* initiator.step(challenge.token)
      yield* TestClock.adjust(30 * 60_000 + 1)
      const late = yield* Effect.flip(acceptor.step(authenticate.token))
      assert.strictEqual(late._tag, "TimeSkew")
    }).pipe(Effect.provide(ntlmLayer()))))

  it.effect("NTLMv1 only when turned on, on both sides", () =>
    Effect.gen(function*() {
      const v1 = { ...alice, allowNtlmV1: true }
      const refused = yield* Effect.exit(Effect.scoped(Effect.flatMap(pair(v1), (p) => Handshake.run(p.initiator, p.acceptor))))
      assert.strictEqual(statusOf(refused), "SEC_E_LOGON_DENIED")
      yield* Effect.scoped(Effect.gen(function*() {
        const initiator = yield* SecurityContext.initiator(yield* clientCredentials(v1), { targetName: "HTTP/server.example" })
        const acceptor = yield* SecurityContext.acceptor(yield* serverCredentials({ allowNtlmV1: true }))
        const legs = yield* Handshake.run(initiator, acceptor)
        assert.strictEqual(legs[2]!.token!.length > 0, true)
        const signature = yield* initiator.makeSignature(enc.encode("v1"))
        assert.strictEqual(yield* acceptor.verifySignature(enc.encode("v1"), signature), 0)
        assert.deepStrictEqual((yield* initiator.query("SessionKey")).key, (yield* acceptor.query("SessionKey")).key)
      }))
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("a tampered MIC is SEC_E_LOGON_DENIED; bad tokens are SEC_E_INVALID_TOKEN, never a defect", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair(alice)
      const negotiate = yield* initiator.step()
      const challenge = yield* acceptor.step(negotiate.token)
      const authenticate = (yield* initiator.step(challenge.token)).token!
      const tampered = authenticate.slice()
      tampered[72] = tampered[72]! ^ 0xff
      assert.strictEqual((yield* Effect.flip(acceptor.step(tampered)))._tag, "LogonDenied")
      const server = yield* pair(alice)
      for (const bad of [new Uint8Array(0), new Uint8Array([1, 2, 3]), negotiate.token!.subarray(0, 12), authenticate, new Uint8Array(70_000)]) {
        const error = yield* Effect.flip(server.acceptor.step(bad))
        assert.strictEqual(error._tag, "InvalidToken")
      }
      const client = yield* pair(alice)
      yield* client.initiator.step()
      for (const bad of [negotiate.token!, authenticate, challenge.token!.subarray(0, 30)]) {
        const error = yield* Effect.flip(client.initiator.step(bad))
        assert.strictEqual(error._tag, "InvalidToken")
      }
    }).pipe(Effect.provide(ntlmLayer()))))

  it.effect("deleteContext zeroes the session key and the RC4/signing state", () =>
    Effect.gen(function*() {
      const pkg = Ntlm.make({ userStore: yield* UserStore.UserStore })
      const request = (input: ReadonlyArray<SecBuffer.SecBuffer>) => ({ targetName: "HTTP/localhost", contextReq: 0, dataRep: 0x10, input, now: 0 })
      const client = (yield* pkg.acquireCredentials({ principal: undefined, credentialUse: 2, authData: alice, now: 0 })).credential
      const server = (yield* pkg.acquireCredentials({ principal: undefined, credentialUse: 1, authData: {}, now: 0 })).credential
      const c1 = yield* pkg.initialize(client, undefined, request([]))
      const s1 = yield* pkg.accept(server, undefined, request(c1.output))
      const c2 = yield* pkg.initialize(client, c1.state, request(s1.output))
      const s2 = yield* pkg.accept(server, s1.state, request(c2.output))
      const keys = [c2.state.exportedSessionKey!, s2.state.exportedSessionKey!]
      assert.isTrue(keys.every((k) => k.some((b) => b !== 0)))
      yield* pkg.deleteContext(c2.state)
      yield* pkg.deleteContext(s2.state)
      assert.isTrue(keys.every((k) => k.every((b) => b === 0)))
      assert.isUndefined(c2.state.session)
      const hash = client.ntHash!
      yield* pkg.freeCredentials(client)
      assert.isTrue(hash.every((b) => b === 0))
    }).pipe(Effect.provide(UserStore.layerMemory(users))))

  it.effect("deleted contexts are invalid handles and nothing stays alive", () =>
    Effect.gen(function*() {
      const keys = yield* Effect.scoped(Effect.gen(function*() {
        const { initiator, acceptor } = yield* pair(alice)
        yield* Handshake.run(initiator, acceptor)
        return [initiator.handle()!, acceptor.handle()!] as const
      }))
      for (const handle of keys) {
        const error = yield* Effect.flip(Sspi.queryContextAttributes(handle, "SessionKey"))
        assert.strictEqual(error._tag, "InvalidHandle")
      }
      assert.deepStrictEqual(yield* SspiRuntime.stats, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("a failed AUTHENTICATE ends the context: the untouched message cannot be retried on it", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair(alice)
      const challenge = yield* acceptor.step((yield* initiator.step()).token)
      const authenticate = (yield* initiator.step(challenge.token)).token!
      const tampered = authenticate.slice()
      tampered[72] = tampered[72]! ^ 1
      assert.strictEqual((yield* Effect.flip(acceptor.step(tampered)))._tag, "LogonDenied")
      assert.strictEqual((yield* Effect.flip(acceptor.step(authenticate)))._tag, "OutOfSequence")
    }).pipe(Effect.provide(ntlmLayer()))))

  it.effect("the status never depends on whether the user exists: a malformed NTLMv2 response is SEC_E_INVALID_TOKEN for both", () =>
    Effect.gen(function*() {
      const malformed = (client: Ntlm.NtlmAuthData) =>
        Effect.scoped(Effect.gen(function*() {
          const { initiator, acceptor } = yield* pair(client)
          const challenge = yield* acceptor.step((yield* initiator.step()).token)
          const bytes = (yield* initiator.step(challenge.token)).token!.slice()
          const decoded = decodeAuthenticate(bytes)
          if (decoded._tag !== "Success") throw new Error("undecodable")
          // the NTLMv2 blob's version byte (after the 16-byte NTProofStr)
          const ntOffset = new DataView(bytes.buffer, bytes.byteOffset).getUint32(24, true)
          bytes[ntOffset + 16] = 9
          return (yield* Effect.flip(acceptor.step(bytes)))._tag
        }))
      assert.strictEqual(yield* malformed(alice), "InvalidToken")
      assert.strictEqual(yield* malformed({ user: "mallory", domain: "EXAMPLE", password: Redacted.make("x") }), "InvalidToken")
    }).pipe(Effect.provide(ntlmLayer())))

  it.effect("the principal is the stored name, not the case the client typed", () =>
    Effect.scoped(Effect.gen(function*() {
      const { initiator, acceptor } = yield* pair({ user: "ALICE", domain: "example", password: Redacted.make("Passw0rd!") })
      yield* Handshake.run(initiator, acceptor)
      assert.strictEqual((yield* acceptor.query("Names")).userName, "EXAMPLE\\alice")
    }).pipe(Effect.provide(ntlmLayer()))))

  it.effect("NTLMv1 is refused where channel bindings are required (it cannot carry them)", () =>
    Effect.scoped(Effect.gen(function*() {
      const cb = [SecBuffer.channelBindings(enc.encode("tls-server-end-point:X"))]
      const initiator = yield* SecurityContext.initiator(yield* clientCredentials({ ...alice, allowNtlmV1: true }), { extraInput: cb, targetName: "HTTP/server.example" })
      const acceptor = yield* SecurityContext.acceptor(yield* serverCredentials({ allowNtlmV1: true }), { extraInput: cb })
      const exit = yield* Effect.exit(Handshake.run(initiator, acceptor))
      assert.strictEqual(statusOf(exit), "SEC_E_BAD_BINDINGS")
    }).pipe(Effect.provide(ntlmLayer({ extendedProtection: "required" })))))
})
