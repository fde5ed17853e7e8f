/**
 * Attacks on the runtime and the Effect-native level (issue 9), kept as the
 * regression suite.
 *
 * D2: a package throw during a leg left the runtime's busy mark on the
 * context, so every later leg was SEC_E_INVALID_PARAMETER until delete.
 * H: a finished handshake that did not grant a requested protection
 * attribute (ASC_REQ vs ASC_RET) was accepted by the Effect-native level.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import {
  Credentials,
  Flags,
  Handshake,
  SecBuffer,
  SecurityContext,
  SecurityStatus,
  Sspi
} from "@effect-sspi/core"
import { acquire, callOnce, clientAuth, serverAuth, tokenOf, withToy } from "./support/harness.ts"
import type { ToyAuthData } from "./support/ToyPackage.ts"

const { codes } = SecurityStatus

/** Leg 1 of the initiator and the acceptor's challenge, through the Windows-shaped functions. */
const challenged = (client: ToyAuthData) =>
  Effect.gen(function*() {
    const credential = yield* acquire(Flags.CredentialUse.OUTBOUND, client)
    const server = yield* acquire(Flags.CredentialUse.INBOUND, serverAuth)
    const leg1 = yield* (yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential }))).result
    if (leg1._tag !== "ContextStep") throw new Error("unexpected")
    const s1 = yield* (yield* callOnce((ctx) =>
      Sspi.acceptSecurityContextAsync(ctx, { credential: server, input: tokenOf(leg1.output) })
    )).result
    if (s1._tag !== "ContextStep") throw new Error("unexpected")
    const leg2 = (ctx: Sspi.SspiAsyncContext) =>
      Sspi.initializeSecurityContextAsync(ctx, { credential, context: leg1.context, input: tokenOf(s1.output) })
    return { credential, context: leg1.context, leg2 }
  })

describe("D2: a package defect never wedges a context", () => {
  it.effect("a synchronous throw in a leg is SEC_E_INTERNAL_ERROR, and the next leg runs (not SEC_E_INVALID_PARAMETER)", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const { context, leg2 } = yield* challenged({ ...clientAuth, throwOnLeg: 2 })
        const first = yield* callOnce(leg2)
        assert.strictEqual(first.status, codes.SEC_E_INTERNAL_ERROR)
        assert.isTrue(Exit.isFailure(first.result))
        // before the fix: SEC_E_INVALID_PARAMETER ("a call is already running") until delete
        const again = yield* callOnce(leg2)
        assert.strictEqual(again.status, codes.SEC_E_OK)
        const deleted = yield* callOnce((ctx) => Sspi.deleteSecurityContextAsync(ctx, context))
        assert.strictEqual(deleted.status, codes.SEC_E_OK)
        assert.strictEqual(toy.live.size, 1) // the acceptor's context only
      })
    ))

  it.effect("a throw on the first leg is SEC_E_INTERNAL_ERROR and leaks no credential reference", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const credential = yield* acquire(Flags.CredentialUse.OUTBOUND, { ...clientAuth, throwOnLeg: 1 })
        const first = yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential }))
        assert.strictEqual(first.status, codes.SEC_E_INTERNAL_ERROR)
        const freed = yield* callOnce((ctx) => Sspi.freeCredentialsHandleAsync(ctx, credential))
        assert.strictEqual(freed.status, codes.SEC_E_OK)
        assert.strictEqual(toy.creds.size, 0)
      })
    ))

  it.effect("a throw in a message function or a query is a typed SEC_E_INTERNAL_ERROR, not a defect", () =>
    withToy(() =>
      Effect.scoped(Effect.gen(function*() {
        const client = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.OUTBOUND, authData: { ...clientAuth, throwInMessages: true } })
        const server = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.INBOUND, authData: serverAuth })
        const c = yield* SecurityContext.initiator(client)
        yield* Handshake.run(c, yield* SecurityContext.acceptor(server))
        const error = yield* Effect.flip(c.makeSignature(new Uint8Array([1, 2, 3])))
        assert.strictEqual(error._tag, "InternalError")
        assert.strictEqual((yield* Effect.flip(c.query("Sizes")))._tag, "InternalError")
      }))
    ))
})

describe("H: requested attributes are required at the Effect-native level", () => {
  const req = Flags.AscReq.REPLAY_DETECT | Flags.AscReq.SEQUENCE_DETECT | Flags.AscReq.INTEGRITY
  const run = (serverGrant: number, requireRequested?: boolean) =>
    Effect.scoped(Effect.gen(function*() {
      const client = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.OUTBOUND, authData: clientAuth })
      const server = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.INBOUND, authData: { ...serverAuth, grantMask: serverGrant } })
      const c = yield* SecurityContext.initiator(client)
      const s = yield* SecurityContext.acceptor(server, { contextReq: req, ...(requireRequested === undefined ? {} : { requireRequested }) })
      const exit = yield* Effect.exit(Handshake.run(c, s))
      return { exit, s }
    }))

  it.effect("REPLAY_DETECT asked but not granted: SEC_E_SECURITY_QOS_FAILED and the context is deleted", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const { exit, s } = yield* run(~Flags.AscRet.REPLAY_DETECT)
        assert.strictEqual(SecurityStatus.fromExit(exit), codes.SEC_E_SECURITY_QOS_FAILED)
        assert.isUndefined(s.handle())
        assert.isFalse(s.established())
        assert.strictEqual(toy.live.size, 0)
      })
    ).pipe(Effect.asVoid))

  it.effect("every requested protection bit is checked (MUTUAL_AUTH, REPLAY, SEQUENCE, CONFIDENTIALITY, INTEGRITY)", () =>
    withToy(() =>
      Effect.gen(function*() {
        for (const bit of [Flags.AscRet.SEQUENCE_DETECT, Flags.AscRet.INTEGRITY]) {
          const { exit } = yield* run(~bit)
          assert.strictEqual(SecurityStatus.fromExit(exit), codes.SEC_E_SECURITY_QOS_FAILED)
        }
        assert.strictEqual(SecurityStatus.fromExit((yield* run(-1)).exit), codes.SEC_E_OK)
      })
    ))

  it.effect("requireRequested: false keeps SSPI's behaviour (granted attributes reported, caller checks)", () =>
    withToy(() =>
      Effect.gen(function*() {
        const { exit } = yield* run(~Flags.AscRet.REPLAY_DETECT, false)
        assert.isTrue(Exit.isSuccess(exit))
      })
    ))

  it.effect("the Windows-shaped functions never check: SEC_E_OK with the reduced attributes", () =>
    withToy(() =>
      Effect.gen(function*() {
        const client = yield* acquire(Flags.CredentialUse.OUTBOUND, clientAuth)
        const server = yield* acquire(Flags.CredentialUse.INBOUND, { ...serverAuth, grantMask: ~Flags.AscRet.REPLAY_DETECT })
        const l1 = yield* (yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: client }))).result
        if (l1._tag !== "ContextStep") throw new Error()
        const s1 = yield* (yield* callOnce((ctx) => Sspi.acceptSecurityContextAsync(ctx, { credential: server, contextReq: req, input: tokenOf(l1.output) }))).result
        if (s1._tag !== "ContextStep") throw new Error()
        const l2 = yield* (yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: client, context: l1.context, input: tokenOf(s1.output) }))).result
        if (l2._tag !== "ContextStep") throw new Error()
        const s2 = yield* callOnce((ctx) =>
          Sspi.acceptSecurityContextAsync(ctx, { credential: server, context: s1.context, contextReq: req, input: [SecBuffer.token(tokenOf(l2.output)[0]!.data)] })
        )
        assert.strictEqual(s2.status, codes.SEC_E_OK)
        const done = yield* s2.result
        if (done._tag !== "ContextStep") throw new Error()
        assert.strictEqual(done.attributes & Flags.AscRet.REPLAY_DETECT, 0)
      })
    ))
})

describe("F: the caller's Extended Protection level reaches the package on every leg", () => {
  it.effect("SecurityContext.acceptor({ extendedProtection }) → HandshakeRequest.extendedProtection", () =>
    withToy((toy) =>
      Effect.scoped(Effect.gen(function*() {
        const client = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.OUTBOUND, authData: clientAuth })
        const server = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.INBOUND, authData: serverAuth })
        yield* Handshake.run(yield* SecurityContext.initiator(client), yield* SecurityContext.acceptor(server, { extendedProtection: "required" }))
        yield* Handshake.run(yield* SecurityContext.initiator(client), yield* SecurityContext.acceptor(server))
        assert.deepStrictEqual(toy.levels, ["required", "required", undefined, undefined])
      }))
    ))
})
