/**
 * The domain-verified acceptor's own logic, with an in-process verifier that
 * checks NTLMv2 as a DC does (NTProofStr against a password it holds) and
 * counts its calls: what runs before the domain is asked, what the DC's key
 * is used for, how its errors reach the caller. The real DC is in
 * domain.samba.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, Result } from "effect"
import { Credentials, Flags, HandshakeStore, SecBuffer, SecurityContext, SecurityError, SecurityPackage, SecurityStatus, SspiRuntime } from "@effect-sspi/core"
import { Ours } from "@effect-sspi/interop-harness"
import { Drivers } from "@effect-sspi/interop-harness"
import { DomainVerifier, Ntlm } from "@effect-sspi/ntlm"
import { findAvPair } from "../src/internal/avpairs.ts"
import { AvId } from "../src/internal/constants.ts"
import { decodeChallenge } from "../src/internal/messages.ts"
import { encodeChallenge } from "./support/encode.ts"
import { mitm } from "./support/peers.ts"
import { PASSWORD, SID, toyDc } from "./support/toyDc.ts"

const runtime = (
  verifier: DomainVerifier.DomainVerifier["Service"],
  options: Parameters<typeof Ntlm.withDomainVerifier>[0] = {},
  shared: Layer.Layer<never> | Layer.Layer<HandshakeStore.HandshakeStore> = Layer.empty
) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withDomainVerifier({
      serverNames: { dnsComputer: "server.example", netbiosComputer: "WEB1", netbiosDomain: "CORP" },
      ...options
    }))),
    Layer.provide(Layer.succeed(DomainVerifier.DomainVerifier, verifier)),
    Layer.provide(shared)
  )

const req = Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY | Flags.IscReq.REPLAY_DETECT | Flags.IscReq.SEQUENCE_DETECT
const cb = (s: string) => [SecBuffer.channelBindings(new TextEncoder().encode(`tls-server-end-point:${s}`))]

/** alice (NTLMv1 with `allowNtlmV1`) against the acceptor; tamper on the client's input (the CHALLENGE). */
const handshake = (
  options: { allowNtlmV1?: boolean; clientInput?: ReturnType<typeof cb>; serverInput?: ReturnType<typeof cb>; tamper?: (t: Uint8Array) => Uint8Array } = {}
) =>
  Effect.gen(function*() {
    const client = yield* SecurityContext.initiator(
      yield* Credentials.acquire({
        packageName: "NTLM",
        credentialUse: Flags.CredentialUse.OUTBOUND,
        authData: { user: "alice", domain: "CORP", password: Redacted.make(PASSWORD), allowNtlmV1: options.allowNtlmV1 ?? false }
      }),
      {
        targetName: "HTTP/server.example",
        contextReq: options.allowNtlmV1 ? 0 : req,
        ...(options.clientInput === undefined ? {} : { extraInput: options.clientInput })
      }
    )
    const server = yield* SecurityContext.acceptor(
      yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND }),
      options.serverInput === undefined ? {} : { extraInput: options.serverInput }
    )
    const exit = yield* Effect.exit(
      Drivers.handshake(mitm(yield* Ours.ourStepper(client), (t) => options.tamper?.(t) ?? t), yield* Ours.ourStepper(server))
    )
    return { client, server, exit, status: Exit.isSuccess(exit) ? "SEC_E_OK" : SecurityStatus.nameOf(SecurityStatus.fromExit(exit as Exit.Exit<unknown, never>)) }
  })

describe("NTLM acceptor with a DomainVerifier", () => {
  it.effect("SEC_E_OK: CORP\\alice, the validation's SIDs through LogonInfo, sign/seal with the DC's key", () => {
    const calls = { n: 0 }
    return Effect.scoped(Effect.gen(function*() {
      const { client, server, status } = yield* handshake()
      assert.strictEqual(status, "SEC_E_OK")
      assert.strictEqual(calls.n, 1)
      assert.strictEqual((yield* server.query("Names")).userName, "CORP\\alice")
      const { identity } = yield* server.query("LogonInfo")
      assert.deepStrictEqual(identity, {
        userSid: `${SID}-1104`,
        primaryGroupSid: `${SID}-513`,
        groupSids: [{ sid: `${SID}-513`, attributes: 7 }, { sid: `${SID}-1105`, attributes: 7 }],
        logonDomain: "CORP",
        accountName: "alice",
        upn: "alice@corp.test"
      })
      const message = new TextEncoder().encode("hello")
      yield* server.verifySignature(message, yield* client.makeSignature(message))
      yield* client.verifySignature(message, yield* server.makeSignature(message))
    }).pipe(Effect.provide(runtime(toyDc(calls)))))
  })

  it.effect("NTLMv1 is refused with SEC_E_LOGON_DENIED and never sent to the domain", () => {
    const calls = { n: 0 }
    return Effect.scoped(Effect.gen(function*() {
      const { status } = yield* handshake({ allowNtlmV1: true })
      assert.strictEqual(status, "SEC_E_LOGON_DENIED")
      assert.strictEqual(calls.n, 0)
    }).pipe(Effect.provide(runtime(toyDc(calls)))))
  })

  it.effect("keyless checks before the domain: a stripped MsvAvTimestamp (echo, [MS-NLMP] 3.2.5.1.2) is refused unasked", () => {
    const calls = { n: 0 }
    return Effect.scoped(Effect.gen(function*() {
      const strip = (t: Uint8Array) => {
        const m = Result.getOrThrow(decodeChallenge(t))
        return encodeChallenge({ ...m, targetInfo: (m.targetInfo ?? []).filter((p) => p.id !== AvId.MsvAvTimestamp) })
      }
      const { status } = yield* handshake({ tamper: strip })
      assert.strictEqual(status, "SEC_E_LOGON_DENIED")
      assert.strictEqual(calls.n, 0)
    }).pipe(Effect.provide(runtime(toyDc(calls)))))
  })

  it.effect("keyless checks before the domain: other channel bindings are SEC_E_BAD_BINDINGS, unasked", () => {
    const calls = { n: 0 }
    return Effect.scoped(Effect.gen(function*() {
      // the client saw another TLS channel than the server's (a relay)
      const { status } = yield* handshake({ clientInput: cb("A"), serverInput: cb("B") })
      assert.strictEqual(status, "SEC_E_BAD_BINDINGS")
      assert.strictEqual(calls.n, 0)
    }).pipe(Effect.provide(runtime(toyDc(calls)))))
  })

  it.effect("the MIC is checked with the DC's key: a DC answering another key is SEC_E_LOGON_DENIED", () => {
    const calls = { n: 0 }
    return Effect.scoped(Effect.gen(function*() {
      const { status } = yield* handshake()
      assert.strictEqual(status, "SEC_E_LOGON_DENIED")
      assert.strictEqual(calls.n, 1)
    }).pipe(Effect.provide(runtime(toyDc(calls, new Uint8Array(16).fill(7))))))
  })

  it.effect("the domain's errors reach the caller as they are: no DC is SEC_E_NO_AUTHENTICATING_AUTHORITY, a bad key length SEC_E_INTERNAL_ERROR", () =>
    Effect.scoped(Effect.gen(function*() {
      const unreachable = yield* handshake().pipe(Effect.provide(runtime({
        verify: () => Effect.fail(new SecurityError.NoAuthenticatingAuthority({ detail: "domain controller dc1: ECONNREFUSED" }))
      })))
      assert.strictEqual(unreachable.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
      const short = yield* handshake().pipe(Effect.provide(runtime(toyDc({ n: 0 }, new Uint8Array(8)))))
      assert.strictEqual(short.status, "SEC_E_INTERNAL_ERROR")
    })))

  it.effect("the acceptor announces the configured names the DC checks (MsvAvNbComputerName, MsvAvNbDomainName)", () =>
    Effect.scoped(Effect.gen(function*() {
      let seen: Uint8Array | undefined
      yield* handshake({ tamper: (t) => (seen ??= t) })
      const pairs = Result.getOrThrow(decodeChallenge(seen!)).targetInfo ?? []
      const text = (id: number) => Buffer.from(findAvPair(pairs, id)!.value).toString("utf16le")
      assert.strictEqual(text(AvId.MsvAvNbComputerName), "WEB1")
      assert.strictEqual(text(AvId.MsvAvNbDomainName), "CORP")
    }).pipe(Effect.provide(runtime(toyDc({ n: 0 }))))))

  it.effect("with a shared HandshakeStore: an AUTHENTICATE on a fresh context (another node) is verified by the domain too, once", () => {
    const calls = { n: 0 }
    return Effect.scoped(Effect.gen(function*() {
      const client = yield* SecurityContext.initiator(
        yield* Credentials.acquire({
          packageName: "NTLM",
          credentialUse: Flags.CredentialUse.OUTBOUND,
          authData: { user: "alice", domain: "CORP", password: Redacted.make(PASSWORD) }
        }),
        { targetName: "HTTP/server.example" }
      )
      const inbound = () => Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
      const issuing = yield* SecurityContext.acceptor(yield* inbound())
      const challenge = (yield* issuing.step((yield* client.step()).token!)).token!
      const authenticate = (yield* client.step(challenge)).token!
      const other = yield* SecurityContext.acceptor(yield* inbound())
      yield* other.step(authenticate)
      assert.strictEqual((yield* other.query("Names")).userName, "CORP\\alice")
      assert.strictEqual((yield* other.query("LogonInfo")).identity?.userSid, `${SID}-1104`)
      const replay = yield* SecurityContext.acceptor(yield* inbound())
      const exit = yield* Effect.exit(replay.step(authenticate))
      assert.strictEqual(SecurityStatus.nameOf(SecurityStatus.fromExit(exit as Exit.Exit<unknown, never>)), "SEC_E_INVALID_TOKEN")
      assert.strictEqual(calls.n, 1)
    }).pipe(Effect.provide(runtime(toyDc(calls), {}, HandshakeStore.layerMemory()))))
  })
})
