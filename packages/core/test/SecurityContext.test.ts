import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Option, Queue, Scope } from "effect"
import { TestClock } from "effect/testing"
import {
  Credentials,
  Flags,
  Handshake,
  SecBuffer,
  SecurityContext,
  SecurityStatus,
  Sspi,
  SspiRuntime
} from "@effect-sspi/core"
import { acquire, callOnce, clientAuth, serverAuth, tokenOf, withToy } from "./support/harness.ts"

const { codes } = SecurityStatus

/** One full handshake through the Windows-shaped functions. */
const windowsHandshake = (password = "secret") =>
  Effect.gen(function*() {
    const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { user: "alice", password })
    const server = yield* acquire(Flags.CredentialUse.INBOUND, serverAuth)
    const contextReq = Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY
    const c1 = yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: client, targetName: "toy/server", contextReq }))
    const leg1 = yield* c1.result
    assert.strictEqual(c1.status, codes.SEC_I_CONTINUE_NEEDED)
    if (leg1._tag !== "ContextStep") throw new Error()
    const s1 = yield* callOnce((ctx) => Sspi.acceptSecurityContextAsync(ctx, { credential: server, input: tokenOf(leg1.output) }))
    const leg2 = yield* s1.result
    if (leg2._tag !== "ContextStep") throw new Error()
    const c2 = yield* callOnce((ctx) =>
      Sspi.initializeSecurityContextAsync(ctx, { credential: client, context: leg1.context, contextReq, input: tokenOf(leg2.output) })
    )
    const leg3 = yield* c2.result
    if (leg3._tag !== "ContextStep") throw new Error()
    assert.strictEqual(c2.status, codes.SEC_E_OK)
    const s2 = yield* callOnce((ctx) =>
      Sspi.acceptSecurityContextAsync(ctx, { credential: server, context: leg2.context, input: tokenOf(leg3.output) })
    )
    return { client, server, clientContext: leg1.context, serverContext: leg2.context, last: s2 }
  })

const deleteNow = (context: Sspi.CtxtHandle) =>
  callOnce((ctx) => Sspi.deleteSecurityContextAsync(ctx, context))

describe("security contexts through the Windows-shaped functions", () => {
  it.effect("a multi-leg handshake: CONTINUE_NEEDED until SEC_E_OK, then signatures", () =>
    withToy(() =>
      Effect.gen(function*() {
        const hs = yield* windowsHandshake()
        assert.strictEqual(hs.last.status, codes.SEC_E_OK)
        const names = yield* Sspi.queryContextAttributes(hs.serverContext, "Names")
        assert.strictEqual(names.userName, "alice")
        const flags = yield* Sspi.queryContextAttributes(hs.clientContext, "Flags")
        assert.strictEqual(flags.flags, Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY)
        const key1 = (yield* Sspi.queryContextAttributes(hs.clientContext, "SessionKey")).key
        const key2 = (yield* Sspi.queryContextAttributes(hs.serverContext, "SessionKey")).key
        assert.deepStrictEqual(key1, key2)
        const message = new TextEncoder().encode("hello")
        const signed = yield* Sspi.makeSignature(hs.clientContext, 0, [SecBuffer.data(message), SecBuffer.token(new Uint8Array(20))])
        assert.strictEqual(yield* Sspi.verifySignature(hs.serverContext, signed), 0)
        const replay = yield* Effect.flip(Sspi.verifySignature(hs.serverContext, signed))
        assert.strictEqual(replay._tag, "OutOfSequence")
        const tampered = signed.map((b) => b.baseType === SecBuffer.BufferType.DATA ? SecBuffer.data(new TextEncoder().encode("hellO")) : b)
        assert.strictEqual((yield* Effect.flip(Sspi.verifySignature(hs.serverContext, tampered)))._tag, "MessageAltered")
        const pkgInfo = yield* Sspi.queryContextAttributes(hs.clientContext, "PackageInfo")
        assert.strictEqual(pkgInfo.name, "Toy")
      })
    ))

  it.effect("requested output buffers come back in the order and types asked for", () =>
    withToy(() =>
      Effect.gen(function*() {
        const client = yield* acquire(Flags.CredentialUse.OUTBOUND, clientAuth)
        const { result } = yield* callOnce((ctx) =>
          Sspi.initializeSecurityContextAsync(ctx, {
            credential: client,
            output: [SecBuffer.token(new Uint8Array(0)), new SecBuffer.SecBuffer({ type: SecBuffer.BufferType.ALERT, data: new Uint8Array(0) })]
          })
        )
        const leg = yield* result
        if (leg._tag !== "ContextStep") throw new Error()
        assert.deepStrictEqual(leg.output.map((b) => b.baseType), [SecBuffer.BufferType.TOKEN, SecBuffer.BufferType.ALERT])
        assert.strictEqual(new TextDecoder().decode(leg.output[0]!.data), "HELLO:alice")
        assert.strictEqual(leg.output[1]!.data.length, 0)
      })
    ))

  it.effect("delete: SEC_E_OK, keys zeroed; twice and every later use SEC_E_INVALID_HANDLE", () =>
    Effect.gen(function*() {
      const { toy } = yield* withToy((toy) =>
        Effect.gen(function*() {
          const hs = yield* windowsHandshake()
          const first = yield* deleteNow(hs.clientContext)
          assert.strictEqual(first.status, codes.SEC_E_OK)
          assert.strictEqual(toy.live.size, 1)
          const second = yield* deleteNow(hs.clientContext)
          assert.strictEqual(second.status, codes.SEC_E_INVALID_HANDLE)
          const uses = yield* Effect.all([
            Effect.flip(Sspi.queryContextAttributes(hs.clientContext, "Names")),
            Effect.flip(Sspi.makeSignature(hs.clientContext, 0, [])),
            Effect.flip(Sspi.verifySignature(hs.clientContext, [])),
            Effect.flip(Sspi.encryptMessage(hs.clientContext, 0, [])),
            Effect.flip(Sspi.decryptMessage(hs.clientContext, []))
          ])
          for (const e of uses) assert.strictEqual(e._tag, "InvalidHandle")
          const leg = yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: hs.client, context: hs.clientContext }))
          assert.strictEqual(leg.status, codes.SEC_E_INVALID_HANDLE)
          yield* deleteNow(hs.serverContext)
          assert.strictEqual(toy.live.size, 0)
        })
      )
      assert.isTrue(toy.keys.length >= 2)
      assert.isTrue(toy.keys.every((key) => key.every((b) => b === 0)))
    }))

  it.effect("rejected and partial contexts are deleted too", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { user: "alice", password: "wrong" })
        const server = yield* acquire(Flags.CredentialUse.INBOUND, serverAuth)
        const c1 = yield* Effect.flatMap(callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: client })), (r) => r.result)
        if (c1._tag !== "ContextStep") throw new Error()
        const s1 = yield* Effect.flatMap(callOnce((ctx) => Sspi.acceptSecurityContextAsync(ctx, { credential: server, input: tokenOf(c1.output) })), (r) => r.result)
        if (s1._tag !== "ContextStep") throw new Error()
        const c2 = yield* Effect.flatMap(
          callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: client, context: c1.context, input: tokenOf(s1.output) })),
          (r) => r.result
        )
        if (c2._tag !== "ContextStep") throw new Error()
        const s2 = yield* callOnce((ctx) => Sspi.acceptSecurityContextAsync(ctx, { credential: server, context: s1.context, input: tokenOf(c2.output) }))
        assert.strictEqual(s2.status, codes.SEC_E_LOGON_DENIED)
        const garbage = yield* callOnce((ctx) => Sspi.acceptSecurityContextAsync(ctx, { credential: server, input: [SecBuffer.token(new Uint8Array([1, 2, 3]))] }))
        assert.strictEqual(garbage.status, codes.SEC_E_INVALID_TOKEN)
        assert.strictEqual(toy.live.size, 2)
        assert.strictEqual((yield* deleteNow(s1.context)).status, codes.SEC_E_OK, "rejected")
        assert.strictEqual((yield* deleteNow(c1.context)).status, codes.SEC_E_OK, "complete on its side")
        assert.strictEqual(toy.live.size, 0)
      })
    ))

  it.effect("delete while a call runs on the context: the call reports SEC_E_UNFINISHED_CONTEXT_DELETED", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { ...clientAuth, delayMs: 500 })
        const first = yield* Sspi.createAsyncContext
        yield* Sspi.initializeSecurityContextAsync(first, { credential: client })
        yield* TestClock.adjust(500)
        const leg1 = yield* Sspi.awaitAsyncCall(first)
        if (leg1._tag !== "ContextStep") throw new Error()
        const second = yield* Sspi.createAsyncContext
        yield* Sspi.initializeSecurityContextAsync(second, {
          credential: client,
          context: leg1.context,
          input: [SecBuffer.token(new TextEncoder().encode("CHAL:1"))]
        })
        yield* Effect.yieldNow
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(second), codes.SEC_I_ASYNC_CALL_PENDING)
        const del = yield* Sspi.createAsyncContext
        yield* Sspi.deleteSecurityContextAsync(del, leg1.context)
        yield* Sspi.awaitAsyncCall(del)
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(del), codes.SEC_E_OK)
        assert.strictEqual(yield* Sspi.getAsyncCallStatus(second), codes.SEC_E_UNFINISHED_CONTEXT_DELETED)
        assert.strictEqual(toy.live.size, 0)
        for (const c of [first, second, del]) yield* Sspi.freeAsyncContext(c)
        assert.strictEqual((yield* SspiRuntime.stats).calls, 0)
      })
    ))

  it.effect("the scoped API: closing the scope while a step runs ends that step with SEC_E_UNFINISHED_CONTEXT_DELETED; nothing left live", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const credentials = yield* Credentials.acquire({
          packageName: "Toy",
          credentialUse: Flags.CredentialUse.OUTBOUND,
          authData: { ...clientAuth, delayMs: 500 }
        }).pipe(Scope.provide(scope))
        const context = yield* SecurityContext.initiator(credentials, { targetName: "toy/server" }).pipe(Scope.provide(scope))
        const first = yield* Effect.forkChild(context.step())
        yield* TestClock.adjust(500)
        yield* Fiber.join(first)
        const second = yield* Effect.forkChild(context.step(new TextEncoder().encode("CHAL:1")))
        yield* Effect.yieldNow
        assert.strictEqual(toy.live.size, 1)
        yield* Scope.close(scope, Exit.void)
        const exit = yield* Fiber.await(second)
        assert.isTrue(Exit.isFailure(exit))
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
        assert.strictEqual(Option.getOrUndefined(error)?._tag, "UnfinishedContextDeleted")
        assert.strictEqual(toy.live.size, 0)
        yield* SspiRuntime.awaitIdle
        const stats = yield* SspiRuntime.stats
        assert.deepStrictEqual([stats.calls, stats.contexts, stats.credentials], [0, 0, 0])
      })
    ))

  it.effect("expiry from Clock: SEC_E_CONTEXT_EXPIRED for contexts and credentials, no real waiting", () =>
    withToy(() =>
      Effect.gen(function*() {
        const hs = yield* windowsHandshake()
        const sign = Sspi.makeSignature(hs.clientContext, 0, [SecBuffer.data(new Uint8Array(1)), SecBuffer.token(new Uint8Array(20))])
        yield* sign
        const lifespan = yield* Sspi.queryContextAttributes(hs.clientContext, "Lifespan")
        assert.strictEqual(lifespan.expiry - lifespan.start, 3_600_000)
        yield* TestClock.adjust(3_600_000)
        assert.strictEqual((yield* Effect.flip(sign))._tag, "ContextExpired")
        const shortCred = yield* acquire(Flags.CredentialUse.OUTBOUND, { ...clientAuth, credentialLifetimeMs: 10_000 })
        yield* TestClock.adjust(10_000)
        const leg = yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: shortCred }))
        assert.strictEqual(leg.status, codes.SEC_E_CONTEXT_EXPIRED)
      })
    ))

  it.effect("a credential used after free is SEC_E_INVALID_HANDLE; its contexts keep working until deleted", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const hs = yield* windowsHandshake()
        const freed = yield* callOnce((ctx) => Sspi.freeCredentialsHandleAsync(ctx, hs.client))
        assert.strictEqual(freed.status, codes.SEC_E_OK)
        const again = yield* callOnce((ctx) => Sspi.freeCredentialsHandleAsync(ctx, hs.client))
        assert.strictEqual(again.status, codes.SEC_E_INVALID_HANDLE)
        const leg = yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: hs.client }))
        assert.strictEqual(leg.status, codes.SEC_E_INVALID_HANDLE)
        assert.strictEqual(toy.creds.size, 2, "still referenced by its context")
        yield* Sspi.makeSignature(hs.clientContext, 0, [SecBuffer.data(new Uint8Array(1)), SecBuffer.token(new Uint8Array(20))])
        yield* deleteNow(hs.clientContext)
        assert.strictEqual(toy.creds.size, 1)
      })
    ))

  it.effect("a credential freed while a first leg runs stays alive for the new context, and is freed once", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { ...clientAuth, delayMs: 1000 })
        const [state] = Array.from(toy.creds)
        const leg = yield* Sspi.createAsyncContext
        yield* Sspi.initializeSecurityContextAsync(leg, { credential: client })
        yield* Effect.yieldNow
        const freed = yield* callOnce((ctx) => Sspi.freeCredentialsHandleAsync(ctx, client))
        assert.strictEqual(freed.status, codes.SEC_E_OK)
        assert.isFalse(state!.freed, "not under the running leg")
        yield* TestClock.adjust(1000)
        const result = yield* Sspi.awaitAsyncCall(leg)
        if (result._tag !== "ContextStep") throw new Error()
        assert.isFalse(state!.freed, "the new context holds it")
        yield* deleteNow(result.context)
        assert.isTrue(state!.freed)
        assert.strictEqual(toy.creds.size, 0)
        yield* Sspi.freeAsyncContext(leg)
      })
    ))

  it.effect("wrong handle kinds and roles are SEC_E_INVALID_HANDLE; messages on an unfinished context SEC_E_NO_CONTEXT", () =>
    withToy(() =>
      Effect.gen(function*() {
        const client = yield* acquire(Flags.CredentialUse.OUTBOUND, clientAuth)
        const leg = yield* Effect.flatMap(callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: client })), (r) => r.result)
        if (leg._tag !== "ContextStep") throw new Error()
        const asCred = yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: leg.context as never }))
        assert.strictEqual(asCred.status, codes.SEC_E_INVALID_HANDLE)
        const both = yield* acquire(Flags.CredentialUse.BOTH, { ...serverAuth, ...clientAuth })
        const wrongRole = yield* callOnce((ctx) => Sspi.acceptSecurityContextAsync(ctx, { credential: both, context: leg.context }))
        assert.strictEqual(wrongRole.status, codes.SEC_E_INVALID_HANDLE)
        const early = yield* Effect.flip(Sspi.makeSignature(leg.context, 0, []))
        assert.strictEqual(early._tag, "NoContext")
        const after = yield* callOnce((ctx) =>
          Sspi.initializeSecurityContextAsync(ctx, { credential: client, context: leg.context, input: [SecBuffer.token(new TextEncoder().encode("CHAL:9"))] })
        )
        assert.strictEqual(after.status, codes.SEC_E_OK)
        const extra = yield* callOnce((ctx) => Sspi.initializeSecurityContextAsync(ctx, { credential: client, context: leg.context }))
        assert.strictEqual(extra.status, codes.SEC_E_OUT_OF_SEQUENCE)
      })
    ))
})

describe("the Effect-native level", () => {
  const scoped = Effect.gen(function*() {
    const client = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.OUTBOUND, authData: clientAuth })
    const server = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.INBOUND, authData: serverAuth })
    const initiator = yield* SecurityContext.initiator(client, { targetName: "toy/server" })
    const acceptor = yield* SecurityContext.acceptor(server)
    return { initiator, acceptor }
  })

  it.effect("scoped credentials and contexts: a handshake, then closing the scope deletes everything", () =>
    Effect.gen(function*() {
      const { value, toy } = yield* withToy((toy) =>
        Effect.gen(function*() {
          const legs = yield* Effect.scoped(Effect.gen(function*() {
            const { initiator, acceptor } = yield* scoped
            const legs = yield* Handshake.run(initiator, acceptor)
            const signature = yield* initiator.makeSignature(new Uint8Array([1, 2, 3]))
            assert.strictEqual(yield* acceptor.verifySignature(new Uint8Array([1, 2, 3]), signature), 0)
            assert.strictEqual((yield* acceptor.query("Names")).userName, "alice")
            assert.strictEqual(toy.live.size, 2)
            return legs
          }))
          assert.strictEqual(toy.live.size, 0)
          return { legs, stats: yield* SspiRuntime.stats }
        })
      )
      assert.deepStrictEqual(value.legs.map((l) => [l.role, l.status]), [
        ["initiator", "SEC_I_CONTINUE_NEEDED"],
        ["acceptor", "SEC_I_CONTINUE_NEEDED"],
        ["initiator", "SEC_E_OK"],
        ["acceptor", "SEC_E_OK"]
      ])
      assert.deepStrictEqual(value.stats, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
      assert.isTrue(toy.keys.every((key) => key.every((b) => b === 0)))
    }))

  it.effect("a wrong password fails the handshake with LogonDenied, and the scope still cleans up", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
          const client = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.OUTBOUND, authData: { user: "alice", password: "nope" } })
          const server = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.INBOUND, authData: serverAuth })
          return yield* Handshake.run(yield* SecurityContext.initiator(client), yield* SecurityContext.acceptor(server))
        })))
        assert.strictEqual(SecurityStatus.fromExit(exit), codes.SEC_E_LOGON_DENIED)
        assert.isTrue(Exit.isFailure(exit) && exit.cause.reasons.some((r) => r._tag === "Fail" && r.error._tag === "LogonDenied"))
        assert.strictEqual(toy.live.size, 0)
        assert.deepStrictEqual(yield* SspiRuntime.stats, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
      })
    ))

  it.effect("interrupting a pending step leaks nothing", () =>
    withToy((toy) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(Effect.scoped(Effect.gen(function*() {
          const client = yield* Credentials.acquire({ packageName: "Toy", credentialUse: Flags.CredentialUse.OUTBOUND, authData: { ...clientAuth, delayMs: 5000 } })
          const initiator = yield* SecurityContext.initiator(client)
          return yield* initiator.step()
        })))
        yield* TestClock.adjust(1000)
        assert.strictEqual((yield* SspiRuntime.stats).calls, 1)
        yield* Fiber.interrupt(fiber)
        yield* TestClock.adjust(5000)
        yield* Effect.yieldNow
        assert.deepStrictEqual(yield* SspiRuntime.stats, { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 })
        assert.strictEqual(toy.live.size, 0)
        assert.strictEqual(toy.creds.size, 0)
      })
    ))

  it.effect("overChannel drives each side over a token channel", () =>
    withToy(() =>
      Effect.scoped(Effect.gen(function*() {
        const { initiator, acceptor } = yield* scoped
        const toServer = yield* Queue.unbounded<Uint8Array>()
        const toClient = yield* Queue.unbounded<Uint8Array>()
        const serverFiber = yield* Effect.forkChild(Handshake.overChannel(acceptor, { send: (t) => Queue.offer(toClient, t), receive: Queue.take(toServer) }))
        const clientLegs = yield* Handshake.overChannel(initiator, { send: (t) => Queue.offer(toServer, t), receive: Queue.take(toClient) })
        const serverLegs = yield* Fiber.join(serverFiber)
        assert.deepStrictEqual(clientLegs.map((l) => l.status), ["SEC_I_CONTINUE_NEEDED", "SEC_E_OK"])
        assert.deepStrictEqual(serverLegs.map((l) => l.status), ["SEC_I_CONTINUE_NEEDED", "SEC_E_OK"])
      }))
    ))
})
